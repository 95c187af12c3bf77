"""The one thread that owns the state of every active job.

    add(JobInfo) · cancel(id) ───────────┐
    ProcessPool, DbTaskRunner:            ▼
      Started · Reported · Finished · Broken ──▶ events ──▶ loop ─┬─▶ pool.submit / runner.start (free slots)
                                                                 ├─▶ LiveJobs: what poll() reads, no database
                                                                 └─▶ sink.save([…]): final states at once,
                                                                     progress at most every SAVE_INTERVAL
    every TICK while jobs run: time limits, kills after the cancel grace, progress saves

A final state is written to the database before poll() can see it, so what the app shows
as finished is durable. A process job is saved as running RUNNING_SAVE_DELAY after it
started, so a short job costs two commits (queued, finished), not three; should the app crash
within that moment, the job is found queued and runs again, which is harmless: a process job
cannot crash the app, and it is params in, data out. A DB task is saved as running *before*
it starts: it runs in this process, and should it crash the process, the restarted app must
find it interrupted, not queued, or it would run it (and crash) again. Progress is saved at
most every SAVE_INTERVAL; poll() sees it at once.
"""

from __future__ import annotations

import itertools
import math
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from robustapp.domain.jobs import JobInfo, JobState, finish
from robustapp.jobs.dbtasks import DbTaskRunner
from robustapp.jobs.events import Broken, Finished, Reported, Started
from robustapp.jobs.live import LiveJobs
from robustapp.jobs.outcome import Call, describe
from robustapp.jobs.pool import ProcessPool
from robustapp.jobs.registry import JobSpec
from robustapp.jobs.tickets import Stop, Ticket, after_break, ending
from robustapp.logs import get_logger

log = get_logger(__name__)

TICK = 0.05  # seconds between clock checks while jobs run
SAVE_INTERVAL = 0.5  # seconds between two progress writes of one job
RUNNING_SAVE_DELAY = 0.05  # seconds after its start a process job is saved as running (if still running)
CANCEL_GRACE = 0.5  # seconds a job gets to stop on request before its worker is killed


class JobSink(Protocol):
    """Where job records are kept (the jobs table)."""

    def save(self, jobs: Sequence[JobInfo]) -> None:
        """Write these records in one transaction."""


@dataclass(frozen=True)
class _Add:
    info: JobInfo
    spec: JobSpec


@dataclass(frozen=True)
class _Cancel:
    job_id: int
    reply: Future


def _now() -> datetime:
    return datetime.now(UTC)


