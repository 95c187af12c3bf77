"""Keys and values: the same call has the same key in every process, different calls different
keys; which arguments and results can be cached, and what happens to those that cannot."""

from __future__ import annotations

import datetime as dt
import enum
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import BaseModel

from robustapp.cache import Cache, CachedFunction, cache_data

ROOT = Path(__file__).resolve().parents[2]


class Colour(enum.Enum):
    RED = "red"


@dataclass(frozen=True)
class Spec:
    name: str
    version: int


class Query(BaseModel):
    table: str
    columns: list[str]
    filters: dict[str, object] = {}


@cache_data(version="2")
def lookup(value: object, *rest: object, **options: object) -> None:
    """Only its keys are used: see sample_keys."""


def _ordered(pairs: list[tuple[str, object]], reverse: bool) -> dict[str, object]:
    return dict(reversed(pairs) if reverse else pairs)


def sample_keys(reverse: bool) -> list[str]:
    """Keys of calls with dicts, sets, dataclasses, models, dates, paths; `reverse` builds every
    dict and set in the opposite insertion order."""
    words = ["alpha", "beta", "gamma", "delta"]
    return [
        lookup.key(_ordered([("b", 2), ("a", 1), ("c", _ordered([("y", [1, 2]), ("x", None)], reverse))], reverse)),
        lookup.key(set(reversed(words) if reverse else words)),
        lookup.key(Spec("sales", 3), Colour.RED, Decimal("1.50")),
        lookup.key(Query(table="t", columns=["a", "b"], filters=_ordered([("z", 1), ("k", "v")], reverse))),
        lookup.key(dt.date(2024, 2, 29), dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC), dt.timedelta(hours=1)),
        lookup.key(Path("/data/sales.csv"), b"\x00\xff", 1.5, -0.0, None),
        lookup.key("x", **_ordered([("limit", 3), ("sort", _ordered([("by", "name"), ("desc", True)], reverse))], reverse)),
    ]


def test_the_same_call_has_the_same_key_in_other_processes_whatever_their_hash_seed() -> None:
    script = "import json; from tests.unit.test_cache_keys import sample_keys; print(json.dumps(sample_keys(reverse=True)))"
    here = sample_keys(reverse=False)

    elsewhere = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
        )
        elsewhere.append(json.loads(result.stdout))

    assert elsewhere == [here, here]
    assert len(set(here)) == len(here)  # and different calls have different keys


def _summary_at(version: str) -> CachedFunction[[object], None]:
    @cache_data(version=version)
    def summary(value: object) -> None:
        """Only its keys are used."""

    return summary


def test_a_key_changes_with_the_version_and_with_each_argument() -> None:
    v1, v1_again, v2 = _summary_at("1"), _summary_at("1"), _summary_at("2")
    spec = Spec("sales", 3)

    assert v1.key(spec) == v1_again.key(Spec("sales", 3))
    assert v1.key(spec) != v2.key(spec)
    assert v1.key(spec) != v1.key(Spec("sales", 4))
    assert v1.key(Query(table="t", columns=["a"])) != v1.key(Query(table="t", columns=["a"], filters={"k": 1}))
    assert v1.key({"a": 1}) != v1.key([("a", 1)])
    assert v1.key((1, 2)) != v1.key([1, 2])
    assert v1.key(dt.date(2024, 1, 1)) != v1.key(dt.datetime(2024, 1, 1))


def test_an_argument_without_a_stable_hash_is_refused_with_its_name() -> None:
    with pytest.raises(TypeError) as caught:
        lookup("x", options={"connection": object()})

    message = str(caught.value)
    assert "lookup" in message
    assert "`options['options']['connection']`" in message
    assert "object" in message
    with pytest.raises(TypeError, match="`value` holds a value of type function"):
        lookup(lambda: 1)


def test_a_container_that_contains_itself_is_refused() -> None:
    loop: list[object] = [1]
    loop.append(loop)

    with pytest.raises(TypeError, match=r"`value\[1\]`"):
        lookup(loop)


# -- what can be cached -----------------------------------------------------------


def test_parameters_with_a_leading_underscore_are_left_out_of_the_key(cache: Cache) -> None:
    ran: list[object] = []

    @cache_data
    def count(table: str, _db: object = None) -> int:
        ran.append(table)
        return 3

    assert count("items", _db=object()) == count("items", _db=object()) == 3
    assert ran == ["items"]


def test_a_result_that_cannot_be_pickled_is_an_error_naming_the_function(cache: Cache) -> None:
    @cache_data
    def opener() -> object:
        return lambda: 1

    with pytest.raises(TypeError, match=r"opener returned a function, which cannot be pickled"):
        opener()


class Report:
    """A result whose stored form stops loading when `loadable` is False (as after an upgrade)."""

    loadable = True

    def __init__(self, total: int) -> None:
        self.total = total

    def __reduce__(self) -> tuple[object, tuple[int]]:
        return _load_report, (self.total,)


def _load_report(total: int) -> Report:
    if not Report.loadable:
        raise ModuleNotFoundError("the module of Report was renamed")
    return Report(total)


def test_a_stored_value_that_no_longer_loads_is_recomputed(cache: Cache, monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[object] = []

    @cache_data
    def report() -> Report:
        ran.append(1)
        return Report(len(ran))

    assert report().total == 1
    monkeypatch.setattr(Report, "loadable", False)

    assert report().total == 2
    assert len(ran) == 2
