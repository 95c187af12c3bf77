"""Level 1: this process's least-recently-used values, bounded in bytes.

Values are kept pickled, as on disk: every hit hands out a fresh copy, so a caller that
mutates its result (a list, a DataFrame) cannot change what the next caller gets, and the
bound counts real bytes.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass

Versions = tuple[tuple[str, int], ...]  # (tag, version) pairs, sorted by tag
_ENTRY_OVERHEAD = 200  # bytes of bookkeeping per entry, so tiny values still count


@dataclass(frozen=True)
class MemoryEntry:
    """One cached value and what it was computed under."""

    function: str
    source: int  # which tag-version source `versions` came from (see Cache)
    versions: Versions
    payload: bytes
    expires_at: float  # time.time() after which the entry is gone

    @property
    def cost(self) -> int:
        return len(self.payload) + _ENTRY_OVERHEAD


class MemoryLevel:
    """A thread-safe LRU map of key → MemoryEntry holding at most `limit_bytes`."""

    def __init__(self, limit_bytes: int) -> None:
        self.limit_bytes = limit_bytes
        self._entries: OrderedDict[str, MemoryEntry] = OrderedDict()
        self._bytes = 0
        self._bytes_by_function: Counter[str] = Counter()
        self._lock = threading.Lock()

    def get(self, key: str) -> MemoryEntry | None:
        """The entry, now the most recently used; None if absent or expired."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.expires_at <= time.time():
                self._remove(key)
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: MemoryEntry) -> None:
        """Keep `entry`, dropping the least recently used ones to stay in bounds."""
        with self._lock:
            if key in self._entries:
                self._remove(key)
            if entry.cost > self.limit_bytes:
                return  # bigger than the whole level: disk only
            while self._bytes + entry.cost > self.limit_bytes:
                self._remove(next(iter(self._entries)))
            self._entries[key] = entry
            self._bytes += entry.cost
            self._bytes_by_function[entry.function] += entry.cost

    def discard(self, key: str) -> None:
        with self._lock:
            if key in self._entries:
                self._remove(key)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
            self._bytes_by_function.clear()

    def bytes_by_function(self) -> dict[str, int]:
        with self._lock:
            return {function: size for function, size in self._bytes_by_function.items() if size}

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def _remove(self, key: str) -> None:
        entry = self._entries.pop(key)
        self._bytes -= entry.cost
        self._bytes_by_function[entry.function] -= entry.cost
