"""Worker processes for process jobs: a spawn ProcessPoolExecutor, started on first use,
rebuilt when a worker dies.

    submit(Call) ──▶ ProcessPoolExecutor("spawn", initializer=worker.initialize)
                       │ future done ──▶ Finished(outcome)  or  Broken(deaths) ──▶ post(…)
    Listener ◀═══ one connection per worker: hello · started · progress ──▶ post(Started / Reported)
             ═══▶ cancel

A worker killed mid-job breaks every future of a ProcessPoolExecutor (DESIGN.md §5). The
futures fail in the executor's manager thread before it terminates the other workers, so
the done callback can still tell the dead worker (a zombie, and how it died) from the
innocent ones: the scheduler fails only the job that ran in it and resubmits the others to
a fresh executor. Progress travels over plain per-worker connections, never over a queue
shared by all workers: a worker killed while writing can break nothing but its own.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import signal
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from multiprocessing.connection import Client, Connection, Listener
from typing import Any

import psutil

from robustapp.jobs import worker
from robustapp.jobs.events import Broken, Finished, Reported, Started
from robustapp.jobs.outcome import Call, Outcome, describe
from robustapp.logs import get_logger

log = get_logger(__name__)


_PLAIN_MAIN = types.ModuleType("__main__")  # no __file__, no __spec__: a spawned child imports no main module


@contextmanager
def _plain_main_module() -> Iterator[None]:
    """Start workers without the parent's `__main__`.

    A spawned child re-imports the parent's main module. In the server that is the Streamlit
    script (Streamlit installs it as `__main__` for its runs): every worker would import
    Streamlit and the UI, ~1 s and ~100 MB each. Streamlit may install its module meanwhile
    (a run starting): then its module stays.
    """
    original = sys.modules.get("__main__")
    sys.modules["__main__"] = _PLAIN_MAIN
    try:
        yield
    finally:
        if sys.modules.get("__main__") is _PLAIN_MAIN and original is not None:
            sys.modules["__main__"] = original


class _Generation:
    """One executor; replaced as a whole once it broke."""

    def __init__(self, executor: ProcessPoolExecutor) -> None:
        self.executor = executor
        self.broken = False
        self._deaths: dict[int, str] | None = None
        self._lock = threading.Lock()

    def deaths(self, pids: set[int]) -> dict[int, str]:
        """Which of `pids` had died when the pool broke (looked at once, by the first failed future)."""
        with self._lock:
            self.broken = True
            if self._deaths is None:
                self._deaths = _dead_among(pids)
            return self._deaths


class ProcessPool:
    """The process half of the executors; thread-safe, reports everything through `post`."""

    def __init__(self, workers: int, post: Callable[[object], None]) -> None:
        self.workers = workers
        self._post = post
        self._lock = threading.Lock()
        self._authkey = secrets.token_bytes(32)
        self._listener: Listener | None = None
        self._connections: dict[int, Connection] = {}  # worker pid → its connection
        self._pids: set[int] = set()  # workers of the current generation (said hello)
        self._generation: _Generation | None = None
        self._closed = False

    # -- use ---------------------------------------------------------------------------

    def submit(self, call: Call) -> None:
        """Run `call` in a worker; its end arrives as Finished or Broken."""
        generation = self._current()
        try:
            with _plain_main_module():  # the executor starts its workers in submit()
                future = generation.executor.submit(worker.run, call)
        except (BrokenProcessPool, RuntimeError):  # broke (or was shut down) since _current() looked
            generation.broken = True
            self._post(Broken(call.submission))
            return
        future.add_done_callback(partial(self._done, generation, call.submission))

    def cancel(self, submission: int) -> None:
        """Ask every worker to stop `submission` (only the one running it cares)."""
        with self._lock:
            connections = list(self._connections.values())
        for connection in connections:
            try:
                connection.send(("cancel", submission))
            except OSError:
                pass  # that worker is gone; its reader thread tidies up

    def kill(self, pid: int) -> None:
        """Kill worker `pid` (a job that must stop now); the pool breaks and is rebuilt."""
        with self._lock:
            if pid not in self._pids:
                return
        try:
            psutil.Process(pid).kill()
        except psutil.NoSuchProcess:
            pass
        log.info("job worker killed", pid=pid)

    def shutdown(self) -> None:
        """Stop every worker now (running jobs are abandoned) and close the listener."""
        with self._lock:
            self._closed = True
            generation, self._generation = self._generation, None
            pids, self._pids = set(self._pids), set()
            listener, self._listener = self._listener, None
        if generation is not None:
            generation.broken = True
            generation.executor.shutdown(wait=False, cancel_futures=True)
        for pid in pids:
            try:
                psutil.Process(pid).kill()
            except psutil.NoSuchProcess:
                pass
        # Wait without reaping (multiprocessing joins its own children; a reaped child would hang it).
        deadline = time.monotonic() + 5
        while pids and time.monotonic() < deadline:
            pids = {pid for pid in pids if _death_of(pid) is None}
            time.sleep(0.01)
        if listener is not None:
            self._stop_accepting(listener)

    # -- the executor ------------------------------------------------------------------

    def _current(self) -> _Generation:
        with self._lock:
            if self._closed:
                raise RuntimeError("the job pool is shut down")
            if self._listener is None:
                self._start_listener()
            old = self._generation
            if old is None or old.broken:
                if old is not None:
                    old.executor.shutdown(wait=False, cancel_futures=True)
                    self._pids.clear()
                    log.info("job pool rebuilt")
                executor = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=worker.initialize,
                    initargs=(self._listener.address, self._authkey),  # type: ignore[union-attr]
                )
                self._generation = _Generation(executor)
            return self._generation

    def _done(self, generation: _Generation, submission: int, future: Future) -> None:
        """Runs in the executor's manager thread; for a broken pool, before it terminates the others."""
        error = future.exception()
        if error is None:
            self._post(Finished(submission, future.result()))
        elif isinstance(error, BrokenProcessPool):
            with self._lock:
                pids = set(self._pids)
            self._post(Broken(submission, generation.deaths(pids)))
        else:  # the call could not be sent or its outcome not received (pickling)
            self._post(Finished(submission, Outcome.failure(describe(error))))

    # -- the connections ---------------------------------------------------------------

    def _start_listener(self) -> None:
        self._listener = Listener(backlog=64, authkey=self._authkey)
        threading.Thread(target=self._accept, args=(self._listener,), name="robustapp-job-accept", daemon=True).start()

    def _accept(self, listener: Listener) -> None:
        while True:
            try:
                connection = listener.accept()
            except (OSError, EOFError, multiprocessing.AuthenticationError):
                if self._closed:
                    return
                continue
            if self._closed:
                connection.close()
                return
            threading.Thread(target=self._read, args=(connection,), name="robustapp-job-reader", daemon=True).start()

    def _stop_accepting(self, listener: Listener) -> None:
        def knock() -> None:  # accept() does not wake up when its socket is closed: connect once
            try:
                Client(listener.address, authkey=self._authkey).close()
            except (OSError, EOFError, multiprocessing.AuthenticationError):
                pass

        knocker = threading.Thread(target=knock, name="robustapp-job-knock", daemon=True)
        knocker.start()
        knocker.join(timeout=2)
        listener.close()

    def _read(self, connection: Connection) -> None:
        pid = None
        try:
            while True:
                message: Any = connection.recv()
                kind = message[0]
                if kind == "hello":
                    pid = message[1]
                    with self._lock:
                        self._connections[pid] = connection
                        self._pids.add(pid)
                elif kind == "started":
                    self._post(Started(message[1], message[2], message[3]))
                elif kind == "progress":
                    self._post(Reported(message[1], message[2], message[3]))
        except (EOFError, OSError):
            pass  # the worker ended
        finally:
            with self._lock:
                if pid is not None and self._connections.get(pid) is connection:
                    del self._connections[pid]
            connection.close()


def _dead_among(pids: set[int], patience: float = 0.5) -> dict[int, str]:
    """The dead among `pids` and how each died. A dead worker's pipes close a moment before
    it turns into a zombie, so the pool can notice the death first: look again for a while."""
    deadline = time.monotonic() + patience
    while True:
        found = {pid: how for pid in pids if (how := _death_of(pid)) is not None}
        if found or time.monotonic() >= deadline:
            return found
        time.sleep(0.002)


def _death_of(pid: int) -> str | None:
    """How the child process `pid` died ("killed by signal 9 (SIGKILL)"), or None while it runs."""
    if hasattr(os, "waitid"):
        try:  # WNOWAIT: look without reaping; multiprocessing still joins it
            info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:  # already reaped, or not our child
            return None if psutil.pid_exists(pid) else "it ended unexpectedly"
        if info is None:
            return None
        if info.si_code in (os.CLD_KILLED, os.CLD_DUMPED):
            try:
                name = signal.Signals(info.si_status).name
            except ValueError:
                return f"killed by signal {info.si_status}"
            return f"killed by signal {info.si_status} ({name})"
        return f"exited with code {info.si_status}"
    try:
        if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
            return None
    except psutil.NoSuchProcess:
        pass
    return "it ended unexpectedly"
