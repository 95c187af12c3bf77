"""A job service on a real DuckDB file in a temp dir, and waiting for its jobs."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from robustapp.domain.jobs import JobInfo
from robustapp.services.jobs import JobService
from robustapp.storage import Database, migrate
from tests.integration import job_functions  # noqa: F401  # registers the test jobs


@contextmanager
def job_service(path: Path, *, workers: int = 1, start: bool = True, **options: Any) -> Iterator[JobService]:
    """A JobService on a migrated database file at `path`; stopped and closed at the end."""
    db = Database(path, checkpoint_idle_seconds=3600)
    try:
        migrate(db)
        service = JobService(db, workers=workers, **options)
        if start:
            service.start()
        try:
            yield service
        finally:
            service.stop()
    finally:
        db.close()


def wait_for(service: JobService, job_id: int, condition: Callable[[JobInfo], bool], timeout: float = 20.0) -> JobInfo:
    """Poll the job until `condition(info)` holds; fail the test if it does not within `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        info = service.poll(job_id)
        if condition(info):
            return info
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} never got there; it is {info.state}: {info!r}")
        time.sleep(0.005)


def is_running_in_a_worker(info: JobInfo) -> bool:
    return info.state == "running" and info.pid is not None
