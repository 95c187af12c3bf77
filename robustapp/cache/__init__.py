"""A two-level cache of function results with tag invalidation, shared by every process.

    @cache_data(tags={"dataset:{name}"})                 invalidate_cache_by_tag("dataset:sales")
    def profile(name): …                                   or a write: db.transaction(touches={…})
            │ key = sha256(function, version, args)              │
            ▼                                                     ▼
    1. read the call's tag versions ───────────────────────▶ tags/     tag → counter (never evicted)
    2. memory: LRU of pickled values, bounded in bytes        │          incr: O(1), atomic,
       (per process; checked against the versions of 1.)     │          seen by every process
    3. disk:   <cache_dir>/results/entries  (diskcache,  ◀───┘
       shared, kept across restarts, size-bounded, TTL)
    4. miss → compute → store under the versions read in 1.

An entry is served only if it was stored under the versions its tags have now, so an
invalidation in any process makes it a miss everywhere, and a value computed while its tag
was being invalidated is stored under the old version and never served as fresh.
A directory that cannot be used is rebuilt; if even that fails the cache keeps working from
memory (and logs a warning). Keys: `keys.py`; levels: `memory.py`, `disk.py`; both together:
`store.py`; the decorator: `decorator.py`.
"""

from robustapp.cache.decorator import (
    CachedFunction,
    cache_data,
    cache_stats,
    current,
    install,
    invalidate_cache_by_tag,
)
from robustapp.cache.store import Cache, FunctionStats

__all__ = [
    "Cache",
    "CachedFunction",
    "FunctionStats",
    "cache_data",
    "cache_stats",
    "current",
    "install",
    "invalidate_cache_by_tag",
]
