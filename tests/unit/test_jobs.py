"""The pure parts of jobs: states, the registry, the progress reporter, capturing how a job ended."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from robustapp.domain.jobs import JobInfo, JobState, finish
from robustapp.errors import JobParamsError, UnknownJobError
from robustapp.jobs import JobCancelled, Progress, job, outcome, registry
from robustapp.jobs.outcome import run_captured
from robustapp.jobs.progress import Reporter

T0 = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


class RecordingReporter(Reporter):
    """A Reporter that keeps what it delivers; cancelled on demand."""

    def __init__(self) -> None:
        super().__init__()
        self.delivered: list[tuple[float, str]] = []
        self.cancelled = False

    def _deliver(self, fraction: float, message: str) -> None:
        self.delivered.append((fraction, message))

    def _cancel_requested(self) -> bool:
        return self.cancelled


@job("unit.add")
def add(progress: Progress, *, a: int, b: int = 1) -> int:
    """Add two numbers.

    The long description."""
    return a + b


@job("unit.count_rows", kind="db", timeout=5)
def count_rows(cursor: object, progress: Progress, *, table: str) -> int:
    return 0


def test_only_queued_and_running_are_unfinished() -> None:
    assert [state for state in JobState if not state.is_finished] == [JobState.QUEUED, JobState.RUNNING]


def test_finishing_fills_progress_only_for_a_success() -> None:
    info = JobInfo(id=1, name="x", created_at=T0, started_at=T0, timeout=10, progress=0.4, state=JobState.RUNNING)

    succeeded = finish(info, JobState.SUCCEEDED, T0 + timedelta(seconds=2), result=3)
    failed = finish(info, JobState.FAILED, T0 + timedelta(seconds=2), error="ValueError: no")

    assert (succeeded.progress, succeeded.result, succeeded.duration) == (1.0, 3, 2.0)
    assert (failed.progress, failed.error) == (0.4, "ValueError: no")
    with pytest.raises(ValueError, match="running is not a final state"):
        finish(info, JobState.RUNNING, T0)
    with pytest.raises(ValueError, match="job 1 is already succeeded"):
        finish(succeeded, JobState.FAILED, T0)


def test_a_job_is_found_by_name_or_by_its_function() -> None:
    spec = registry.spec_for("unit.add")

    assert registry.spec_for(add) is spec
    assert (spec.kind, spec.timeout, spec.module, spec.title) == ("process", None, __name__, "Add two numbers.")
    assert (registry.get("unit.count_rows").kind, registry.get("unit.count_rows").timeout) == ("db", 5)
    assert {"pi", "sleep", "fail", "noop", "parquet", "db.range_sum"} <= {s.name for s in registry.registered()}


def test_a_name_belongs_to_one_function() -> None:
    with pytest.raises(ValueError, match=f"job name 'unit.add' is taken by {__name__}.add"):

        @job("unit.add")
        def other(progress: Progress) -> None: ...

    with pytest.raises(UnknownJobError, match="no job is registered as 'unit.nothing'"):
        registry.get("unit.nothing")
    with pytest.raises(UnknownJobError, match="cannot import no_such_module"):
        registry.get("unit.elsewhere", "no_such_module")


def test_parameters_are_checked_against_the_signature() -> None:
    registry.spec_for(add).check_params({"a": 1})
    registry.spec_for(count_rows).check_params({"table": "t"})

    with pytest.raises(JobParamsError, match="job 'unit.add': missing a required argument: 'a'"):
        registry.spec_for(add).check_params({})
    with pytest.raises(JobParamsError, match="got an unexpected keyword argument 'c'"):
        registry.spec_for(add).check_params({"a": 1, "c": 2})


def test_the_reporter_clamps_throttles_and_stops_a_cancelled_job(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    monkeypatch.setattr("robustapp.jobs.progress.time.monotonic", lambda: clock[0])
    progress = RecordingReporter()

    progress.report(-1, "start")
    progress.report(0.5, "half")  # within the interval: kept for later
    clock[0] += 0.06
    assert progress.is_cancelled() is False  # any call delivers what is due
    progress.report(7, "x" * 1000)
    clock[0] += 0.06
    progress.check()

    assert progress.delivered == [(0.0, "start"), (0.5, "half"), (1.0, "x" * 500)]
    with pytest.raises(ValueError, match="NaN"):
        progress.report(float("nan"))
    progress.cancelled = True
    with pytest.raises(JobCancelled):
        progress.report(0.9)
    assert not issubclass(JobCancelled, Exception)  # a job's `except Exception` cannot swallow it


def test_run_captured_describes_every_ending(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(progress: Progress) -> None:
        raise KeyError("row 7")

    def stops(progress: Progress) -> None:
        progress.check()

    def swallows(progress: Progress) -> int:
        try:
            progress.check()
        except Exception:  # noqa: BLE001 - what a careless job does
            return 1
        return 0

    progress = RecordingReporter()
    assert run_captured(add, (progress,), {"a": 2}, progress) == outcome.Outcome("succeeded", result_json="3")
    failed = run_captured(boom, (progress,), {}, progress)
    assert (failed.state, failed.error) == ("failed", "KeyError: 'row 7'")
    assert failed.traceback is not None and failed.traceback.startswith("Traceback") and "in boom" in failed.traceback
    assert "run_captured" not in failed.traceback  # it starts at the job's own code
    assert run_captured(lambda p: {1}, (progress,), {}, progress).error.startswith(  # type: ignore[union-attr]
        "the job's result cannot be stored as JSON"
    )
    monkeypatch.setattr(outcome, "MAX_RESULT_CHARS", 10)
    too_large = run_captured(lambda p: "x" * 20, (progress,), {}, progress)
    assert "too large to store" in (too_large.error or "")
    progress.cancelled = True
    assert run_captured(stops, (progress,), {}, progress).state == "cancelled"
    assert run_captured(swallows, (progress,), {}, progress).state == "cancelled"
    assert json.loads(run_captured(add, (progress,), {"a": 1}, progress).result_json or "") == 2
