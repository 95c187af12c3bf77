"""`robustapp worker`: run the queued jobs without the app (the same job service, headless).

    app running? ──▶ AlreadyRunningError (the app runs its jobs itself)
    server.lock ──▶ this process owns the data home (and the DuckDB file) while it works
    jobs.start() ──▶ report each job's changes ──▶ until stopped (Ctrl-C, SIGTERM) or idle (--until-idle)
    jobs.stop()  ──▶ running jobs interrupted, queued ones stay queued; the lock is released
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from robustapp import bootstrap
from robustapp.config import Settings
from robustapp.domain.jobs import JobInfo, JobState
from robustapp.errors import AlreadyRunningError
from robustapp.services import instance

WORKER_STOPPED = "the worker was stopped while the job ran; re-run it to start again"
POLL_SECONDS = 0.2


def run_worker(
    settings: Settings, *, echo: Callable[[str], None], until_idle: bool = False, stop: threading.Event | None = None
) -> int:
    """Run jobs until `stop` is set or KeyboardInterrupt (or, with `until_idle`, until nothing is
    left to do); returns how many jobs finished."""
    stop = stop or threading.Event()
    paths = settings.paths.ensure()
    running = instance.find_running(paths)
    if running is not None:
        raise AlreadyRunningError(
            f"the app is running (PID {running.pid}, {running.base_url}) and runs its jobs itself; "
            "stop it before running `robustapp worker`"
        )
    try:
        lock = instance.acquire_server_lock(paths)
    except AlreadyRunningError:
        raise AlreadyRunningError(
            f"another robustapp process (a worker, or an app that is starting) owns {paths.data_dir}"
        ) from None
    try:
        services = bootstrap.start(settings)  # the process's services: a DB task's bootstrap.services() is this one
        try:
            return _work(services, echo=echo, stop=stop, until_idle=until_idle)
        finally:
            services.jobs.stop(WORKER_STOPPED)
            bootstrap.stop()
    finally:
        lock.release()


def _work(services: bootstrap.Services, *, echo: Callable[[str], None], stop: threading.Event, until_idle: bool) -> int:
    jobs = services.jobs
    queued = jobs.list_jobs(state=JobState.QUEUED, limit=1_000_000)  # before start() sets them running
    for job_id in jobs.start():
        echo(f"job {job_id}: interrupted (it was running when the app or a worker ended)")
    echo(f"worker started: {jobs.workers} process(es), {len(queued)} job(s) queued, database {services.paths.db_path}")
    seen = {info.id: info.state for info in queued}  # the unfinished jobs, as last reported
    finished = 0
    while True:
        for job_id, state in sorted(seen.items()):
            info = jobs.poll(job_id)  # from memory while the job is active or just finished
            if info.state is not state:
                echo(_describe(info))
                seen[job_id] = info.state
        done = [job_id for job_id, state in seen.items() if state.is_finished]
        for job_id in done:
            del seen[job_id]
        finished += len(done)
        if stop.is_set() or (until_idle and not seen and jobs.wait_idle(0)):
            return finished
        stop.wait(POLL_SECONDS)


def _describe(info: JobInfo) -> str:
    line = f"job {info.id} {info.name}: {info.state}"
    if info.is_finished and info.duration is not None:
        line += f" after {info.duration:.1f} s"
    if info.error:
        line += f": {info.error}"
    return line
