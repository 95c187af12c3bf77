"""Level 2: a diskcache directory shared by every process and kept across restarts.

    <cache_dir>/results/
      entries/   key → record (tag versions + pickled value); size-bounded, evicts the least
                 recently stored, each entry expires after its function's TTL
      tags/      tag → version counter; never evicted (a forgotten counter would start again
                 at 0 and bring back entries invalidated before)

A directory that cannot be opened (garbage, a truncated cache.db, a file in its place) is
discarded and rebuilt; when even that fails, `open_disk_level` returns None and the cache
works from memory only. Errors met later are the caller's to handle (`DISK_ERRORS`).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import diskcache

from robustapp.cache.memory import Versions
from robustapp.logs import get_logger

log = get_logger(__name__)

DISK_ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error, OSError, diskcache.Timeout)
_BUSY_TIMEOUT = 2.0  # seconds a write waits for another process's write before giving up


def is_transient(exc: BaseException) -> bool:
    """A busy database (another process is writing) is not a broken one."""
    if isinstance(exc, diskcache.Timeout):
        return True
    message = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in message or "busy" in message)


@dataclass(frozen=True)
class DiskEntry:
    versions: Versions
    payload: bytes
    expires_at: float | None


class DiskLevel:
    """The entries and tag versions of one cache directory, open in this process."""

    def __init__(self, directory: Path, *, size_limit: int) -> None:
        self.directory = directory
        self._entries = diskcache.Cache(str(directory / "entries"), timeout=_BUSY_TIMEOUT, size_limit=size_limit)
        try:
            self._tags = diskcache.Cache(str(directory / "tags"), timeout=_BUSY_TIMEOUT, eviction_policy="none")
        except BaseException:
            self._entries.close()
            raise

    def versions(self, tags: Iterable[str]) -> Versions:
        """The current version of each tag (0 for a tag never invalidated), sorted by tag."""
        return tuple((tag, int(self._tags.get(tag, 0))) for tag in sorted(set(tags)))

    def bump(self, tag: str) -> None:
        """Invalidate `tag` for every process: one atomic increment."""
        self._tags.incr(tag, retry=True)

    def get(self, key: str) -> DiskEntry | None:
        record, expires_at = self._entries.get(key, expire_time=True)
        if record is None:
            return None
        decoded = _decode(record)
        if decoded is None:
            log.warning("dropping an unreadable cache entry", key=key, directory=str(self.directory))
            self._entries.delete(key)
            return None
        versions, payload = decoded
        return DiskEntry(versions, payload, expires_at)

    def set(self, key: str, versions: Versions, payload: bytes, ttl: float) -> None:
        header = json.dumps(versions).encode()
        self._entries.set(key, len(header).to_bytes(4, "big") + header + payload, expire=ttl)

    def delete(self, key: str) -> None:
        self._entries.delete(key)

    def close(self) -> None:
        for store in (self._entries, self._tags):
            try:
                store.close()
            except DISK_ERRORS as exc:
                log.warning("closing the cache directory failed", directory=str(self.directory), error=str(exc))


def _decode(record: object) -> tuple[Versions, bytes] | None:
    """(versions, payload) of a stored record, or None when it is not one of ours."""
    if not isinstance(record, bytes) or len(record) < 4:
        return None
    size = int.from_bytes(record[:4], "big")
    try:
        pairs = json.loads(record[4 : 4 + size])
        versions = tuple((str(tag), int(version)) for tag, version in pairs)
    except (ValueError, TypeError):
        return None
    return versions, record[4 + size :]


def open_disk_level(directory: Path, *, size_limit: int) -> DiskLevel | None:
    """Open `directory`, rebuilding it if it is broken; None when the disk cannot be used."""
    try:
        return DiskLevel(directory, size_limit=size_limit)
    except DISK_ERRORS as exc:
        if is_transient(exc):
            log.warning("cache directory is busy; caching in memory only", directory=str(directory), error=str(exc))
            return None
        log.warning("cache directory is unusable; rebuilding it", directory=str(directory), error=str(exc))
    return rebuild_disk_level(directory, size_limit=size_limit)


def rebuild_disk_level(directory: Path, *, size_limit: int) -> DiskLevel | None:
    """Discard whatever is at `directory` and start an empty cache there; None if that fails."""
    try:
        _discard(directory)
        return DiskLevel(directory, size_limit=size_limit)
    except DISK_ERRORS as exc:
        log.warning(
            "cache directory cannot be rebuilt; caching in memory only", directory=str(directory), error=str(exc)
        )
        return None


def _discard(directory: Path) -> None:
    if directory.is_dir() and not directory.is_symlink():
        shutil.rmtree(directory, ignore_errors=True)  # another process may be removing it too
    elif os.path.lexists(directory):
        directory.unlink()
    if os.path.lexists(directory):
        raise OSError(f"cannot remove {directory}")
