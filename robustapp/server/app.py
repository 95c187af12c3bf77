"""Build and run the `st.App`: lifespan, control routes, access gate, script-error capture.

    run_server()
      ├─ server.lock (one server per data home) ─ bootstrap.start() (open + migrate the DB)
      └─ st.App(ui/app.py, lifespan, routes=/api/…, middleware=[AccessGate]).run(SERVER_FLAGS)
           lifespan: start the jobs, publish runtime.json + control.token, watch the parent, … ,
                     unpublish, stop the jobs
           shutdown (SIGTERM/SIGINT, /api/shutdown, parent gone): final checkpoint, release
"""

from __future__ import annotations

import gc
import os
import signal
import socket
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
import streamlit as st
from starlette.middleware import Middleware

from robustapp import __version__, bootstrap
from robustapp.config import LOOPBACK_HOSTS, Settings
from robustapp.errors import ConfigError
from robustapp.logs import get_logger, new_trace_id
from robustapp.server.control import STOPPING, control_routes, stop_this_process
from robustapp.server.launcher_link import LauncherLink
from robustapp.server.gate import AccessGate
from robustapp.services import instance
from robustapp.services.forms import user_preferences
from robustapp.services.instance import RunningApp

log = get_logger(__name__)

UI_SCRIPT = Path(__file__).resolve().parent.parent / "ui" / "app.py"

# DESIGN.md §6: forced whatever the user's ~/.streamlit/config.toml says.
SERVER_FLAGS: dict[str, Any] = {
    "server.headless": True,
    "global.developmentMode": False,
    "browser.gatherUsageStats": False,
    "server.fileWatcherType": "none",
    "server.runOnSave": False,
    "client.toolbarMode": "minimal",
    "client.showErrorDetails": "none",
    "logger.hideWelcomeMessage": True,
    "server.maxUploadSize": 4096,
    # Streamlit runs gc.collect(2) after every script run by default: ~65 ms here with DuckDB,
    # pydantic and pandas loaded, holding the GIL while the run's last messages wait to be sent.
    # Python's own generational GC still runs; the lifespan freezes the startup objects.
    "runner.postScriptGC": False,
}


def streamlit_flags(settings: Settings, *, theme: str = "system") -> dict[str, Any]:
    """The flags the server runs with; `theme` is the user's Appearance preference ("system": the OS's)."""
    flags = dict(SERVER_FLAGS, **{"server.address": settings.host, "server.port": settings.port})
    if settings.debug:
        flags["client.showErrorDetails"] = "full"
    if theme in ("light", "dark"):
        flags["theme.base"] = theme  # Streamlit reads client themes at start only
    return flags


def _exit_cleanly(_signum: int, _frame: object) -> None:
    """uvicorn re-raises the SIGTERM it shut down for; a requested stop should exit 0, not die by it."""
    raise SystemExit(0)


def show_script_error(exc: Exception) -> bool:
    """`on_script_error`: log the exception with a trace id and show a friendly panel."""
    trace_id = new_trace_id()
    log.error("script error", trace_id=trace_id, exc_info=exc)
    st.error(
        f"Something went wrong on this page. The rest of the app keeps working.\n\n"
        f"Trace id: `{trace_id}` (details are in the log file)",
        icon=":material/error:",
    )
    return True


class ParentWatchdog(threading.Thread):
    """Stops the server when the process that started it has gone (e.g. a SIGKILLed launcher)."""

    def __init__(self, parent_pid: int) -> None:
        super().__init__(name="robustapp-parent-watchdog", daemon=True)
        self._parent = psutil.Process(parent_pid)
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(0.5):
            if not self._is_parent_alive():
                stop_this_process(f"the launcher (PID {self._parent.pid}) is gone")
                return

    def _is_parent_alive(self) -> bool:
        try:
            return self._parent.is_running() and self._parent.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    def stop(self) -> None:
        self._stopped.set()


def build_app(settings: Settings, *, token: str, mode: str, parent_pid: int | None) -> st.App:
    link = LauncherLink(has_window=mode == "desktop", stopping=STOPPING)
    info: dict[str, Any] = {"pid": os.getpid(), "mode": mode, "version": __version__}

    @asynccontextmanager
    async def lifespan(_app: st.App) -> AsyncIterator[dict[str, Any]]:
        services = bootstrap.start(settings)
        services.launcher = None if mode == "headless" else link  # restore in place, file dialogs
        services.jobs.start()  # cheap: worker processes start with the first process job
        gc.freeze()  # what startup built lives as long as the process: keep it out of every GC pass
        port = int(st.get_option("server.port"))
        running = RunningApp(
            pid=os.getpid(),
            host=settings.host,
            port=port,
            version=__version__,
            started_at=datetime.now(UTC).isoformat(timespec="seconds"),
            mode=mode,
            token=token,
        )
        instance.publish(services.paths, running)
        info.update(url=running.base_url, started_at=running.started_at)
        watchdog = ParentWatchdog(parent_pid) if parent_pid else None
        if watchdog:
            watchdog.start()
        log.info("server ready", url=running.base_url, mode=mode)
        if mode == "headless":
            print(f"robustapp is running. Open: {running.app_url}", flush=True)
        try:
            yield {"services": services}
        finally:
            log.info("server stopping")
            if watchdog:
                watchdog.stop()
            instance.unpublish(services.paths, os.getpid())
            services.jobs.stop()  # running jobs → interrupted ("the app was stopped"); before the database closes
            bootstrap.stop()

    return st.App(
        str(UI_SCRIPT),
        lifespan=lifespan,
        routes=control_routes(info, link),
        middleware=[Middleware(AccessGate, token=token)],
        on_script_error=show_script_error,
    )


def _is_port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        if sys.platform != "win32":  # as uvicorn binds: a port in TIME_WAIT is free
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def run_server(settings: Settings, *, mode: str = "headless", parent_pid: int | None = None) -> None:
    """Serve the app until stopped. Raises AppError subclasses for problems found at start."""
    if settings.host not in LOOPBACK_HOSTS:
        raise ConfigError(
            f"host {settings.host!r} is not a loopback address; robustapp serves only this "
            "computer until a server mode with login exists (use 127.0.0.1)"
        )
    if settings.port and not _is_port_free(settings.host, settings.port):
        raise ConfigError(
            f"port {settings.port} on {settings.host} is in use by another program; "
            "choose another with --port (or ROBUSTAPP_PORT), or 0 for a free one"
        )
    paths = settings.paths.ensure()
    lock = instance.acquire_server_lock(paths)
    if sys.platform != "win32" and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _exit_cleanly)
    try:
        services = bootstrap.start(settings)  # open + migrate now, so errors surface before serving
        preferences = user_preferences(services.db, services.owner, history_length=settings.form_history_limit)
        token = os.environ.pop(instance.TOKEN_ENV, "") or instance.new_token()
        app = build_app(settings, token=token, mode=mode, parent_pid=parent_pid)
        app.run(config=streamlit_flags(settings, theme=preferences.theme))
    finally:
        bootstrap.stop()
        instance.unpublish(paths, os.getpid())
        lock.release()
