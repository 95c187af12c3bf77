"""The cache as a page or service author meets it: hits, misses, TTL, tags, what can be cached, bounds, stats.

Keys (the same call → the same key in every process) are in test_cache_keys.py.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from robustapp.cache import Cache, FunctionStats, cache_data, cache_stats, install, invalidate_cache_by_tag
from robustapp.config import load_settings


class Calls:
    """Counts how often a cached function really ran."""

    def __init__(self) -> None:
        self.args: list[object] = []

    def __call__(self, *args: object) -> None:
        self.args.append(args if len(args) > 1 else args[0])


# -- hits and misses -------------------------------------------------------------------


def test_a_second_call_with_the_same_arguments_is_served_from_the_cache(cache: Cache) -> None:
    ran = Calls()

    @cache_data
    def total(values: tuple[int, ...]) -> int:
        ran(values)
        return sum(values)

    assert total((1, 2, 3)) == 6
    assert total((1, 2, 3)) == 6
    assert total((4,)) == 4
    assert ran.args == [(1, 2, 3), (4,)]


def test_arguments_by_position_by_keyword_or_by_default_share_one_entry(cache: Cache) -> None:
    ran = Calls()

    @cache_data
    def page(name: str, limit: int = 10) -> str:
        ran(name, limit)
        return f"{name}:{limit}"

    assert page("a") == page("a", 10) == page(name="a", limit=10) == page(limit=10, name="a") == "a:10"
    assert ran.args == [("a", 10)]


def test_values_that_are_equal_but_of_different_types_are_different_entries(cache: Cache) -> None:
    @cache_data
    def describe(value: object) -> str:
        return f"{type(value).__name__}:{value!r}"

    assert [describe(v) for v in (1, 1.0, True, "1")] == ["int:1", "float:1.0", "bool:True", "str:'1'"]


def test_a_caller_that_mutates_its_result_does_not_change_what_the_next_caller_gets(cache: Cache) -> None:
    @cache_data
    def rows() -> list[dict[str, int]]:
        return [{"id": 1}]

    rows().append({"id": 2})
    first = rows()
    first[0]["id"] = 99

    assert rows() == [{"id": 1}]


def test_a_call_that_raises_stores_nothing(cache: Cache) -> None:
    attempts = Calls()

    @cache_data
    def flaky(name: str) -> str:
        attempts(name)
        if len(attempts.args) == 1:
            raise ConnectionError("source not ready")
        return name

    with pytest.raises(ConnectionError):
        flaky("a")

    assert [flaky("a"), flaky("a")] == ["a", "a"]
    assert len(attempts.args) == 2


def test_values_survive_a_restart_of_the_process(tmp_path: Path) -> None:
    ran = Calls()

    @cache_data
    def square(x: int) -> int:
        ran(x)
        return x * x

    for _ in range(2):  # two "runs" of the app: a new Cache over the same directory
        install(Cache(tmp_path / "results"))
        assert square(7) == 49
        install(None)

    assert ran.args == [7]


# -- time to live ----------------------------------------------------------------------


class Clock:
    """time.time() under the test's control (the cache and diskcache both read it)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = time.time()
        monkeypatch.setattr(time, "time", lambda: self.now)


def test_a_value_is_recomputed_once_its_ttl_has_passed_at_both_levels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch)
    ran = Calls()

    @cache_data(ttl=60)
    def quote(symbol: str) -> str:
        ran(symbol)
        return f"{symbol}@{clock.now}"

    install(Cache(tmp_path / "results"))
    first = quote("X")
    clock.now += 59
    assert quote("X") == first  # memory
    install(Cache(tmp_path / "results"))
    assert quote("X") == first  # disk, after a restart
    clock.now += 2
    assert quote("X") != first
    install(None)

    assert ran.args == ["X", "X"]


def test_the_default_ttl_comes_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(monkeypatch)
    monkeypatch.setenv("ROBUSTAPP_CACHE_TTL", "30")
    ran = Calls()

    @cache_data
    def answer() -> int:
        ran(clock.now)
        return 42

    answer()  # the first call opens the process's cache from the settings
    clock.now += 29
    answer()
    clock.now += 2
    answer()

    assert len(ran.args) == 2
    assert load_settings().paths.result_cache_dir.is_dir()


