"""How a running job reports progress and learns that it should stop.

    job ── progress.report(0.4, "chunk 4 of 10") ──▶ Reporter ── at most every 50 ms ──▶ owner
                                                                 (memory at once, database ≤ 2/s)
    cancel(job_id) ──▶ owner ──▶ Reporter: is_cancelled() → True; report() / check() raise JobCancelled

A job that reports progress is therefore cancellable without further work: its next
`report` raises. A job that never reports is stopped the hard way (its worker is killed).
This module imports nothing heavy: it is loaded in every worker.
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from typing import Protocol

MAX_MESSAGE = 500  # characters of a progress message kept


class JobCancelled(BaseException):  # named like asyncio.CancelledError, for the same reason
    """Raised inside a job by `report`/`check` once the job was asked to stop.

    A BaseException, like asyncio.CancelledError, so a job's own `except Exception` does not
    swallow the request to stop.
    """


class Progress(Protocol):
    """What a job function gets as its `progress` argument."""

    def report(self, fraction: float, message: str = "") -> None:
        """Record how far the job is (0–1) and what it is doing; raises JobCancelled when asked to stop."""

    def is_cancelled(self) -> bool:
        """Whether the job was asked to stop (for jobs that tidy up before they return)."""

    def check(self) -> None:
        """Raise JobCancelled if the job was asked to stop."""


class Reporter(ABC):
    """The common part: clamp, throttle, stop on request. Subclasses deliver and know about cancels."""

    interval = 0.05  # seconds between two deliveries; the latest report in between waits for the next call

    def __init__(self) -> None:
        self._last_sent = -math.inf
        self._pending: tuple[float, str] | None = None

    def report(self, fraction: float, message: str = "") -> None:
        self.check()
        fraction = float(fraction)
        if math.isnan(fraction):
            raise ValueError("progress.report: the fraction is NaN; expected a number from 0 to 1")
        self._pending = (min(1.0, max(0.0, fraction)), str(message)[:MAX_MESSAGE])
        self._flush_if_due()

    def check(self) -> None:
        if self.is_cancelled():
            raise JobCancelled()

    def is_cancelled(self) -> bool:
        self._flush_if_due()
        return self._cancel_requested()

    def _flush_if_due(self) -> None:
        now = time.monotonic()
        if self._pending is not None and now - self._last_sent >= self.interval:
            fraction, message = self._pending
            self._pending = None
            self._last_sent = now
            self._deliver(fraction, message)

    @abstractmethod
    def _deliver(self, fraction: float, message: str) -> None:
        """Send the latest progress to the owner."""

    @abstractmethod
    def _cancel_requested(self) -> bool:
        """Whether the owner asked this job to stop."""