class Scheduler:
    """Dispatches jobs to the executors and keeps their live state; all changes happen on one thread."""

    def __init__(self, sink: JobSink, *, workers: int, open_cursor: Callable[[], Any], db_slots: int = 2) -> None:
        self._sink = sink
        self._events: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._pool = ProcessPool(workers, self._events.put)
        self._runner = DbTaskRunner(open_cursor, self._events.put)
        self._slots = {"process": workers, "db": db_slots}
        self._waiting: dict[str, deque[Ticket]] = {"process": deque(), "db": deque()}
        self._tickets: dict[int, Ticket] = {}  # job id → ticket, for every active job
        self._running: dict[int, Ticket] = {}  # submission → ticket
        self._finals: list[Ticket] = []  # finished, not yet saved
        self._replies: list[tuple[Future, int]] = []
        self._submissions = itertools.count(1)
        self.live = LiveJobs()  # what poll() reads
        self._thread: threading.Thread | None = None
        self._stopping: str | None = None

    # -- the API (any thread) ----------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="robustapp-jobs", daemon=True)
        self._thread.start()

    def add(self, info: JobInfo, spec: JobSpec) -> None:
        self.live.show(info)
        self._events.put(_Add(info, spec))

    def cancel(self, job_id: int, timeout: float = 10.0) -> JobInfo | None:
        """Ask an active job to stop; its record after the request (None: not active here)."""
        reply: Future = Future()
        self._events.put(_Cancel(job_id, reply))
        try:
            return reply.result(timeout)
        except TimeoutError:  # the loop stopped meanwhile: the database has the job's record
            return None

    def stop(self, reason: str) -> None:
        """Interrupt running jobs (`reason` is their error), stop the executors; queued jobs stay queued."""
        if self._thread is None:
            return
        self._stopping = reason
        self._events.put(None)
        self._thread.join(timeout=30)
        self._thread = None

    # -- the loop ----------------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            busy = bool(self._running or self._finals or any(t.dirty for t in self._tickets.values()))
            try:
                events = [self._events.get(timeout=TICK if busy else None)]
            except queue.Empty:
                events = []
            while True:
                try:
                    events.append(self._events.get_nowait())
                except queue.Empty:
                    break
            for event in events:
                try:
                    self._handle(event)
                except Exception:  # a bug here must not stop every job of the app
                    log.exception("job event failed", event=repr(event)[:200])
            if self._stopping is not None:
                self._shut_down(self._stopping)
                return
            self._dispatch()
            self._check_clocks()
            self._save()
            self._answer()

    def _handle(self, event: object) -> None:
        if isinstance(event, _Add):
            ticket = Ticket(event.info, event.spec)
            self._tickets[event.info.id] = ticket
            self._waiting[event.spec.kind].append(ticket)
        elif isinstance(event, _Cancel):
            self._cancel(event)
        elif isinstance(event, Started | Reported | Finished | Broken):
            ticket = self._running.get(event.submission)
            if ticket is None:
                return  # news of an earlier try, or of a job already finished
            if isinstance(event, Started):
                if ticket.info.state is JobState.RUNNING:  # a DB task: recorded as running when it was started
                    self._update(ticket, pid=event.pid)
                else:
                    ticket.deadline = time.monotonic() + ticket.info.timeout
                    started = datetime.fromtimestamp(event.at, UTC)  # the worker's clock: when the function began
                    self._update(ticket, state=JobState.RUNNING, pid=event.pid, started_at=started, message="")
                    ticket.saved_at = time.monotonic() - SAVE_INTERVAL + RUNNING_SAVE_DELAY
                if ticket.stop is not None:  # cancelled before it started: tell the worker that has it
                    self._ask_to_stop(ticket)
            elif isinstance(event, Reported):
                self._update(ticket, progress=event.fraction, message=event.message)
            elif isinstance(event, Finished):
                state, changes = ending(ticket, event.outcome)
                self._final(ticket, state, **changes)
            else:
                self._broken(ticket, event.deaths)

    def _broken(self, ticket: Ticket, deaths: dict[int, str]) -> None:
        ended = after_break(ticket, deaths)
        if ended is not None:
            self._final(ticket, ended[0], **ended[1])
            return
        # an innocent bystander: the pool is rebuilt and the job starts again from the beginning
        self._running.pop(ticket.submission, None)
        ticket.submission, ticket.restarts, ticket.deadline = 0, ticket.restarts + 1, math.inf
        self._update(ticket, state=JobState.QUEUED, progress=0.0, pid=None, started_at=None,
                     message="restarting: a worker process died, the pool was rebuilt")  # fmt: skip
        self._waiting[ticket.spec.kind].appendleft(ticket)

    def _cancel(self, event: _Cancel) -> None:
        self._replies.append((event.reply, event.job_id))  # answered once this round is saved
        ticket = self._tickets.get(event.job_id)
        if ticket is None:
            return
        if ticket.submission == 0:
            self._waiting[ticket.spec.kind].remove(ticket)
            self._final(ticket, JobState.CANCELLED, message="cancelled before it started")
        elif ticket.stop is None:
            ticket.stop = Stop(JobState.CANCELLED, None, time.monotonic() + CANCEL_GRACE)
            self._update(ticket, message="cancelling…")
            self._ask_to_stop(ticket)

    def _ask_to_stop(self, ticket: Ticket) -> None:
        if ticket.spec.kind == "db":
            self._runner.cancel(ticket.submission)
        else:
            self._pool.cancel(ticket.submission)

    # -- dispatch, clocks, saving ------------------------------------------------------

    def _dispatch(self) -> None:
        for kind, waiting in self._waiting.items():
            in_use = sum(1 for t in self._running.values() if t.spec.kind == kind)
            while waiting and in_use < self._slots[kind]:
                ticket = waiting.popleft()
                ticket.submission = next(self._submissions)
                self._running[ticket.submission] = ticket
                in_use += 1
                if kind == "db":
                    self._start_db_task(ticket)
                else:
                    self._submit(ticket)

    def _submit(self, ticket: Ticket) -> None:
        info = ticket.info
        try:
            self._pool.submit(Call(ticket.submission, info.id, info.name, ticket.spec.module, info.params))
        except Exception as exc:  # e.g. the OS refused another process
            log.exception("could not submit a job", job=info.id)
            self._final(ticket, JobState.FAILED, error=f"could not start a worker process: {describe(exc)}")

    def _start_db_task(self, ticket: Ticket) -> None:
        self._update(ticket, state=JobState.RUNNING, started_at=_now(), message="")
        ticket.deadline = time.monotonic() + ticket.info.timeout
        try:
            self._sink.save([ticket.info])
        except Exception as exc:  # the database refused: do not run what could not be recorded
            log.exception("could not record a DB task as running", job=ticket.info.id)
            self._final(ticket, JobState.FAILED, error=f"could not record the job as running: {exc}")
            return
        ticket.dirty, ticket.saved_at = False, time.monotonic()
        self._runner.start(ticket.submission, ticket.spec.fn, ticket.info.params)

    def _check_clocks(self) -> None:
        now = time.monotonic()
        for ticket in list(self._running.values()):
            if ticket.stop is None and now >= ticket.deadline:
                limit = f"{ticket.info.timeout:g}"
                ticket.stop = Stop(JobState.FAILED, f"timed out after {limit} s (its time limit)", now + CANCEL_GRACE)
                self._update(ticket, message="stopping: time limit reached")
                self._ask_to_stop(ticket)
            elif ticket.stop is not None and now >= ticket.stop.kill_at:
                if ticket.spec.kind == "db":
                    self._runner.cancel(ticket.submission)  # interrupt() only stops a query in progress: repeat
                    ticket.stop.kill_at = now + TICK
                elif ticket.info.pid is not None:
                    self._pool.kill(ticket.info.pid)
                    ticket.stop.kill_at = math.inf
                else:
                    ticket.stop.kill_at = now + TICK  # not started yet; it sees the request when it starts

    def _save(self) -> None:
        now = time.monotonic()
        due = [t for t in self._tickets.values() if t.dirty and now - t.saved_at >= SAVE_INTERVAL]
        if not due and not self._finals:
            return
        try:
            self._sink.save([t.info for t in (*self._finals, *due)])
        except Exception:  # tried again at the next tick; poll() keeps showing the live record
            log.exception("could not save job records")
            return
        for ticket in due:
            ticket.dirty, ticket.saved_at = False, now
        finals, self._finals = self._finals, []
        if finals:
            self.live.finished(t.info for t in finals)

    def _answer(self) -> None:
        for reply, job_id in self._replies:
            reply.set_result(self.live.get(job_id))
        self._replies.clear()

    def _update(self, ticket: Ticket, **changes: Any) -> None:
        ticket.info = ticket.info.model_copy(update=changes)
        ticket.dirty = True
        self.live.show(ticket.info)

    def _final(self, ticket: Ticket, state: JobState, **changes: Any) -> None:
        """Record the end; published (and forgotten here) once saved."""
        ticket.info = finish(ticket.info, state, _now(), **changes)
        self._tickets.pop(ticket.info.id, None)
        self._running.pop(ticket.submission, None)
        self._finals.append(ticket)

    def _shut_down(self, reason: str) -> None:
        """Stop the executors; a job that had started is interrupted, the others stay queued."""
        self._pool.shutdown()
        self._runner.stop()
        requeued = []
        for ticket in list(self._tickets.values()):
            if ticket.info.state is JobState.RUNNING:
                self._final(ticket, JobState.INTERRUPTED, error=reason)
            elif ticket.dirty:  # e.g. restarting after a pool rebuild: queued again in the database
                requeued.append(ticket.info.model_copy(update={"message": ""}))
        try:
            self._sink.save([t.info for t in self._finals] + requeued)
        except Exception:
            log.exception("could not save the jobs stopped with the app")
        self.live.forget_active()
        self.live.finished(t.info for t in self._finals)
        self._finals.clear()
        self._answer()
