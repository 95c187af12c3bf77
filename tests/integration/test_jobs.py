"""Background jobs on a real DuckDB file with real spawn workers: results, progress, errors, listing."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from robustapp.domain.jobs import JobState
from robustapp.errors import JobError, JobNotFoundError, JobParamsError, UnknownJobError
from robustapp.jobs import builtin
from robustapp.services.jobs import JobService
from robustapp.storage import jobs as job_records
from tests.integration.helpers import wait_until
from tests.integration.jobs_support import job_service


@pytest.fixture
def jobs(tmp_path: Path) -> Iterator[JobService]:
    with job_service(tmp_path / "jobs.duckdb", workers=1) as service:
        yield service


def test_a_job_succeeds_with_its_result_and_its_record_is_kept(jobs: JobService) -> None:
    job_id = jobs.enqueue("pi", samples=200_000, chunks=4, seed=1)

    info = jobs.wait(job_id, timeout=30)

    assert info.state is JobState.SUCCEEDED
    assert math.isclose(info.result["pi"], math.pi, abs_tol=0.05)
    assert info.result["samples"] == 200_000
    assert info.progress == 1.0
    assert info.error is None
    assert info.created_at <= info.started_at <= info.finished_at  # type: ignore[operator]
    assert info.pid is not None
    assert job_records.get(jobs.db, job_id) == info  # what poll showed is what the database holds


def test_progress_is_seen_between_zero_and_one_with_its_messages(jobs: JobService) -> None:
    job_id = jobs.enqueue("sleep", seconds=0.5, steps=10)
    seen = []

    info = jobs.poll(job_id)
    while not info.is_finished:
        if info.state is JobState.RUNNING:
            seen.append((info.progress, info.message))
        time.sleep(0.005)
        info = jobs.poll(job_id)

    between = [(fraction, message) for fraction, message in seen if 0 < fraction < 1]
    assert between, f"no progress between 0 and 1 was seen: {seen}"
    assert all(message.startswith("step ") and message.endswith(" of 10") for _, message in between)
    assert [fraction for fraction, _ in seen] == sorted(fraction for fraction, _ in seen)
    assert info.state is JobState.SUCCEEDED


def test_an_exception_fails_the_job_with_its_traceback(jobs: JobService) -> None:
    info = jobs.wait(jobs.enqueue("fail", message="bad input in row 7"), timeout=30)

    assert info.state is JobState.FAILED
    assert info.error == "JobFailedOnPurpose: bad input in row 7"
    assert info.traceback is not None
    assert "builtin.py" in info.traceback and "raise JobFailedOnPurpose(message)" in info.traceback
    assert info.result is None


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("test.not_json", "the job's result cannot be stored as JSON"),
        ("test.exits", "SystemExit: 3"),
        ("test.db_fails", "CatalogException"),
    ],
)
def test_what_a_job_cannot_do_fails_it_with_a_clear_error(jobs: JobService, name: str, error: str) -> None:
    info = jobs.wait(jobs.enqueue(name), timeout=30)

    assert info.state is JobState.FAILED
    assert error in (info.error or "")


def test_list_jobs_shows_the_newest_first_and_filters_by_state(jobs: JobService) -> None:
    ok = jobs.enqueue("noop")
    bad = jobs.enqueue("fail")
    jobs.wait(bad, timeout=30)
    jobs.wait(ok, timeout=30)

    assert [info.id for info in jobs.list_jobs()] == [bad, ok]
    assert [info.id for info in jobs.list_jobs(state=JobState.FAILED)] == [bad]
    assert [info.id for info in jobs.list_jobs(state=[JobState.SUCCEEDED, JobState.FAILED], limit=1)] == [bad]
    assert jobs.list_jobs(state=JobState.RUNNING) == []
    assert [info.id for info in jobs.list_jobs(state="succeeded")] == [ok]
    assert [info.id for info in jobs.list_jobs(name="noop")] == [ok]
    assert [info.id for info in jobs.list_jobs(name="fail", state=JobState.SUCCEEDED)] == []
    assert jobs.counts() == {"queued": 0, "running": 0}


def test_list_jobs_by_name_sees_running_jobs_too(jobs: JobService) -> None:
    sleeping = jobs.enqueue("sleep", seconds=20, steps=200)
    jobs.enqueue("noop")
    assert wait_until(lambda: jobs.poll(sleeping).state is JobState.RUNNING)
    assert [(info.id, info.state) for info in jobs.list_jobs(name="sleep")] == [(sleeping, JobState.RUNNING)]
    jobs.cancel(sleeping)


def test_a_db_task_runs_inside_duckdb_on_the_apps_database(jobs: JobService) -> None:
    summed = jobs.wait(jobs.enqueue("db.range_sum", n=1000), timeout=30)
    counted = jobs.wait(jobs.enqueue("test.db_count", table="jobs"), timeout=30)

    assert (summed.state, summed.result, summed.kind) == (JobState.SUCCEEDED, sum(range(1000)), "db")
    assert (counted.state, counted.result) == (JobState.SUCCEEDED, 2)


def test_a_job_can_hand_a_parquet_file_to_the_owner(jobs: JobService, tmp_path: Path) -> None:
    target = tmp_path / "generated.parquet"

    info = jobs.wait(jobs.enqueue("parquet", path=str(target), rows=1234), timeout=30)

    assert info.state is JobState.SUCCEEDED
    assert jobs.db.query_one("SELECT count(*) FROM read_parquet(?)", [info.result["path"]]) == (1234,)


def test_workers_never_load_the_database_or_the_ui(jobs: JobService) -> None:
    jobs.wait(jobs.enqueue("noop"), timeout=30)  # the built-in jobs' module is loaded in the worker too

    info = jobs.wait(jobs.enqueue("test.loaded_modules"), timeout=30)

    assert info.state is JobState.SUCCEEDED
    loaded = set(info.result)
    assert {"robustapp.jobs.worker", "robustapp.jobs.builtin"} <= loaded
    assert not {"duckdb", "streamlit", "robustapp.storage", "robustapp.services", "pydantic"} & loaded


def test_workers_run_at_a_lower_cpu_priority_than_the_app(jobs: JobService) -> None:
    info = jobs.wait(jobs.enqueue("sleep", seconds=0.05, steps=1), timeout=30)

    assert info.state is JobState.SUCCEEDED
    worker = info.result["pid"]  # it lives on in the pool
    if hasattr(os, "SCHED_IDLE"):
        assert os.sched_getscheduler(worker) == os.SCHED_IDLE
    else:
        assert psutil.Process(worker).nice() >= psutil.Process().nice() + 10


def test_a_rerun_is_a_new_attempt_with_the_same_parameters(jobs: JobService) -> None:
    first = jobs.wait(jobs.enqueue("fail", message="flaky"), timeout=30)

    second = jobs.wait(jobs.rerun(first.id), timeout=30)

    assert (second.name, second.params, second.state) == ("fail", {"message": "flaky"}, JobState.FAILED)
    assert (second.attempt, second.rerun_of) == (2, first.id)
    assert second.id != first.id


def test_only_a_finished_job_can_be_rerun(jobs: JobService) -> None:
    job_id = jobs.enqueue("sleep", seconds=5)

    with pytest.raises(JobError, match=rf"job {job_id} is (queued|running); re-run it once it has finished"):
        jobs.rerun(job_id)
    jobs.cancel(job_id)


def test_jobs_are_named_by_registered_function_or_name_and_checked_before_they_are_queued(jobs: JobService) -> None:
    assert jobs.wait(jobs.enqueue(builtin.noop), timeout=30).state is JobState.SUCCEEDED
    with pytest.raises(UnknownJobError, match="no job is registered as 'no.such.job'"):
        jobs.enqueue("no.such.job")
    with pytest.raises(UnknownJobError, match="is not a registered job; decorate it with @job"):
        jobs.enqueue(lambda progress: None)
    with pytest.raises(JobParamsError, match="job 'sleep': got an unexpected keyword argument 'minutes'"):
        jobs.enqueue("sleep", minutes=3)
    with pytest.raises(JobParamsError, match="job 'sleep': parameters must be JSON values"):
        jobs.enqueue("sleep", seconds=object())
    with pytest.raises(JobNotFoundError, match="there is no job 999"):
        jobs.poll(999)
    assert [info.name for info in jobs.list_jobs()] == ["noop"]  # nothing refused was recorded


def test_a_job_enqueued_while_no_service_runs_is_kept_and_runs_at_the_next_start(tmp_path: Path) -> None:
    path = tmp_path / "later.duckdb"
    with job_service(path, start=False) as offline:
        job_id = offline.enqueue("noop")
        assert offline.wait(job_id, timeout=0.1).state is JobState.QUEUED

    with job_service(path) as jobs:
        assert jobs.wait(job_id, timeout=30).state is JobState.SUCCEEDED


def test_only_the_newest_finished_jobs_are_kept_from_one_start_to_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from robustapp.services import jobs as job_module

    monkeypatch.setattr(job_module, "KEEP_FINISHED", 3)
    path = tmp_path / "history.duckdb"
    with job_service(path, start=False) as offline:
        finished = [offline.enqueue("noop") for _ in range(5)]
        for job_id in finished:
            offline.cancel(job_id)  # recorded as cancelled: finished
        waiting = offline.enqueue("sleep", seconds=0.01, steps=1)

    with job_service(path) as jobs:
        assert jobs.wait(waiting, timeout=30).state is JobState.SUCCEEDED
        kept = [info.id for info in jobs.list_jobs(limit=100)]
    assert kept == [waiting, *reversed(finished[2:])]  # the two oldest finished jobs went; the queued one ran
