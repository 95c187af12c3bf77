"""Background jobs as the app uses them: enqueue, poll, cancel, list, re-run.

    enqueue("pi", samples=…) ──▶ jobs row, queued (committed) ──▶ Scheduler ──▶ worker / DB thread
    poll(id), list_jobs()    ──▶ the scheduler's live records (no database) over the jobs rows
    start()  what a previous process left running ──▶ interrupted; queued jobs ──▶ run now
    stop()   running jobs ──▶ interrupted ("the app was stopped"); queued jobs stay queued

Only the process that owns the database runs jobs: the server (its lifespan starts and stops
this service) or `robustapp worker`. Without start(), enqueue() only records the job; it runs
when a job service next starts on this database. A job the app had started and did not finish
(a crash, a kill, a stop) is interrupted rather than run again on its own: it may be what
crashed the app, and a re-run is one call away (`rerun`). Cancelled means a user asked.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from robustapp.config import Settings
from robustapp.domain.jobs import JobInfo, JobState
from robustapp.errors import JobError, JobNotFoundError, JobParamsError, UnknownJobError
from robustapp.jobs import registry
from robustapp.jobs.registry import JobSpec
from robustapp.jobs.scheduler import Scheduler
from robustapp.logs import get_logger
from robustapp.storage import jobs as job_records
from robustapp.storage.database import Database

log = get_logger(__name__)

CRASHED = "the app ended while the job ran (a crash or a kill); re-run it to start again"
APP_STOPPED = "the app was stopped while the job ran; re-run it to start again"
_ACTIVE = (JobState.QUEUED, JobState.RUNNING)
JOBS_TAG = "table:jobs"  # every write to the jobs table touches it
KEEP_FINISHED = 1000  # finished jobs kept in the table (the newest); older ones go at start()


class _RecordSink:
    """The scheduler's JobSink: the jobs table, through the database's one write path."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def save(self, jobs: Sequence[JobInfo]) -> None:
        self.db.write(lambda cursor: job_records.save(cursor, jobs), touches=JOBS_TAG)


