"""What the executors tell the scheduler, as small immutable messages on its one queue.

    ProcessPool / DbTaskRunner ──▶ Started · Reported · Finished · Broken ──▶ Scheduler thread

Every message names a submission (one try of one job), so news from a worker that ran an
earlier try of a job (before a pool rebuild) is recognised and dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from robustapp.jobs.outcome import Outcome


@dataclass(frozen=True)
class Started:
    """A job began running (in worker `pid`, or on a thread of this process) at `at` (time.time())."""

    submission: int
    pid: int
    at: float


@dataclass(frozen=True)
class Reported:
    """A job's latest progress."""

    submission: int
    fraction: float
    message: str


@dataclass(frozen=True)
class Finished:
    """A job's function returned, raised, or stopped on request."""

    submission: int
    outcome: Outcome


@dataclass(frozen=True)
class Broken:
    """The pool broke under this submission: some worker died, maybe the one running it.

    `deaths` maps each worker found dead when the pool broke to how it died.
    """

    submission: int
    deaths: dict[int, str] = field(default_factory=dict)
