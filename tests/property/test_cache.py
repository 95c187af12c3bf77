"""The cache never serves a stale value, whatever happens between two calls.

Two simulated processes share one cache directory (each its own Cache: its own memory level and
its own diskcache handles). Any sequence of calls, tag invalidations (in either process, or while
a value is being computed) and restarts is checked against a model: the values still fresh.
A call must return the model's value when there is one, and compute a new one otherwise; every
computation returns a value never seen before, so a stale answer cannot pass for a fresh one.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from robustapp.cache import Cache

TAGS_OF = {  # what each of five cached calls depends on
    "a": {"table:x"},
    "b": {"table:x", "dataset:b"},
    "c": {"table:y"},
    "d": set(),
    "e": {"dataset:b", "table:y"},
}
CALLS = st.sampled_from(sorted(TAGS_OF))
TAGS = st.sampled_from(sorted(set().union(*TAGS_OF.values())))
PROCESSES = st.sampled_from([0, 1])
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("call"), PROCESSES, CALLS),
        st.tuples(st.just("invalidate"), PROCESSES, TAGS),
        st.tuples(st.just("call while invalidating"), PROCESSES, CALLS, TAGS),
        st.tuples(st.just("restart"), PROCESSES),
    ),
    max_size=40,
)


class Model:
    """The values a call may return now: stored by a computation, dropped by an invalidation."""

    def __init__(self) -> None:
        self.fresh: dict[str, int] = {}
        self._values = itertools.count(1)

    def new_value(self) -> int:
        return next(self._values)

    def invalidate(self, tag: str) -> None:
        self.fresh = {name: value for name, value in self.fresh.items() if tag not in TAGS_OF[name]}


@settings(max_examples=150, deadline=None, database=None)
@given(operations=OPERATIONS)
def test_two_processes_never_get_a_stale_value(tmp_path_factory: pytest.TempPathFactory, operations: list) -> None:
    directory = tmp_path_factory.mktemp("cache") / "results"
    processes = [Cache(directory), Cache(directory)]
    model = Model()
    try:
        for kind, process, *rest in operations:
            cache, other = processes[process], processes[1 - process]
            if kind == "call":
                _check(cache, model, rest[0])
            elif kind == "call while invalidating":
                name, tag = rest
                _check(cache, model, name, racing=(other, tag))
            elif kind == "invalidate":
                cache.invalidate(rest[0])
                model.invalidate(rest[0])
            else:  # restart: the process's memory is gone and the directory is opened again
                cache.close()
                processes[process] = Cache(directory)
    finally:
        for cache in processes:
            cache.close()


@settings(max_examples=60, deadline=None, database=None)
@given(operations=OPERATIONS)
def test_a_memory_only_cache_keeps_the_same_promise(operations: list) -> None:
    cache = Cache(None)  # what a process falls back to when its cache directory cannot be used
    model = Model()
    for kind, _process, *rest in operations:
        if kind == "call":
            _check(cache, model, rest[0])
        elif kind == "call while invalidating":
            _check(cache, model, rest[0], racing=(cache, rest[1]))
        elif kind == "invalidate":
            cache.invalidate(rest[0])
            model.invalidate(rest[0])
        else:  # a restarted memory-only process has forgotten everything
            cache.close()
            cache, model.fresh = Cache(None), {}


def _check(cache: Cache, model: Model, name: str, racing: tuple[Cache, str] | None = None) -> None:
    """Call `name`; with `racing`, the computation (if any) overlaps an invalidation of a tag."""
    expected = model.fresh.get(name)
    computed: list[int] = []

    def compute() -> int:
        if racing is not None:
            invalidator, tag = racing
            invalidator.invalidate(tag)  # lands after this call read its tag versions
            model.invalidate(tag)
        computed.append(model.new_value())
        return computed[0]

    got = cache.get_or_compute("f", f"f:{name}", TAGS_OF[name], compute)

    if expected is not None:
        assert (got, computed) == (expected, [])  # a hit, and only a fresh value may be one
        return
    assert computed, f"{name} was served {got} from the cache, but no value of it is fresh"
    assert got == computed[0]  # the caller always gets what it just computed...
    if racing is None or racing[1] not in TAGS_OF[name]:
        model.fresh[name] = got  # ...but it stays fresh only if none of its tags changed meanwhile
