"""One launcher per data home: the first holds `launcher.lock`, a later one asks it to come forward.

    first launch    takes launcher.lock ─ starts the server ─ ServerRequests long-polls /api/desktop/events
    later launch    lock busy → finds the server → POST /api/desktop/show → "robustapp is already open"
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from filelock import FileLock, Timeout

from robustapp.config import Paths
from robustapp.errors import AlreadyRunningError, ControlAPIError
from robustapp.logs import get_logger
from robustapp.services.control_client import ControlClient
from robustapp.services.instance import RunningApp, find_running

log = get_logger(__name__)

ALREADY_OPEN = "robustapp is already open"
# Short long-polls: the server's graceful shutdown waits for open requests, and a SIGKILLed launcher
# cannot end its poll, so this bounds how long the orphaned server lingers.
EVENTS_POLL_SECONDS = 5
_POLL = 0.1


class LauncherLock:
    """The held launcher lock; `release()` is idempotent and may be called from any thread."""

    def __init__(self, lock: FileLock) -> None:
        self._lock = lock
        self._guard = threading.Lock()

    def release(self) -> None:
        with self._guard:
            if self._lock.is_locked:
                self._lock.release()


def claim(paths: Paths, wait: float) -> LauncherLock | None:
    """Take the launcher lock and return it, or ask the running launcher to show itself and return None.

    The holder may still be starting its server (or stopping it), so keep trying both for `wait` seconds.
    """
    lock = FileLock(paths.launcher_lock, timeout=0, thread_local=False)
    deadline = time.monotonic() + wait
    while True:
        try:
            lock.acquire()
        except Timeout:
            pass
        else:
            return LauncherLock(lock)
        running = find_running(paths)
        if running is not None and _ask_to_show(running):
            return None
        if time.monotonic() > deadline:
            raise AlreadyRunningError(
                f"another robustapp launcher holds {paths.launcher_lock}, but its server did not answer "
                f"within {wait:g} s; close the other robustapp window, or end that process and try again"
            )
        time.sleep(_POLL)


def _ask_to_show(running: RunningApp) -> bool:
    try:
        ControlClient(running, timeout=5).post("/api/desktop/show")
    except ControlAPIError as exc:
        log.info("running app did not take the show request yet", error=str(exc))
        return False
    log.info("asked the running app to show itself", pid=running.pid)
    return True


class ServerRequests(threading.Thread):
    """Long-polls the server for what it asks of the launcher; notices a server that went away.

    Events: "show" (a later launch), "restore:<backup id>" and "dialog:<json>" (the app). Each is handed
    to `on_event` on this thread, so a handler that takes long must start its own thread.
    """

    def __init__(
        self,
        app: RunningApp,
        *,
        on_event: Callable[[str], None],
        on_server_gone: Callable[[], None],
        is_server_alive: Callable[[], bool],
        stopping: threading.Event,
    ) -> None:
        super().__init__(name="robustapp-server-requests", daemon=True)
        self._client = ControlClient(app, timeout=EVENTS_POLL_SECONDS + 15)
        self._on_event = on_event
        self._on_server_gone = on_server_gone
        self._is_server_alive = is_server_alive
        self._stopping = stopping  # the whole launcher is stopping
        self._done = threading.Event()  # this server is no longer watched (stopping, or being replaced)

    def _ended(self) -> bool:
        return self._done.is_set() or self._stopping.is_set()

    def run(self) -> None:
        while not self._ended():
            try:
                events = self._client.get(f"/api/desktop/events?timeout={EVENTS_POLL_SECONDS}").get("events", [])
            except ControlAPIError as exc:
                if self._ended():
                    return
                if not self._is_server_alive():
                    log.error("the server process ended unexpectedly", error=str(exc))
                    self._on_server_gone()
                    return
                self._done.wait(1.0)
                continue
            for event in events:
                if event == "stopping" or self._ended():
                    continue
                log.info("request from the server", request=event.split(":", 1)[0])
                try:
                    self._on_event(event)
                except Exception:  # one request that fails must not end the watch over the server
                    log.exception("a request from the server failed", request=event.split(":", 1)[0])

    def stop(self) -> None:
        """End the pending long poll now: uvicorn's graceful shutdown waits for every open request."""
        self._done.set()
        if not self.is_alive() or self is threading.current_thread():
            return
        try:
            # The only way to wake the server-side wait is an event; it is ignored because we are done.
            self._client.request("POST", "/api/desktop/show", timeout=3)
        except ControlAPIError:
            pass
        self.join(timeout=3)
