"""The cache against real processes, real broken directories and the real database write path."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from robustapp import bootstrap
from robustapp.cache import Cache, cache_data, install
from robustapp.errors import TransactionAbortedError
from robustapp.logs import configure_logging
from robustapp.storage import Database

# -- other processes -------------------------------------------------------------------


def _in_child(directory: str, action: str, key: str, tag: str) -> None:
    """Runs in a spawned process: compute and store a value, or invalidate a tag."""
    cache = Cache(Path(directory))
    try:
        if action == "store":
            cache.get_or_compute("f", key, {tag}, lambda: f"computed by {os.getpid()}")
        else:
            cache.invalidate(tag)
    finally:
        cache.close()


def _run_in_another_process(directory: Path, action: str, key: str = "f:1", tag: str = "table:x") -> None:
    child = multiprocessing.get_context("spawn").Process(target=_in_child, args=(str(directory), action, key, tag))
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0


def test_a_value_another_process_computed_is_a_hit_here(tmp_path: Path) -> None:
    directory = tmp_path / "results"
    _run_in_another_process(directory, "store")
    cache = Cache(directory)

    got = cache.get_or_compute("f", "f:1", {"table:x"}, lambda: "computed here")
    cache.close()

    assert got.startswith("computed by ") and got != f"computed by {os.getpid()}"


def test_an_invalidation_in_another_process_makes_the_next_call_here_recompute(tmp_path: Path) -> None:
    directory = tmp_path / "results"
    cache = Cache(directory)
    values = iter(["first", "second", "third"])

    def call() -> str:
        return cache.get_or_compute("f", "f:1", {"table:x"}, lambda: next(values))

    assert [call(), call()] == ["first", "first"]  # now in this process's memory too

    _run_in_another_process(directory, "invalidate", tag="table:x")
    after, again = call(), call()
    _run_in_another_process(directory, "invalidate", tag="table:unrelated")
    still = call()
    cache.close()

    assert (after, again, still) == ("second", "second", "second")


# -- broken directories ----------------------------------------------------------------


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    path = tmp_path / "logs" / "robustapp.log"
    configure_logging(path, level="INFO")
    return path


def _warnings(log_file: Path) -> list[str]:
    for handler in logging.getLogger().handlers:
        handler.flush()
    lines = [json.loads(line) for line in log_file.read_text(encoding="utf-8").splitlines()] if log_file.exists() else []
    return [line["event"] for line in lines if line["level"] == "warning"]


def _garbage_everywhere(directory: Path) -> None:
    for part in ("entries", "tags"):
        (directory / part / "ab").mkdir(parents=True)
        (directory / part / "cache.db").write_bytes(os.urandom(4096))
        (directory / part / "ab" / "junk.val").write_bytes(b"not a value")
    (directory / "stray.tmp").write_text("left over", encoding="utf-8")


def _truncated_databases(directory: Path) -> None:
    cache = Cache(directory)
    for index in range(300):
        cache.get_or_compute("f", f"f:{index}", {f"tag:{index}"}, lambda: os.urandom(300))
        cache.invalidate(f"tag:{index}")
    cache.close()
    for part in ("entries", "tags"):
        database = directory / part / "cache.db"
        with database.open("r+b") as handle:
            handle.truncate(database.stat().st_size // 3)


def _a_file_instead(directory: Path) -> None:
    directory.parent.mkdir(parents=True, exist_ok=True)
    directory.write_text("I am not a directory", encoding="utf-8")


def _database_is_a_directory(directory: Path) -> None:
    (directory / "entries" / "cache.db").mkdir(parents=True)


@pytest.mark.parametrize("damage", [_garbage_everywhere, _truncated_databases, _a_file_instead, _database_is_a_directory])
def test_a_broken_cache_directory_is_rebuilt_and_caches_again(
    tmp_path: Path, log_file: Path, damage: Callable[[Path], None]
) -> None:
    directory = tmp_path / "cache" / "results"
    damage(directory)

    cache = Cache(directory)
    first = cache.get_or_compute("f", "f:1", {"t"}, lambda: "value")
    cache.close()
    reopened = Cache(directory)
    second = reopened.get_or_compute("f", "f:1", {"t"}, lambda: "recomputed")
    reopened.close()

    assert (first, second) == ("value", "value")  # stored on disk, found after a restart
    assert "cache directory is unusable; rebuilding it" in _warnings(log_file)


def test_a_directory_that_breaks_while_in_use_is_rebuilt(tmp_path: Path, log_file: Path) -> None:
    directory = tmp_path / "results"
    cache = Cache(directory)
    cache.get_or_compute("f", "f:1", {"t"}, lambda: "before")
    for part in ("entries", "tags"):
        (directory / part / "cache.db").write_bytes(os.urandom(8192))

    answers = [cache.get_or_compute("f", "f:1", {"t"}, lambda value=value: value) for value in ("a", "b", "c")]

    # the call that met the damage computed (and stored nothing), the next one stored, the last hit
    assert answers == ["a", "b", "b"]
    assert cache.is_on_disk
    assert "cache directory failed; rebuilding it" in _warnings(log_file)
    cache.close()


def test_a_directory_that_cannot_be_rebuilt_leaves_a_working_cache_in_memory(tmp_path: Path, log_file: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be", encoding="utf-8")

    cache = Cache(blocker / "results")
    values = iter(range(10))

    def call() -> int:
        return cache.get_or_compute("f", "f:1", {"t"}, lambda: next(values))

    before = [call(), call()]
    cache.invalidate("t")
    after = call()
    cache.close()

    assert not blocker.is_dir()
    assert (before, after) == ([0, 0], 1)
    assert "cache directory cannot be rebuilt; caching in memory only" in _warnings(log_file)


def test_the_app_starts_and_caches_with_garbage_in_its_cache_directory() -> None:
    from robustapp.config import load_settings

    _garbage_everywhere(load_settings().paths.result_cache_dir)
    ran: list[int] = []

    @cache_data
    def square(x: int) -> int:
        ran.append(x)
        return x * x

    services = bootstrap.start()

    assert [square(4), square(4)] == [16, 16]
    assert ran == [4]
    assert services.cache.is_on_disk


# -- writes through the storage layer --------------------------------------------------


@pytest.fixture
def services() -> Iterator[bootstrap.Services]:
    """The real wiring: a database whose commits invalidate the process's cache."""
    built = bootstrap.build(migrate_schema=False)
    install(built.cache)
    with built.db.transaction() as cursor:
        cursor.execute("CREATE TABLE x (v INTEGER)")
    yield built
    install(None)
    built.close()