class JobService:
    """The app's background jobs on one database."""

    def __init__(
        self,
        db: Database,
        *,
        workers: int = 1,
        default_timeout: float = 3600.0,
        owner: str = "local",
        db_slots: int = 2,
    ) -> None:
        self.db = db
        self.workers = workers
        self.default_timeout = default_timeout
        self.owner = owner
        self.db_slots = db_slots
        self._scheduler: Scheduler | None = None
        self._lock = threading.Lock()
        # The newest rows per query, until a write to the jobs table commits: the job panels
        # refresh every second or two on every page, and the table only changes on those writes.
        self._table_version = 0
        self._newest: dict[tuple[Any, ...], tuple[int, list[JobInfo]]] = {}
        db.on_commit(self._heard_commit)

    def _heard_commit(self, tags: frozenset[str]) -> None:
        if JOBS_TAG in tags:
            self._table_version += 1

    def _newest_rows(self, states: tuple[JobState, ...], name: str | None, limit: int) -> list[JobInfo]:
        key, version = (states, name, limit), self._table_version  # the version before the read
        remembered = self._newest.get(key)
        if remembered is not None and remembered[0] == version:
            return remembered[1]
        rows = job_records.newest(self.db, states=states, name=name, limit=limit)
        if len(self._newest) > 64:  # a handful of distinct queries in practice
            self._newest.clear()
        self._newest[key] = (version, rows)
        return rows

    @classmethod
    def from_settings(cls, db: Database, settings: Settings, *, owner: str) -> JobService:
        return cls(db, workers=settings.job_max_workers, default_timeout=settings.job_timeout, owner=owner)

    # -- running jobs ------------------------------------------------------------------

    @property
    def is_started(self) -> bool:
        return self._scheduler is not None

    def start(self) -> list[int]:
        """Run jobs from now on: interrupt what a previous process left running (returns those
        ids), pick up the queued jobs. Worker processes start with the first process job."""
        with self._lock:
            if self._scheduler is not None:
                return []
            interrupted = self.db.write(
                lambda cursor: job_records.interrupt_running(cursor, reason=CRASHED, at=_now()), touches=JOBS_TAG
            )
            pruned = self.db.write(lambda cursor: job_records.prune_finished(cursor, keep=KEEP_FINISHED), touches=JOBS_TAG)
            scheduler = Scheduler(
                _RecordSink(self.db), workers=self.workers, open_cursor=self.db.cursor, db_slots=self.db_slots
            )
            scheduler.start()
            waiting = job_records.queued(self.db)
            for info in waiting:
                try:
                    scheduler.add(info, registry.get(info.name))
                except UnknownJobError as exc:  # e.g. written by a newer robustapp
                    changes = {"state": JobState.FAILED, "error": str(exc), "finished_at": _now()}
                    failed = info.model_copy(update=changes)
                    self.db.write(lambda cursor, failed=failed: job_records.save(cursor, [failed]), touches=JOBS_TAG)
            self._scheduler = scheduler
        log.info("job service started", workers=self.workers, interrupted=interrupted, queued=len(waiting), pruned=pruned)
        return interrupted

    def stop(self, reason: str = APP_STOPPED) -> None:
        """Stop running jobs (they become interrupted with `reason`) and the workers; queued jobs stay queued."""
        with self._lock:
            scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.stop(reason)
            log.info("job service stopped")

    # -- the API -----------------------------------------------------------------------

    def enqueue(
        self, fn_or_name: Callable[..., Any] | str, /, *, job_timeout: float | None = None, **params: Any
    ) -> int:
        """Queue the registered job `fn_or_name` with `params`; returns its id once it is recorded.

        `job_timeout` (seconds) overrides the job's own limit and the app's default (named as
        in RQ, so that `timeout` stays free for a job's own parameters).
        """
        return self._enqueue(registry.spec_for(fn_or_name), params, job_timeout)

    def poll(self, job_id: int) -> JobInfo:
        """The job's record as it is now: live progress while it runs."""
        scheduler = self._scheduler
        info = scheduler.live.get(job_id) if scheduler is not None else None
        info = info or job_records.get(self.db, job_id)
        if info is None:
            raise JobNotFoundError(f"there is no job {job_id}")
        return info

    def cancel(self, job_id: int) -> JobInfo:
        """Ask the job to stop; a queued job is cancelled at once, a running one within a second.

        Returns the record after the request; a finished job is returned as it is.
        """
        scheduler = self._scheduler
        if scheduler is not None:
            info = scheduler.cancel(job_id)
            if info is not None:
                return info
        info = self.poll(job_id)
        if info.state is JobState.QUEUED:  # recorded here, but no job service of this process has it
            changes = {"state": JobState.CANCELLED, "finished_at": _now(), "message": "cancelled before it started"}
            info = info.model_copy(update=changes)
            self.db.write(lambda cursor: job_records.save(cursor, [info]), touches=JOBS_TAG)
        return info

    def list_jobs(
        self,
        *,
        state: JobState | str | Iterable[JobState | str] | None = None,
        name: str | None = None,
        limit: int = 50,
    ) -> list[JobInfo]:
        """The newest jobs first (only those in `state` and of the job `name`, if given), with live progress."""
        states = (JobState(state),) if isinstance(state, str) else tuple(JobState(s) for s in state or ())
        scheduler = self._scheduler
        live = {info.id: info for info in scheduler.live.active()} if scheduler is not None else {}
        newest = self._newest_rows(states, name, limit)
        found = {info.id: live.get(info.id, info) for info in newest}
        for info in live.values():
            found.setdefault(info.id, info)
        chosen = [info for info in found.values() if (not states or info.state in states) and name in (None, info.name)]
        return sorted(chosen, key=lambda info: info.id, reverse=True)[:limit]

    def rerun(self, job_id: int, *, job_timeout: float | None = None) -> int:
        """Queue a finished job again with the same parameters; returns the new job's id."""
        old = self.poll(job_id)
        if not old.is_finished:
            raise JobError(f"job {job_id} is {old.state}; re-run it once it has finished (or cancel it)")
        spec = registry.get(old.name)
        return self._enqueue(spec, old.params, job_timeout or old.timeout, attempt=old.attempt + 1, rerun_of=old.id)

    def counts(self) -> dict[str, int]:
        """How many jobs are queued and running (from memory while this service runs jobs)."""
        scheduler = self._scheduler
        active = scheduler.live.active() if scheduler is not None else self.list_jobs(state=_ACTIVE, limit=1_000_000)
        return {state.value: sum(1 for info in active if info.state is state) for state in _ACTIVE}

    @property
    def revision(self) -> int:
        """A number that changes whenever a running job changes: a UI can skip redrawing while it stays."""
        scheduler = self._scheduler
        return scheduler.live.revision if scheduler is not None else 0

    def wait(self, job_id: int, timeout: float | None = None) -> JobInfo:
        """The job's record once it finished or `timeout` passed (at once if this service runs no jobs)."""
        scheduler = self._scheduler
        if scheduler is not None and not self.poll(job_id).is_finished:
            scheduler.live.wait(lambda: (info := scheduler.live.get(job_id)) is None or info.is_finished, timeout)
        return self.poll(job_id)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no job is queued or running here; False if `timeout` passed first."""
        scheduler = self._scheduler
        return scheduler is None or scheduler.live.wait(lambda: not scheduler.live.active(), timeout)

    # -- helpers -----------------------------------------------------------------------

    def _enqueue(
        self,
        spec: JobSpec,
        params: dict[str, Any],
        job_timeout: float | None,
        *,
        attempt: int = 1,
        rerun_of: int | None = None,
    ) -> int:
        try:  # stored as JSON, so the job gets exactly what a re-run after a restart gets
            params = json.loads(json.dumps(params, allow_nan=False))
        except (TypeError, ValueError) as exc:
            raise JobParamsError(f"job {spec.name!r}: parameters must be JSON values ({exc})") from None
        spec.check_params(params)
        timeout = job_timeout if job_timeout is not None else spec.timeout or self.default_timeout
        if not timeout > 0:
            raise JobParamsError(f"job {spec.name!r}: job_timeout={job_timeout!r}; expected seconds above 0")
        info = JobInfo(
            id=0, name=spec.name, kind=spec.kind, params=params, created_at=_now(), timeout=timeout,
            attempt=attempt, rerun_of=rerun_of, owner=self.owner,
        )  # fmt: skip
        with self._lock:  # so start() cannot pick the job up from the table and be handed it again
            job_id = self.db.write(lambda cursor: job_records.insert(cursor, info), touches=JOBS_TAG)
            info = info.model_copy(update={"id": job_id})
            if self._scheduler is not None:
                self._scheduler.add(info, spec)
        log.info("job queued", job=job_id, name=spec.name, kind=spec.kind)
        return job_id


def _now() -> datetime:
    return datetime.now(UTC)
