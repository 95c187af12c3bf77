"""The two levels together: tag versions, memory then disk, hit and miss counts.

A call reads the current versions of its tags FIRST, then looks for an entry stored under
exactly those versions, and on a miss computes and stores the value under the versions it
read before computing. So a value computed while someone invalidated one of its tags carries
the old version and is never served as fresh.

"Source" numbers where tag versions come from: the disk, or (while the disk is unusable)
this process's own counters. It changes whenever the disk is dropped or rebuilt, which also
empties memory: an entry is only ever compared with versions from its own source.
"""

from __future__ import annotations

import math
import pickle
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from robustapp.cache.disk import DISK_ERRORS, DiskLevel, is_transient, open_disk_level, rebuild_disk_level
from robustapp.cache.memory import MemoryEntry, MemoryLevel, Versions
from robustapp.logs import get_logger

if TYPE_CHECKING:
    from robustapp.config import Settings

T = TypeVar("T")
MB = 1024 * 1024
log = get_logger(__name__)


@dataclass(frozen=True)
class FunctionStats:
    """What one cached function's calls did in this process."""

    hits: int
    misses: int
    memory_bytes: int  # its values held in this process's memory level


@dataclass(frozen=True)
class _Reading:
    """The tag versions a call works under, read before anything is looked up or computed."""

    disk: DiskLevel | None
    source: int
    versions: Versions


