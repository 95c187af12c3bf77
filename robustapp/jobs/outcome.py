"""Running one job function and turning whatever happens into a plain, picklable Outcome.

    run_captured(fn, …) ──▶ Outcome("succeeded", result_json=…)
                        ──▶ Outcome("failed", error="ValueError: …", traceback=…)
                        ──▶ Outcome("cancelled")

Used in worker processes and on DB task threads alike. Exceptions never travel as objects
(some cannot be unpickled): only their text does. Stdlib only: it is loaded in every worker.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from robustapp.jobs.progress import JobCancelled, Reporter

MAX_RESULT_CHARS = 16 * 2**20  # a result is a row in the jobs table; bigger data belongs in a file


@dataclass(frozen=True)
class Call:
    """One submission of a job to a worker: everything the worker needs, by name and value."""

    submission: int  # unique per submission: a job resubmitted after a pool rebuild gets a new one
    job_id: int
    name: str
    module: str  # imported by the worker to register `name`
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """How one run of a job function ended."""

    state: str  # "succeeded" | "failed" | "cancelled" (JobState values; the domain is not imported here)
    result_json: str | None = None
    error: str | None = None
    traceback: str | None = None
    started_at: float | None = None  # time.time() when the function was called (news of the start may come later)
    pid: int | None = None  # the process it ran in

    @classmethod
    def failure(cls, error: str, trace: str | None = None) -> Outcome:
        return cls("failed", error=error, traceback=trace)


def describe(exc: BaseException) -> str:
    """One line naming the exception: "ValueError: bad input"."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def run_captured(fn: Callable[..., Any], args: Sequence[Any], params: dict[str, Any], progress: Reporter) -> Outcome:
    """Call `fn(*args, **params)` and describe how it ended; never raises."""
    try:
        value = fn(*args, **params)
    except JobCancelled:
        return Outcome("cancelled")
    # BaseException on purpose: a job's SystemExit would otherwise end a DB task's thread without a
    # word, and the job would stay "running" forever.
    except BaseException as exc:
        if progress.is_cancelled():  # e.g. DuckDB's InterruptException after cancel()
            return Outcome("cancelled")
        own_frames = exc.__traceback__.tb_next if exc.__traceback__ else None  # from the job's code on
        trace = "".join(traceback.format_exception(type(exc), exc, own_frames))
        return Outcome.failure(describe(exc), trace)
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        return Outcome.failure(
            f"the job's result cannot be stored as JSON ({exc}); return numbers, strings, lists and "
            "dicts, or write a file and return its path"
        )
    if len(text) > MAX_RESULT_CHARS:
        return Outcome.failure(
            f"the job's result is too large to store ({len(text) / 2**20:.0f} MB of JSON, at most "
            f"{MAX_RESULT_CHARS // 2**20} MB); write it to a file (e.g. Parquet) and return the path"
        )
    return Outcome("succeeded", result_json=text)
