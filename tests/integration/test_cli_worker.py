"""`robustapp worker`: the queued jobs run headless; SIGTERM stops it cleanly; one owner at a time.

(That it refuses while the app runs is checked in test_cli_running.py, beside a running server.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from robustapp import cli
from robustapp.config import Paths, load_settings
from robustapp.domain.jobs import JobState
from robustapp.services.worker import WORKER_STOPPED
from tests.integration.helpers import robustapp, wait_until
from tests.integration.jobs_support import job_service


@pytest.fixture
def paths(app_home: Path) -> Paths:
    return load_settings().paths.ensure()


def test_the_worker_runs_the_queued_jobs_headless_and_exits_when_idle(paths: Paths) -> None:
    with job_service(paths.db_path, start=False) as offline:
        ok = offline.enqueue("pi", samples=100_000, chunks=2)
        bad = offline.enqueue("fail")

    result = CliRunner().invoke(cli.app, ["worker", "--workers", "1", "--until-idle"])

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"worker started: 1 process(es), 2 job(s) queued, database {paths.db_path}"
    assert any(line.startswith(f"job {ok} pi: succeeded after ") for line in lines), lines
    assert any(
        line.startswith(f"job {bad} fail: failed after ")
        and line.endswith(": JobFailedOnPurpose: this job fails on purpose")
        for line in lines
    ), lines
    assert lines[-1] == "worker done: 2 job(s) finished"
    with job_service(paths.db_path, start=False) as offline:
        assert offline.poll(ok).state is JobState.SUCCEEDED
        assert offline.poll(bad).state is JobState.FAILED


def test_the_worker_runs_a_queued_import_into_the_database_it_owns(paths: Paths, tmp_path: Path) -> None:
    source = tmp_path / "sales.csv"
    source.write_text("region,units\nnorth,3\nsouth,5\n", encoding="utf-8")
    with job_service(paths.db_path, start=False) as offline:
        job_id = offline.enqueue("data.import", path=str(source), name="sales")

    result = CliRunner().invoke(cli.app, ["worker", "--until-idle"])

    assert result.exit_code == 0, result.output
    assert f"job {job_id} data.import: succeeded" in result.stdout, result.stdout
    assert "worker started: 1 process(es), 1 job(s) queued" in result.stdout
    with job_service(paths.db_path, start=False) as offline:
        assert offline.poll(job_id).result["rows"] == 2


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
def test_sigterm_stops_the_worker_and_interrupts_its_running_job(paths: Paths) -> None:
    with job_service(paths.db_path, start=False) as offline:
        running = offline.enqueue("sleep", seconds=60, steps=600)
        waiting = offline.enqueue("noop")
    worker = subprocess.Popen(
        [sys.executable, "-m", "robustapp", "worker", "--workers", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=dict(os.environ),
    )  # fmt: skip
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.extend(worker.stdout), daemon=True)  # type: ignore[arg-type]
    reader.start()
    try:
        assert wait_until(lambda: f"job {running} sleep: running" in out_lines(out), timeout=30), out

        second = robustapp("worker")
        assert second.returncode == 1
        assert second.stderr.startswith(
            "AlreadyRunningError: another robustapp process (a worker, or an app that is starting) owns "
            f"{paths.data_dir}"
        )

        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=30)
        reader.join(timeout=10)
        worker.stdout.close()  # type: ignore[union-attr]
        stderr = worker.stderr.read()  # type: ignore[union-attr]
        worker.stderr.close()  # type: ignore[union-attr]
    assert out_lines(out)[-1] == "worker stopped", (out, stderr)
    with job_service(paths.db_path, start=False) as offline:
        stopped = offline.poll(running)
        assert (stopped.state, stopped.error) == (JobState.INTERRUPTED, WORKER_STOPPED)
        assert offline.poll(waiting).state is JobState.QUEUED  # left for the next worker or the app


def out_lines(out: list[str]) -> list[str]:
    return [line.rstrip("\n") for line in list(out)]