class Cache:
    """A bounded in-process LRU over a diskcache directory, with versioned tags."""

    def __init__(
        self,
        directory: Path | None,
        *,
        default_ttl: float = 3600,
        disk_limit_bytes: int = 512 * MB,
        memory_limit_bytes: int = 64 * MB,
    ) -> None:
        self.directory = directory
        self.default_ttl = default_ttl
        self._disk_limit = disk_limit_bytes
        self._memory = MemoryLevel(memory_limit_bytes)
        self._lock = threading.RLock()
        self._source = 0
        self._local_versions: Counter[str] = Counter()  # tag versions while there is no disk
        self._hits: Counter[str] = Counter()
        self._misses: Counter[str] = Counter()
        self._disk = open_disk_level(directory, size_limit=disk_limit_bytes) if directory is not None else None

    @classmethod
    def from_settings(cls, settings: Settings) -> Cache:
        """The app's cache: its directory, TTL and size from the settings; memory gets an eighth of the size."""
        return cls(
            settings.paths.result_cache_dir,
            default_ttl=settings.cache_ttl,
            disk_limit_bytes=settings.cache_size_mb * MB,
            memory_limit_bytes=max(1, settings.cache_size_mb // 8) * MB,
        )

    @property
    def is_on_disk(self) -> bool:
        """False when the directory could not be used and the cache lives in memory only."""
        return self._disk is not None

    def get_or_compute(
        self, function: str, key: str, tags: Iterable[str], compute: Callable[[], T], *, ttl: float | None = None
    ) -> T:
        """The value stored under `key` if still fresh, else `compute()`'s (then stored for `ttl` seconds)."""
        ttl = self.default_ttl if ttl is None else ttl
        reading = self._read_versions(tags) if ttl > 0 else None
        payload = self._lookup(function, key, reading) if reading is not None else None
        if payload is not None:
            try:
                value = pickle.loads(payload)
            except Exception as exc:  # e.g. its class moved in an upgrade: a miss, not a crash
                log.warning("dropping a cached value that no longer loads", key=key, error=repr(exc))
                self._forget(key, reading)
            else:
                self._count(self._hits, function)
                return value
        self._count(self._misses, function)
        value = compute()
        if reading is not None:
            self._store(function, key, reading, _dumps(function, value), ttl)
        return value

    def invalidate(self, tag: str) -> None:
        """Make every value tagged `tag` stale, in every process: one counter increment."""
        with self._lock:
            disk = self._disk
            if disk is None:
                self._local_versions[tag] += 1
                return
        try:
            disk.bump(tag)
        except DISK_ERRORS as exc:  # rebuilding forgets every entry: the invalidation holds all the more
            self._rebuild(disk, exc)

    def invalidate_tags(self, tags: Iterable[str]) -> None:
        """Invalidate each of `tags` (the storage layer's commit listener)."""
        for tag in tags:
            self.invalidate(tag)

    def stats(self) -> dict[str, FunctionStats]:
        """Per cached function (module.qualname): hits and misses in this process, bytes in memory."""
        with self._lock:
            hits, misses = dict(self._hits), dict(self._misses)
        memory = self._memory.bytes_by_function()
        return {
            name: FunctionStats(hits.get(name, 0), misses.get(name, 0), memory.get(name, 0))
            for name in sorted(hits.keys() | misses.keys() | memory.keys())
        }

    def close(self) -> None:
        """Release the directory; afterwards the cache keeps working from memory only."""
        with self._lock:
            disk, self._disk = self._disk, None
            self._switch_source()
        if disk is not None:
            disk.close()

    # -- the steps of one call ---------------------------------------------------------

    def _read_versions(self, tags: Iterable[str]) -> _Reading | None:
        with self._lock:
            disk, source = self._disk, self._source
            if disk is None:
                return _Reading(None, source, tuple((t, self._local_versions[t]) for t in sorted(set(tags))))
        try:
            return _Reading(disk, source, disk.versions(tags))
        except DISK_ERRORS as exc:
            self._disk_failed(disk, exc)
            return None  # versions unknown: compute, and store nothing

    def _lookup(self, function: str, key: str, reading: _Reading) -> bytes | None:
        entry = self._memory.get(key)
        if entry is not None and entry.source == reading.source and entry.versions == reading.versions:
            return entry.payload
        if reading.disk is None:
            return None
        try:
            found = reading.disk.get(key)
        except DISK_ERRORS as exc:
            self._disk_failed(reading.disk, exc)
            return None
        if found is None or found.versions != reading.versions:
            return None
        expires_at = found.expires_at if found.expires_at is not None else math.inf
        self._memory.put(key, MemoryEntry(function, reading.source, found.versions, found.payload, expires_at))
        return found.payload

    def _store(self, function: str, key: str, reading: _Reading, payload: bytes, ttl: float) -> None:
        self._memory.put(key, MemoryEntry(function, reading.source, reading.versions, payload, time.time() + ttl))
        if reading.disk is not None:
            try:
                reading.disk.set(key, reading.versions, payload, ttl)
            except DISK_ERRORS as exc:
                self._disk_failed(reading.disk, exc)

    def _forget(self, key: str, reading: _Reading | None) -> None:
        self._memory.discard(key)
        if reading is not None and reading.disk is not None:
            try:
                reading.disk.delete(key)
            except DISK_ERRORS as exc:
                self._disk_failed(reading.disk, exc)

    def _count(self, counter: Counter[str], function: str) -> None:
        with self._lock:
            counter[function] += 1

    # -- when the disk fails -----------------------------------------------------------

    def _disk_failed(self, disk: DiskLevel, exc: BaseException) -> None:
        if is_transient(exc):
            log.info("cache directory busy; this call skipped it", error=str(exc))
        else:
            self._rebuild(disk, exc)

    def _rebuild(self, disk: DiskLevel, exc: BaseException) -> None:
        with self._lock:
            if self._disk is not disk:
                return  # another thread got here first
            log.warning("cache directory failed; rebuilding it", directory=str(self.directory), error=str(exc))
            disk.close()
            self._switch_source()
            assert self.directory is not None  # a disk level always has one
            self._disk = rebuild_disk_level(self.directory, size_limit=self._disk_limit)

    def _switch_source(self) -> None:
        """Called with the lock held: entries read or stored from now on are compared with new versions."""
        self._source += 1
        self._memory.clear()


def _dumps(function: str, value: object) -> bytes:
    try:
        return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        raise TypeError(
            f"{function} returned a {type(value).__qualname__}, which cannot be pickled, so it cannot be cached ({exc})"
        ) from exc
