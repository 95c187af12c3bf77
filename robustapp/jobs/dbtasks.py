"""DB tasks: job functions that run inside DuckDB, each on its own thread with its own cursor.

    start(submission, fn, params) ──▶ thread: cursor = open_cursor()        (called on that thread)
                                        fn(cursor, progress, **params) ──▶ post(Finished(outcome))
    cancel(submission) ──▶ progress says "cancelled" + cursor.interrupt()  (DuckDB stops the query)

They run in the process that owns the database file (no other process may open it). A query
stops within milliseconds of `interrupt()`; Python code in a task stops at its next
`progress.report()` or `check()`: a thread cannot be killed.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from robustapp.jobs.events import Finished, Reported, Started
from robustapp.jobs.outcome import Outcome, run_captured
from robustapp.jobs.progress import Reporter
from robustapp.logs import get_logger

log = get_logger(__name__)


class _ThreadReporter(Reporter):
    def __init__(self, submission: int, post: Callable[[object], None], cancelled: threading.Event) -> None:
        super().__init__()
        self._submission = submission
        self._post = post
        self._cancelled = cancelled

    def _deliver(self, fraction: float, message: str) -> None:
        self._post(Reported(self._submission, fraction, message))

    def _cancel_requested(self) -> bool:
        return self._cancelled.is_set()


class _Task:
    def __init__(self, submission: int) -> None:
        self.submission = submission
        self.cancelled = threading.Event()
        self.cursor: Any = None
        self.lock = threading.Lock()  # guards cursor: interrupt() must not meet a closing cursor
        self.thread: threading.Thread | None = None

    def interrupt(self) -> None:
        with self.lock:
            if self.cursor is not None:
                self.cursor.interrupt()


class DbTaskRunner:
    """Runs DB tasks on threads; reports through `post` like the process pool does."""

    def __init__(self, open_cursor: Callable[[], Any], post: Callable[[object], None]) -> None:
        self._open_cursor = open_cursor  # e.g. Database.cursor: this thread's own cursor
        self._post = post
        self._tasks: dict[int, _Task] = {}
        self._lock = threading.Lock()

    def start(self, submission: int, fn: Callable[..., Any], params: dict[str, Any]) -> None:
        task = _Task(submission)
        task.thread = threading.Thread(
            target=self._run, args=(task, fn, params), name=f"robustapp-dbtask-{submission}", daemon=True
        )
        with self._lock:
            self._tasks[submission] = task
        task.thread.start()

    def cancel(self, submission: int) -> None:
        """Stop the task: interrupt its query now, and its Python code at its next report."""
        with self._lock:
            task = self._tasks.get(submission)
        if task is not None:
            task.cancelled.set()
            task.interrupt()

    def stop(self, timeout: float = 2.0) -> None:
        """Cancel every task and wait (up to `timeout`) for their threads to end."""
        with self._lock:
            tasks = list(self._tasks.values())
        for task in tasks:
            self.cancel(task.submission)
        for task in tasks:
            if task.thread is not None:
                task.thread.join(timeout)
                if task.thread.is_alive():
                    log.warning("a DB task did not stop", submission=task.submission)

    def _run(self, task: _Task, fn: Callable[..., Any], params: dict[str, Any]) -> None:
        started_at = time.time()
        self._post(Started(task.submission, os.getpid(), started_at))
        progress = _ThreadReporter(task.submission, self._post, task.cancelled)
        outcome = Outcome("cancelled")
        try:
            if not task.cancelled.is_set():
                with task.lock:
                    task.cursor = self._open_cursor()
                outcome = run_captured(fn, (task.cursor, progress), params, progress)
        except Exception as exc:  # opening the cursor failed (e.g. the database is closed)
            outcome = Outcome.failure(f"{type(exc).__name__}: {exc}")
        finally:
            with task.lock:
                if task.cursor is not None:
                    task.cursor.close()  # ends whatever transaction the task left open
                    task.cursor = None
            with self._lock:
                self._tasks.pop(task.submission, None)
            self._post(Finished(task.submission, replace(outcome, started_at=started_at, pid=os.getpid())))
