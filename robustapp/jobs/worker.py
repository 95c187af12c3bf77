"""The part of the job machinery that runs inside each worker process.

    owner's Listener ◀══ one connection per worker (opened in initialize) ══▶ this process
        ◀── ("hello", pid)                              when the worker starts
        ◀── ("started", submission, pid, time)          when a job starts
        ◀── ("progress", submission, fraction, message) throttled by the Reporter
        ──▶ ("cancel", submission)                      read by a listening thread
        end of the connection (the owner died or shut the pool down) ──▶ the worker exits

A job's result goes back through the ProcessPoolExecutor's own channel, as an Outcome.
Workers never open the DuckDB file; this module imports nothing heavy (no duckdb, no
pydantic, no storage), and SIGINT is ignored here: Ctrl-C in a terminal reaches the whole
process group, and it is the owner that decides what happens to running jobs. Workers run at
a lower CPU priority than the app, so pages stay quick while jobs keep every core busy.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import replace
from multiprocessing.connection import Client, Connection
from typing import Any

from robustapp.errors import UnknownJobError
from robustapp.jobs import registry
from robustapp.jobs.outcome import Call, Outcome, run_captured
from robustapp.jobs.progress import Reporter

_connection: Connection | None = None
_cancelled: set[int] = set()  # submissions the owner asked to stop


def initialize(address: Any, authkey: bytes) -> None:
    """Pool initializer: connect to the owner and listen for cancels (and for the owner's end)."""
    global _connection
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _lower_priority()
    _connection = Client(address, authkey=authkey)
    _send(("hello", os.getpid()))
    threading.Thread(target=_listen, args=(_connection,), name="robustapp-job-listener", daemon=True).start()


BACKGROUND_NICENESS = 19


def _lower_priority() -> None:
    """Yield the CPU to the server and the window whenever they want it.

    Linux: the SCHED_IDLE policy (the worker runs only on CPU time nobody else asks for, and a
    waking server thread preempts it at once); other POSIX: nice 19; Windows: "idle" priority.
    """
    try:
        if hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        elif hasattr(os, "nice"):
            os.nice(BACKGROUND_NICENESS)
        else:  # pragma: no cover - Windows
            import psutil

            psutil.Process().nice(psutil.IDLE_PRIORITY_CLASS)
    except OSError:
        pass  # not allowed here: run at the normal priority


def _listen(connection: Connection) -> None:
    try:
        while True:
            kind, submission = connection.recv()
            if kind == "cancel":
                _cancelled.add(submission)
    except (EOFError, OSError):
        # The owner is gone (crashed, killed) or shut the pool down: an orphaned worker must not
        # go on computing for nobody.
        os._exit(0)


def _send(message: tuple[Any, ...]) -> None:
    if _connection is None:
        return
    try:
        _connection.send(message)
    except OSError:
        pass  # the owner is gone: the listening thread ends this process


class ConnectionReporter(Reporter):
    """A Progress for a job in this worker: reports go to the owner, cancels come from it."""

    def __init__(self, submission: int) -> None:
        super().__init__()
        self._submission = submission

    def _deliver(self, fraction: float, message: str) -> None:
        _send(("progress", self._submission, fraction, message))

    def _cancel_requested(self) -> bool:
        return self._submission in _cancelled


def run(call: Call) -> Outcome:
    """Run one job (the function the pool executes for every submission)."""
    started_at = time.time()
    _send(("started", call.submission, os.getpid(), started_at))
    progress = ConnectionReporter(call.submission)
    try:
        if progress.is_cancelled():
            outcome = Outcome("cancelled")
        else:
            spec = registry.get(call.name, call.module)
            outcome = run_captured(spec.fn, (progress,), call.params, progress)
    except UnknownJobError as exc:
        outcome = Outcome.failure(f"{type(exc).__name__}: {exc}")
    finally:
        _cancelled.discard(call.submission)
    return replace(outcome, started_at=started_at, pid=os.getpid())