def test_a_ttl_of_zero_means_no_caching(cache: Cache) -> None:
    ran = Calls()

    @cache_data(ttl=dt.timedelta(0))
    def now() -> int:
        ran(1)
        return len(ran.args)

    assert [now(), now()] == [1, 2]


def test_a_negative_ttl_is_refused() -> None:
    with pytest.raises(ValueError, match="ttl must be 0 or more seconds"):
        cache_data(ttl=-1)


# -- tags ------------------------------------------------------------------------------


def test_invalidating_a_tag_recomputes_exactly_the_values_it_tags(cache: Cache) -> None:
    ran = Calls()

    @cache_data(tags={"dataset:{name}", "kind:profile"})
    def profile(name: str) -> str:
        ran(name)
        return name.upper()

    profile("sales"), profile("costs")
    invalidate_cache_by_tag("dataset:sales")
    profile("sales"), profile("costs")
    invalidate_cache_by_tag("kind:profile")
    profile("sales"), profile("costs")
    invalidate_cache_by_tag("dataset:nothing-cached")
    profile("sales"), profile("costs")

    assert ran.args == ["sales", "costs", "sales", "sales", "costs"]


@dataclass(frozen=True)
class Source:
    name: str
    version: int


def test_a_call_reports_its_tags_filled_from_its_arguments(cache: Cache) -> None:
    @cache_data(tags=["table:items", "dataset:{source.name}"])
    def rows(source: Source, limit: int = 5) -> int:
        return limit

    assert rows.tags(Source("sales", 1)) == {"table:items", "dataset:sales"}


def test_a_tag_that_names_no_parameter_is_refused_when_the_function_is_defined() -> None:
    with pytest.raises(TypeError, match=r"tag 'dataset:\{dataset\}' of .*summary uses \{dataset\}"):

        @cache_data(tags={"dataset:{dataset}"})
        def summary(name: str) -> str:
            return name


# -- bounds and stats ------------------------------------------------------------------


def test_memory_stays_within_its_byte_bound_and_the_disk_serves_the_rest(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "results", memory_limit_bytes=20_000)
    install(cache)
    ran = Calls()

    @cache_data
    def blob(index: int) -> bytes:
        ran(index)
        return bytes([index]) * 1_000

    for index in range(50):
        blob(index)
    in_memory = cache.stats()[blob.function_id].memory_bytes
    again = [blob(index) for index in range(50)]
    install(None)

    assert 0 < in_memory <= 20_000
    assert again == [bytes([index]) * 1_000 for index in range(50)]
    assert len(ran.args) == 50  # nothing recomputed: what memory dropped, the disk still had


def test_a_memory_only_cache_drops_the_least_recently_used_values() -> None:
    cache = Cache(None, memory_limit_bytes=3 * 1_300)  # room for three 1 kB values
    install(cache)
    ran = Calls()

    @cache_data
    def blob(index: int) -> bytes:
        ran(index)
        return bytes(1_000)

    for index in (1, 2, 3, 1, 4, 1, 3, 2, 4):
        blob(index)
    install(None)

    # 4 pushes out 2 (the least recently used), 2 pushes out 4, 4 pushes out 1
    assert ran.args == [1, 2, 3, 4, 2, 4]


def test_stats_count_hits_and_misses_per_function(cache: Cache) -> None:
    @cache_data
    def double(x: int) -> int:
        return 2 * x

    @cache_data(tags={"t"})
    def triple(x: int) -> int:
        return 3 * x

    for x in (1, 1, 1, 2):
        double(x)
    triple(1)
    invalidate_cache_by_tag("t")
    triple(1)

    stats = cache_stats()
    assert stats[double.function_id].hits == 2
    assert stats[double.function_id].misses == 2
    assert stats[double.function_id].memory_bytes > 0
    assert (stats[triple.function_id].hits, stats[triple.function_id].misses) == (0, 2)
    assert isinstance(stats[triple.function_id], FunctionStats)
