"""The desktop launcher: one per data home; starts the server child, shows it, stops it when done.

    launch()
      ├─ single_instance.claim()   lock busy → POST /api/desktop/show → "robustapp is already open", exit 0
      ├─ a window (pywebview), or the system browser (--browser, or no GUI on this machine)
      ├─ Session.start_server()    ServerProcess: spawn → runtime.json with our token → health 200
      │    └─ ServerRequests thread  "show" → bring the window forward
      │                              "restore:<id>" → stop the server, restore, start it again (same port)
      │                              "dialog:<json>" → the window's file dialog, answered to the server
      │                              server gone → error page, exit 1
      ├─ the server cannot open the database → the error page offers to restore the newest good backup
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
from robustapp.desktop.single_instance import ALREADY_OPEN, LauncherLock, ServerRequests
from robustapp.desktop.splash import RecoveryOffer
from robustapp.desktop.window import AppWindow, gui_problem
from robustapp.errors import AlreadyRunningError, AppError, ControlAPIError
from robustapp.logs import configure_logging, get_logger
from robustapp.resources import asset
from robustapp.services.control_client import ControlClient
from robustapp.services.instance import (
    DIALOG_EVENT,
    RESTORE_EVENT,
    SHOW_EVENT,
    RunningApp,
    find_running,
    is_lock_held,
)
from robustapp.services.launcher import FileDialog

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
        self._requests: ServerRequests | None = None
        self._swap = threading.Lock()  # the server is replaced (restore) or stopped, never both at once
        self._restoring = False

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

    def restore_and_start(self, backup_id: str) -> RunningApp | None:
        """Stop the server (if it runs), restore `backup_id`, start the server again on the same address.

        What the restore did, or why it was refused (the database is then as it was), is kept for the app
        to show when it is back. None when asked to stop first; raises AppError if the server cannot start.
        """
        from robustapp.services.restore import record_outcome, restore_for_app

        with self._swap:
            if self.stopping.is_set() or self._restoring:
                return None  # a second request (another window's click) while one restore runs: ignored
            self._restoring = True
            self._stop_watching()
            previous = self.server.app
            self.server.stop()
            settings = self.settings.model_copy(update={"port": previous.port}) if previous else self.settings
            self.server = ServerProcess(settings, self.server.mode, token=previous.token if previous else None)
        self.failure = None
        try:
            record_outcome(self.paths, restore_for_app(backup_id, self.paths))
            return self.start_server()
        finally:
            self._restoring = False

    def fail(self, message: str) -> None:
        """Record the first failure and tell a terminal user at once."""
        if self.failure is None:
            self.failure = message
            log.error("launch failed", message=message)
            print(message, file=sys.stderr, flush=True)

    def watch(self, app: RunningApp, *, on_event: Callable[[str], None], on_gone: Callable[[], None]) -> None:
        """Serve the server's requests (show, restore, dialogs) and notice a server that dies."""
        server = self.server
        self._requests = ServerRequests(
            app,
            on_event=on_event,
            on_server_gone=on_gone,
            is_server_alive=lambda: server.exit_code is None,
            stopping=self.stopping,
        )
        self._requests.start()

    def answer_dialog(self, dialog: FileDialog, paths: list[str] | None) -> None:
        """Tell the server what the user chose in its file dialog (None: cancelled)."""
        app = self.server.app
        if app is None:
            return
        try:
            ControlClient(app, timeout=5).request("POST", "/api/desktop/dialog", body={"id": dialog.id, "paths": paths})
        except ControlAPIError as exc:
            log.warning("the server did not take the dialog's answer", error=str(exc))

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
        with self._swap:
            self._stop_watching()
            server = self.server
        server.stop()

    def _stop_watching(self) -> None:
        if self._requests is not None:
            self._requests.stop()
            self._requests = None


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

    def on_event(event: str) -> None:
        if event == SHOW_EVENT:
            window.bring_to_front()
        elif event.startswith(RESTORE_EVENT):
            restore(event.removeprefix(RESTORE_EVENT))
        elif event.startswith(DIALOG_EVENT):
            dialog = FileDialog.model_validate_json(event.removeprefix(DIALOG_EVENT))
            _in_thread("robustapp-dialog", lambda: session.answer_dialog(dialog, window.choose_files(dialog)))

    def restore(backup_id: str) -> None:
        """Restore `backup_id` while the window says so, then show the app again (from any thread)."""
        window.show_loading("Restoring a backup…", "robustapp opens again when it is done.")
        _in_thread("robustapp-restore", lambda: boot(lambda: session.restore_and_start(backup_id)))

    def boot(start: Callable[[], RunningApp | None] = session.start_server) -> None:
        try:
            app = start()
        except Exception as exc:  # the thread's edge: whatever went wrong, the window must say so
            if session.stopping.is_set():
                return
            if not isinstance(exc, AppError):
                log.exception("unexpected error while starting")
            session.fail(f"{type(exc).__name__}: {exc}")
            offer = _recovery_offer(session)
            window.show_error(str(exc), session.paths.log_file, offer=offer)
            if offer is None:
                lock.release()  # opening robustapp again should try afresh, not wait behind this error window
            return
        if app is None:
            return
        window.load(app.app_url)
        session.watch(app, on_event=on_event, on_gone=on_gone)

    window.on_restore_requested(restore)
    with StopSignals(on_stop) as signals:
        _in_thread("robustapp-startup", boot)
        try:
            window.run(on_gui_thread=signals.install)
        except WebViewException as exc:
            session.fail(f"ServerError: the window could not open ({exc}); try `robustapp run --browser`")
        finally:
            session.stop()
    return session.exit_code


def _recovery_offer(session: Session) -> RecoveryOffer | None:
    """When the server failed because the database does not open: the newest backup that verifies."""
    if session.server.failure_kind != "DatabaseOpenError":
        return None
    from robustapp.services.restore import newest_good_backup

    backup = newest_good_backup(session.paths)
    if backup is None:
        return None
    return RecoveryOffer(backup.id, f"{backup.created_at.astimezone():%Y-%m-%d %H:%M}" if backup.created_at else "")


def _in_thread(name: str, target: Callable[[], object]) -> None:
    threading.Thread(target=target, name=name, daemon=True).start()


def _run_in_browser(session: Session) -> int:
    def on_stop(signal_name: str) -> None:
        log.info("stop signal received", signal=signal_name)
        session.stopping.set()

    def on_gone() -> None:
        session.fail(session.server_gone())
        session.stopping.set()

    def on_event(event: str) -> None:
        app = session.server.app
        if event == SHOW_EVENT and app is not None:
            open_in_browser(app.app_url)
        elif event.startswith(RESTORE_EVENT):
            _in_thread("robustapp-restore", lambda: restore(event.removeprefix(RESTORE_EVENT)))

    def restore(backup_id: str) -> None:
        """The open browser tab reconnects by itself: the new server has the same address and token."""
        print("Restoring a backup; robustapp is back in a moment.", flush=True)
        try:
            app = session.restore_and_start(backup_id)
        except AppError as exc:
            session.fail(f"{type(exc).__name__}: {exc}")
            session.stopping.set()
            return
        if app is not None:
            session.watch(app, on_event=on_event, on_gone=on_gone)

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
            session.watch(app, on_event=on_event, on_gone=on_gone)
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
