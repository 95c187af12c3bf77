"""Jobs when things go wrong: a killed worker, a crashed owner, cancel, time limits, a stop.

Real spawn workers, real SIGKILLs, a real DuckDB file; no mocks.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from robustapp.domain.jobs import JobState
from robustapp.services.jobs import APP_STOPPED, CRASHED, JobService
from tests.integration.helpers import wait_until
from tests.integration.jobs_support import is_running_in_a_worker, job_service, wait_for

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses POSIX signals")


@pytest.fixture
def jobs(tmp_path: Path) -> Iterator[JobService]:
    with job_service(tmp_path / "jobs.duckdb", workers=2) as service:
        yield service


def test_a_killed_worker_fails_only_its_job_and_the_others_go_on(jobs: JobService) -> None:
    victim = jobs.enqueue("sleep", seconds=30)
    bystander = jobs.enqueue("sleep", seconds=0.5, steps=5)
    later = jobs.enqueue("pi", samples=10_000, chunks=2)
    pid = wait_for(jobs, victim, is_running_in_a_worker).pid
    wait_for(jobs, bystander, is_running_in_a_worker)

    os.kill(pid, signal.SIGKILL)  # type: ignore[arg-type]

    failed = jobs.wait(victim, timeout=20)
    assert failed.state is JobState.FAILED
    assert failed.error == f"the worker process (PID {pid}) died: killed by signal 9 (SIGKILL)"
    assert jobs.wait(bystander, timeout=20).state is JobState.SUCCEEDED  # resubmitted to the rebuilt pool
    assert jobs.wait(later, timeout=20).state is JobState.SUCCEEDED
    assert jobs.wait(jobs.enqueue("noop"), timeout=20).state is JobState.SUCCEEDED


_CRASHING_OWNER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from robustapp.services.jobs import JobService
    from robustapp.storage import Database, migrate, jobs as records

    db = Database(Path(sys.argv[1]))
    migrate(db)
    jobs = JobService(db, workers=1)
    jobs.start()
    running, waiting = jobs.enqueue("sleep", seconds=1.0), jobs.enqueue("noop")
    while records.get(db, running).state != "running":  # until the database says so
        time.sleep(0.01)
    print("READY", running, waiting, flush=True)
    time.sleep(60)
    """
)


def test_a_crash_leaves_running_jobs_interrupted_queued_ones_queued_and_no_orphan_workers(tmp_path: Path) -> None:
    path = tmp_path / "crash.duckdb"
    owner = subprocess.Popen([sys.executable, "-c", _CRASHING_OWNER, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout is not None
        ready = next(line for line in owner.stdout if line.startswith("READY"))
        running, waiting = map(int, ready.split()[1:])
        workers = psutil.Process(owner.pid).children(recursive=True)
        owner.kill()
        owner.wait(timeout=30)
    finally:
        if owner.poll() is None:
            owner.kill()
        owner.stdout.close()  # type: ignore[union-attr]
    assert workers
    assert wait_until(lambda: not any(_alive(worker) for worker in workers), timeout=10), "orphaned workers live on"

    with job_service(path, start=False) as jobs:
        assert jobs.start() == [running]

        interrupted = jobs.poll(running)
        assert (interrupted.state, interrupted.error) == (JobState.INTERRUPTED, CRASHED)
        assert jobs.wait(waiting, timeout=20).state is JobState.SUCCEEDED  # queued: still wanted, so it ran
        rerun = jobs.wait(jobs.rerun(running), timeout=20)
        assert (rerun.state, rerun.rerun_of, rerun.attempt) == (JobState.SUCCEEDED, running, 2)


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.parametrize(
    ("params", "killed"),
    [
        pytest.param({"name": "pi", "samples": 4_000_000_000, "chunks": 4_000}, False, id="cooperative"),
        pytest.param({"name": "sleep", "seconds": 60, "deaf": True}, True, id="deaf-so-its-worker-is-killed"),
    ],
)
def test_cancel_stops_a_running_cpu_job_within_a_second(jobs: JobService, params: dict, killed: bool) -> None:
    job_id = jobs.enqueue(params.pop("name"), **params)
    pid = wait_for(jobs, job_id, is_running_in_a_worker).pid

    asked = time.monotonic()
    jobs.cancel(job_id)
    info = jobs.wait(job_id, timeout=10)
    took = time.monotonic() - asked

    assert info.state is JobState.CANCELLED
    assert took < 1.5, f"cancelling took {took:.2f} s"
    after = jobs.wait(jobs.enqueue("noop"), timeout=20)
    assert after.state is JobState.SUCCEEDED
    assert (after.pid != pid) is killed  # a job that listens is stopped without losing its worker


def test_cancel_interrupts_a_running_duckdb_query_and_the_database_still_works(jobs: JobService) -> None:
    job_id = jobs.enqueue("db.range_sum", n=1_000_000_000, width=1_000)  # hours of work
    wait_for(jobs, job_id, lambda info: info.state is JobState.RUNNING and info.message.startswith("summing"))
    time.sleep(0.2)  # well inside the query

    asked = time.monotonic()
    jobs.cancel(job_id)
    info = jobs.wait(job_id, timeout=10)

    assert info.state is JobState.CANCELLED
    assert time.monotonic() - asked < 1.5
    assert jobs.wait(jobs.enqueue("db.range_sum", n=10), timeout=20).result == 45
    assert jobs.db.query_one("SELECT count(*) FROM jobs") == (2,)


def test_a_queued_job_is_cancelled_at_once(tmp_path: Path) -> None:
    with job_service(tmp_path / "one.duckdb", workers=1) as jobs:
        busy = jobs.enqueue("sleep", seconds=30)
        waiting = jobs.enqueue("noop")

        info = jobs.cancel(waiting)

        assert (info.state, info.message) == (JobState.CANCELLED, "cancelled before it started")
        assert jobs.cancel(busy).message == "cancelling…"


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"name": "sleep", "seconds": 60, "steps": 600}, id="cooperative"),
        pytest.param({"name": "sleep", "seconds": 60, "deaf": True}, id="deaf-so-its-worker-is-killed"),
        pytest.param({"name": "db.range_sum", "n": 1_000_000_000, "width": 1_000}, id="duckdb-query"),
    ],
)
def test_a_job_past_its_time_limit_is_stopped_and_failed(jobs: JobService, params: dict) -> None:
    job_id = jobs.enqueue(params.pop("name"), job_timeout=0.5, **params)

    info = jobs.wait(job_id, timeout=20)

    assert (info.state, info.error) == (JobState.FAILED, "timed out after 0.5 s (its time limit)")
    assert 0.5 <= info.duration < 3  # type: ignore[operator]
    assert jobs.wait(jobs.enqueue("noop"), timeout=20).state is JobState.SUCCEEDED


def test_stopping_the_service_interrupts_running_jobs_and_keeps_queued_ones(tmp_path: Path) -> None:
    path = tmp_path / "stop.duckdb"
    with job_service(path, workers=1) as jobs:
        running = jobs.enqueue("sleep", seconds=30)
        waiting = jobs.enqueue("noop")
        wait_for(jobs, running, is_running_in_a_worker)

        jobs.stop()

        stopped = jobs.poll(running)
        assert (stopped.state, stopped.error) == (JobState.INTERRUPTED, APP_STOPPED)
        assert jobs.poll(waiting).state is JobState.QUEUED

        jobs.start()
        assert jobs.wait(waiting, timeout=20).state is JobState.SUCCEEDED
