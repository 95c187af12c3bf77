"""What a background job is: its states and the record the app shows for it.

    queued ──▶ running ──▶ succeeded | failed | cancelled
       │          │
       │          └──▶ interrupted   (the app stopped or crashed while it ran; re-run it)
       └──▶ cancelled                (cancelled before it started)

A re-run is a new job (`rerun_of` names the old one, `attempt` counts up); a finished job
never changes again.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

JobKind = Literal["process", "db"]  # a worker process, or a thread with its own DuckDB cursor


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"

    @property
    def is_finished(self) -> bool:
        """True for the states a job never leaves."""
        return self not in (JobState.QUEUED, JobState.RUNNING)


class JobInfo(BaseModel):
    """One job as the app shows it: what runs, how far it is, and how it ended."""

    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    kind: JobKind = "process"
    params: dict[str, Any] = Field(default_factory=dict)
    state: JobState = JobState.QUEUED
    progress: float = 0.0  # 0–1
    message: str = ""  # the job's last progress message, or what the app is doing with it
    result: Any = None  # JSON-compatible; big results are files whose path is the result
    error: str | None = None  # one line: "ValueError: …", "timed out after 2 s", why it was interrupted
    traceback: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    timeout: float  # seconds of running before it is stopped and failed
    attempt: int = 1  # 1, then +1 per re-run
    rerun_of: int | None = None
    owner: str = "local"
    pid: int | None = None  # the worker process running it (process jobs)

    @property
    def is_finished(self) -> bool:
        return self.state.is_finished

    @property
    def duration(self) -> float | None:
        """Seconds from start to finish (or to now, while it runs); None before it started."""
        if self.started_at is None:
            return None
        end = self.finished_at or datetime.now(self.started_at.tzinfo)
        return max(0.0, (end - self.started_at).total_seconds())


def finish(info: JobInfo, state: JobState, at: datetime, **changes: Any) -> JobInfo:
    """`info` in its final `state`; progress is full only for a success."""
    if not state.is_finished:
        raise ValueError(f"{state} is not a final state")
    if info.is_finished:
        raise ValueError(f"job {info.id} is already {info.state}")
    progress = 1.0 if state is JobState.SUCCEEDED else info.progress
    return info.model_copy(update={"state": state, "finished_at": at, "progress": progress, **changes})