def _total_of_x(db: Database) -> Callable[[], int]:
    @cache_data(tags={"table:x"})
    def total(_db: Database) -> int:
        return int(_db.query_one("SELECT coalesce(sum(v), 0) FROM x")[0])

    return lambda: total(db)


def test_a_committed_write_that_touches_a_table_invalidates_what_is_tagged_with_it(
    services: bootstrap.Services,
) -> None:
    total = _total_of_x(services.db)
    assert total() == 0

    with services.db.transaction(touches={"table:x"}) as cursor:
        cursor.execute("INSERT INTO x VALUES (5)")
    after_transaction = total()
    services.db.write(lambda cursor: cursor.execute("INSERT INTO x VALUES (2)"), touches=["table:x"])

    assert (after_transaction, total()) == (5, 7)


def test_a_write_that_touches_another_table_keeps_the_cached_value(services: bootstrap.Services) -> None:
    total = _total_of_x(services.db)
    assert total() == 0

    with services.db.transaction(touches={"table:y"}) as cursor:
        cursor.execute("INSERT INTO x VALUES (5)")  # the tag says y: the cache is told y changed

    assert total() == 0


def test_a_rolled_back_write_invalidates_nothing(services: bootstrap.Services) -> None:
    total = _total_of_x(services.db)
    assert total() == 0
    hits_before = services.cache.stats()

    with pytest.raises(RuntimeError):
        with services.db.transaction(touches={"table:x"}) as cursor:
            cursor.execute("INSERT INTO x VALUES (5)")
            raise RuntimeError("the user cancelled")
    with pytest.raises(TransactionAbortedError):
        with services.db.transaction() as cursor:
            try:
                with services.db.transaction(touches={"table:x"}) as inner:
                    inner.execute("INSERT INTO x VALUES (5)")
                    raise RuntimeError("inner block failed")
            except RuntimeError:
                pass

    assert total() == 0
    (function,) = hits_before
    assert services.cache.stats()[function].hits == hits_before[function].hits + 1  # served, not recomputed


def test_a_nested_block_s_touches_take_effect_when_the_outer_transaction_commits(
    services: bootstrap.Services,
) -> None:
    total = _total_of_x(services.db)
    assert total() == 0

    with services.db.transaction() as cursor:
        with services.db.transaction(touches={"table:x"}) as inner:
            inner.execute("INSERT INTO x VALUES (3)")
        cursor.execute("INSERT INTO x VALUES (4)")

    assert total() == 7
