"""One active job as the scheduler tracks it, and the rules for how it ends.

    Finished(outcome) ──▶ ending(ticket, outcome)       ──▶ (final state, changes)
    Broken(deaths)    ──▶ after_break(ticket, deaths)   ──▶ (final state, changes), or None: start it again

A job asked to stop (cancel, time limit, shutdown) ends as asked even when it raised or its
worker was killed on the way; a success that beat the request still counts. Only the job
whose own worker died fails when the pool breaks; the others are innocent and start again.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from robustapp.domain.jobs import JobInfo, JobState
from robustapp.jobs.outcome import Outcome
from robustapp.jobs.registry import JobSpec

MAX_RESTARTS = 3  # pool rebuilds a job may live through before it is failed

Ending = tuple[JobState, dict[str, Any]]


@dataclass
class Stop:
    """Why a running job is being stopped, and what it becomes once it has."""

    state: JobState
    error: str | None
    kill_at: float  # monotonic time its worker is killed if it still runs


@dataclass
class Ticket:
    """The scheduler's working record of one active job."""

    info: JobInfo
    spec: JobSpec
    submission: int = 0  # 0: waiting in the queue
    deadline: float = math.inf  # monotonic time its time limit strikes
    stop: Stop | None = None
    restarts: int = 0
    dirty: bool = False  # changed since it was last saved
    saved_at: float = 0.0  # monotonic


def ending(ticket: Ticket, outcome: Outcome) -> Ending:
    """How the job ends, given how its function's run ended."""
    started = ticket.info.started_at
    if started is None and outcome.started_at is not None:  # its end overtook the news of its start
        started = datetime.fromtimestamp(outcome.started_at, UTC)
    common: dict[str, Any] = {"started_at": started, "pid": outcome.pid or ticket.info.pid}
    if outcome.state == JobState.SUCCEEDED:
        result = json.loads(outcome.result_json) if outcome.result_json is not None else None
        return JobState.SUCCEEDED, {"result": result, **common}
    if ticket.stop is not None:
        return ticket.stop.state, {"error": ticket.stop.error, **common}
    if outcome.state == JobState.CANCELLED:
        return JobState.CANCELLED, common
    return JobState.FAILED, {"error": outcome.error, "traceback": outcome.traceback, **common}


def after_break(ticket: Ticket, deaths: dict[int, str]) -> Ending | None:
    """How the job ends when the pool broke under it; None when it should start again."""
    pid = ticket.info.pid
    death = deaths.get(pid) if pid is not None else None
    if ticket.stop is not None:
        return ticket.stop.state, {"error": ticket.stop.error}
    if death is not None:
        return JobState.FAILED, {"error": f"the worker process (PID {pid}) died: {death}"}
    if ticket.restarts >= MAX_RESTARTS:
        return JobState.FAILED, {"error": f"the worker pool broke {ticket.restarts + 1} times while this job was in it"}
    return None
