"""Background jobs: the machinery under robustapp.services.jobs.

    JobService (services/jobs.py) ──▶ Scheduler (one thread: live state, time limits, saves)
                                        ├─▶ ProcessPool ──▶ spawn workers: worker.run ──▶ registry ──▶ job fn
                                        └─▶ DbTaskRunner ──▶ threads, each with its own DuckDB cursor

A job function is registered by name with `@job(name)` and gets a `Progress` to report
through. Only `registry`, `progress`, `outcome` and `worker` are loaded in worker processes:
they import nothing heavy and nothing that opens the database.
"""

from robustapp.jobs.progress import JobCancelled, Progress
from robustapp.jobs.registry import JobSpec, job

__all__ = ["JobCancelled", "JobSpec", "Progress", "job"]
