"""The served app runs the jobs: its lifespan starts the job service and stops it before the database closes.

Each test starts a real `robustapp run --headless` (one job worker) on a home whose queue was filled
while no app ran, and looks at the jobs through /api/status while it runs, in the file once it stopped.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

from robustapp.config import Paths
from robustapp.domain.jobs import JobState
from robustapp.services.jobs import APP_STOPPED, CRASHED
from tests.integration.helpers import wait_until
from tests.integration.jobs_support import job_service
from tests.servers import HeadlessApp



@contextmanager
def served(home: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A headless server on `home` with one job worker; yields it and its base URL, kills it if the test left it running."""
    with HeadlessApp(home, job_max_workers="1") as app:
        yield app.process, app.base_url


def _api(paths: Paths, url: str, method: str = "GET") -> dict:
    token = paths.token_file.read_text(encoding="utf-8").strip()
    request = urllib.request.Request(
        url, method=method, data=b"" if method == "POST" else None, headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_the_app_runs_the_queued_jobs_survives_a_killed_worker_and_a_stop_interrupts_the_running_job(
    tmp_path: Path,
) -> None:
    paths = Paths.for_home(tmp_path).ensure()
    with job_service(paths.db_path, start=False) as offline:
        victim = offline.enqueue("sleep", seconds=60, steps=600)
        after = offline.enqueue("noop")
        slow = offline.enqueue("sleep", seconds=60, steps=600)

    with served(tmp_path) as (proc, url):
        assert wait_until(lambda: _jobs(paths, url) == {"queued": 2, "running": 1}, timeout=30)
        worker = _the_worker_of(proc.pid)
        os.kill(worker, signal.SIGKILL)
        # the app keeps serving; the victim failed, the next queued job ran, the last one now runs
        assert wait_until(lambda: _jobs(paths, url) == {"queued": 0, "running": 1}, timeout=30)
        _api(paths, url + "/api/shutdown", method="POST")
        assert proc.wait(timeout=30) == 0

    with job_service(paths.db_path, start=False) as offline:
        killed = offline.poll(victim)
        assert killed.state is JobState.FAILED
        assert killed.error == f"the worker process (PID {worker}) died: killed by signal 9 (SIGKILL)"
        assert offline.poll(after).state is JobState.SUCCEEDED
        stopped = offline.poll(slow)
        assert (stopped.state, stopped.error) == (JobState.INTERRUPTED, APP_STOPPED)


def _jobs(paths: Paths, base_url: str) -> dict:
    return _api(paths, base_url + "/api/status")["jobs"]


def _the_worker_of(server_pid: int) -> int:
    """The one job worker the server spawned (not multiprocessing's resource tracker)."""
    workers = [
        child.pid
        for child in psutil.Process(server_pid).children()
        if any("spawn_main" in part for part in child.cmdline())
    ]
    assert len(workers) == 1, workers
    return workers[0]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_server_killed_mid_job_leaves_the_job_interrupted_and_rerunnable(tmp_path: Path) -> None:
    paths = Paths.for_home(tmp_path).ensure()
    with job_service(paths.db_path, start=False) as offline:
        job_id = offline.enqueue("sleep", seconds=0.5, steps=5)

    with served(tmp_path) as (proc, url):
        assert wait_until(lambda: _jobs(paths, url) == {"queued": 0, "running": 1}, timeout=30)
        time.sleep(0.1)  # "running" is saved in the round after the start
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

    with job_service(paths.db_path) as jobs:
        crashed = jobs.poll(job_id)
        assert (crashed.state, crashed.error) == (JobState.INTERRUPTED, CRASHED)
        rerun = jobs.wait(jobs.rerun(job_id), timeout=30)
        assert (rerun.state, rerun.rerun_of) == (JobState.SUCCEEDED, job_id)


def _refusal(paths: Paths, url: str, method: str = "GET") -> tuple[int, dict]:
    try:
        _api(paths, url, method)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
    raise AssertionError(f"{method} {url} was answered")


def test_the_control_api_queues_lists_cancels_and_reruns_jobs_of_the_running_app(tmp_path: Path) -> None:
    paths = Paths.for_home(tmp_path).ensure()
    with served(tmp_path) as (_proc, url):
        query = urllib.parse.urlencode({"name": "sleep", "params": json.dumps({"seconds": 30, "steps": 300})})
        job_id = _api(paths, f"{url}/api/jobs?{query}", "POST")["id"]
        assert wait_until(lambda: _api(paths, f"{url}/api/jobs/{job_id}")["state"] == "running", timeout=30)
        assert [job["id"] for job in _api(paths, f"{url}/api/jobs?state=running&name=sleep")] == [job_id]

        _api(paths, f"{url}/api/jobs/{job_id}/cancel", "POST")
        assert wait_until(lambda: _api(paths, f"{url}/api/jobs/{job_id}")["state"] == "cancelled", timeout=10)
        again = _api(paths, f"{url}/api/jobs/{job_id}/rerun", "POST")["id"]
        assert _api(paths, f"{url}/api/jobs/{again}")["rerun_of"] == job_id

        status, body = _refusal(paths, f"{url}/api/jobs?name=no.such.job", "POST")
        assert (status, body["kind"]) == (400, "UnknownJobError") and "no.such.job" in body["error"]
        assert _refusal(paths, f"{url}/api/jobs/999999")[0] == 404
        status, body = _refusal(paths, f"{url}/api/jobs?name=sleep&params=%7B%22bogus%22%3A1%7D", "POST")
        assert (status, body["kind"]) == (400, "JobParamsError") and "bogus" in body["error"]
        _api(paths, f"{url}/api/jobs/{again}/cancel", "POST")
