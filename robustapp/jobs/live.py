"""The records poll() reads without the database: active jobs as they are now, and the last few finished.

    scheduler thread ── show(info) · finished([info…]) ──▶ LiveJobs ◀── get · active · wait (any thread)
                                                            revision: +1 per change

The scheduler publishes a final state only after it was saved, so what poll() shows as finished
is what the database holds. `revision` lets a UI that polls skip redrawing while nothing changed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable

from robustapp.domain.jobs import JobInfo

RECENT = 256  # finished jobs kept in memory, so polling a job that just ended costs no query


class LiveJobs:
    """Thread-safe: one writer (the scheduler), any number of readers."""

    def __init__(self, recent: int = RECENT) -> None:
        self._active: dict[int, JobInfo] = {}
        self._recent: OrderedDict[int, JobInfo] = OrderedDict()
        self._keep = recent
        self._changed = threading.Condition()
        self.revision = 0

    def show(self, info: JobInfo) -> None:
        """The active job's record is now `info`."""
        with self._changed:
            self._active[info.id] = info
            self._bump()

    def finished(self, infos: Iterable[JobInfo]) -> None:
        """These jobs ended (and their records are saved)."""
        with self._changed:
            for info in infos:
                self._active.pop(info.id, None)
                self._recent[info.id] = info
                self._recent.move_to_end(info.id)
                while len(self._recent) > self._keep:
                    self._recent.popitem(last=False)
            self._bump()

    def forget_active(self) -> None:
        """Drop every active record (the scheduler stopped: the database is the truth again)."""
        with self._changed:
            self._active.clear()
            self._bump()

    def get(self, job_id: int) -> JobInfo | None:
        with self._changed:
            return self._active.get(job_id) or self._recent.get(job_id)

    def active(self) -> list[JobInfo]:
        with self._changed:
            return list(self._active.values())

    def wait(self, predicate: Callable[[], bool], timeout: float | None) -> bool:
        """Block until `predicate()` holds (checked now and after each change); False on timeout."""
        with self._changed:
            return self._changed.wait_for(predicate, timeout)

    def _bump(self) -> None:
        self.revision += 1
        self._changed.notify_all()
