"""The desktop launcher: one per data home; starts the server child, shows it, stops it when done.

    launch()
      ├─ single_instance.claim()   lock busy → POST /api/desktop/show → "robustapp is already open", exit 0
      ├─ a window (pywebview), or the system browser (--browser, or no GUI on this machine)
      ├─ Session.start_server()    ServerProcess: spawn → runtime.json with our token → health 200
      │    └─ ShowRequests thread  "show" → bring the window forward · server gone → error page, exit 1
      └─ window closed · SIGTERM · SIGINT · SIGHUP  →  ServerProcess.stop(): graceful, then the whole tree
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable

from robustapp.config import Paths, Settings
from robustapp.desktop import single_instance
from robustapp.desktop.browser import open_in_browser
from robustapp.desktop.server_process import SHUTDOWN_GRACE, ServerProcess
from robustapp.desktop.signals import StopSignals
from robustapp.desktop.single_instance import ALREADY_OPEN, LauncherLock, ShowRequests
from robustapp.desktop.window import AppWindow, gui_problem
from robustapp.errors import AlreadyRunningError, AppError, ControlAPIError
from robustapp.logs import configure_logging, get_logger
from robustapp.resources import asset
from robustapp.services.control_client import ControlClient
from robustapp.services.instance import RunningApp, find_running, is_lock_held

log = get_logger(__name__)

LAUNCHER_LOG = "launcher.log"  # not the server's file: two processes rotating one file lose lines


def launch(settings: Settings, *, browser: bool = False) -> int:
    """Open the app in a window (or the system browser) on its own server; return the exit code."""
    paths = settings.paths.ensure()
    level = "DEBUG" if settings.debug else settings.log_level.value
    configure_logging(paths.log_dir / LAUNCHER_LOG, level=level, console=settings.is_dev)
    lock = single_instance.claim(paths, wait=settings.start_timeout)
    if lock is None:
        print(ALREADY_OPEN, flush=True)
        return 0
    try:
        problem = None if browser else gui_problem()
        if problem:
            print(f"No window can open here: {problem}. Using the web browser instead.", file=sys.stderr, flush=True)
            log.warning("no window toolkit; using the browser", reason=problem)
        if browser or problem:
            return _run_in_browser(Session(settings, "browser"))
        return _run_in_window(Session(settings, "desktop"), lock)
    finally:
        lock.release()


class Session:
    """One run of the app: its server, the stop flag, and the first failure (which makes the exit code 1)."""

    def __init__(self, settings: Settings, mode: str) -> None:
        self.settings = settings
        self.paths: Paths = settings.paths
        self.server = ServerProcess(settings, mode)
        self.stopping = threading.Event()
        self.failure: str | None = None
        self._show_requests: ShowRequests | None = None

    @property
    def exit_code(self) -> int:
        """0, or 1 once anything failed."""
        return 1 if self.failure else 0

    def start_server(self) -> RunningApp | None:
        """Start the server and wait until it serves; None when asked to stop first. Raises AppError."""
        _retire_orphan(self.paths, self.stopping)
        if self.stopping.is_set():
            return None
        self.server.start()
        return self.server.wait_ready(cancel=self.stopping)

    def fail(self, message: str) -> None:
        """Record the first failure and tell a terminal user at once."""
        if self.failure is None:
            self.failure = message
            log.error("launch failed", message=message)
            print(message, file=sys.stderr, flush=True)

    def watch(self, app: RunningApp, *, on_show: Callable[[], None], on_gone: Callable[[], None]) -> None:
        """Serve "show" requests from later launches and notice a server that dies."""
        self._show_requests = ShowRequests(
            app,
            on_show=on_show,
            on_server_gone=on_gone,
            is_server_alive=lambda: self.server.exit_code is None,
            stopping=self.stopping,
        )
        self._show_requests.start()

    def server_gone(self) -> str:
        """The message for a server that died under a running app."""
        code = self.server.exit_code
        return (
            f"ServerError: the server stopped unexpectedly (exit code {code}).\n"
            f"Its last output is in {self.server.output_file}; log file: {self.paths.log_file}"
        )

    def stop(self) -> None:
        """Stop everything this run started (idempotent)."""
        self.stopping.set()
        if self._show_requests is not None:
            self._show_requests.stop()
        self.server.stop()


def _run_in_window(session: Session, lock: LauncherLock) -> int:
    from webview.errors import WebViewException

    window = AppWindow(session.paths.window_state_file, icon=asset("icon.png"), debug=session.settings.debug)

    def on_stop(signal_name: str) -> None:
        log.info("stop signal received", signal=signal_name)
        session.stopping.set()
        # Closing from a plain thread goes through Qt's queue, exactly like a click on the close button.
        threading.Thread(target=window.close, name="robustapp-close", daemon=True).start()

    def on_gone() -> None:
        session.fail(session.server_gone())
        window.show_error(session.failure or "", session.paths.log_file, headline="robustapp stopped")

    def boot() -> None:
        try:
            app = session.start_server()
        except Exception as exc:  # the thread's edge: whatever went wrong, the window must say so
            if session.stopping.is_set():
                return
            if not isinstance(exc, AppError):
                log.exception("unexpected error while starting")
            session.fail(f"{type(exc).__name__}: {exc}")
            window.show_error(str(exc), session.paths.log_file)
            lock.release()  # opening robustapp again should try afresh, not wait behind this error window
            return
        if app is None:
            return
        window.load(app.app_url)
        session.watch(app, on_show=window.bring_to_front, on_gone=on_gone)

    with StopSignals(on_stop) as signals:
        threading.Thread(target=boot, name="robustapp-startup", daemon=True).start()
        try:
            window.run(on_gui_thread=signals.install)
        except WebViewException as exc:
            session.fail(f"ServerError: the window could not open ({exc}); try `robustapp run --browser`")
        finally:
            session.stop()
    return session.exit_code


def _run_in_browser(session: Session) -> int:
    def on_stop(signal_name: str) -> None:
        log.info("stop signal received", signal=signal_name)
        session.stopping.set()

    def on_gone() -> None:
        session.fail(session.server_gone())
        session.stopping.set()

    with StopSignals(on_stop):
        try:
            try:
                app = session.start_server()
            except AppError:
                if session.stopping.is_set():
                    return 0
                raise
            if app is None:
                return 0
            if not open_in_browser(app.app_url):
                print("No web browser could be opened; open the address below yourself.", flush=True)
            print(f"robustapp is running. Open: {app.app_url}\nPress Ctrl+C to stop.", flush=True)
            session.watch(app, on_show=lambda: open_in_browser(app.app_url), on_gone=on_gone)
            while not session.stopping.wait(0.5):
                pass
        finally:
            session.stop()
    return session.exit_code


def _retire_orphan(paths: Paths, cancel: threading.Event) -> None:
    """A server running with no launcher: stop it if a killed launcher left it behind; refuse a headless one."""
    running = find_running(paths)
    if running is None:
        return
    if running.mode == "headless":
        raise AlreadyRunningError(
            f"robustapp is already serving this data home at {running.base_url} (PID {running.pid}, "
            "started with `robustapp run --headless`); stop it first (Ctrl+C in its terminal)"
        )
    log.warning("stopping a server left by an earlier launch", pid=running.pid)
    try:
        ControlClient(running, timeout=3).post("/api/shutdown")
    except ControlAPIError as exc:
        log.warning("the leftover server did not take the shutdown request", error=str(exc))
    deadline = time.monotonic() + SHUTDOWN_GRACE
    while is_lock_held(paths.server_lock):
        if time.monotonic() > deadline:
            raise AlreadyRunningError(
                f"a robustapp server from an earlier launch (PID {running.pid}) does not stop; "
                "end that process and try again"
            )
        if cancel.wait(0.1):
            return
