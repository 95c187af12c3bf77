"""Who is running: the server's runtime file, its lock and its control token.

The server process holds `server.lock` for its whole life and writes `runtime.json`
(pid, port, URL) and `control.token` (mode 0600) once it listens. Anyone else finds a
running app with `find_running()`: the lock is held *and* the file names a live pid.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil
from filelock import FileLock, Timeout

from robustapp.config import Paths
from robustapp.errors import AlreadyRunningError

TOKEN_ENV = "ROBUSTAPP_LAUNCH_TOKEN"

# What a server asks of the launcher that started it (GET /api/desktop/events):
SHOW_EVENT = "show"  # a later launch: bring the window forward
RESTORE_EVENT = "restore:"  # + backup id: stop the server, restore the backup, start it again
DIALOG_EVENT = "dialog:"  # + JSON of a FileDialog: open it and answer POST /api/desktop/dialog


@dataclass(frozen=True)
class RunningApp:
    """What a running server tells the world about itself."""

    pid: int
    host: str
    port: int
    version: str
    started_at: str
    mode: str
    token: str = ""

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def app_url(self) -> str:
        """The URL that opens the UI (carries the per-launch secret)."""
        return f"{self.base_url}/?token={self.token}"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def write_private(path: Path, text: str) -> None:
    """Write `text` atomically to a file only the current user can read."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def acquire_server_lock(paths: Paths) -> FileLock:
    """Take the one-server-per-data-home lock, or raise AlreadyRunningError."""
    lock = FileLock(paths.server_lock, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        running = find_running(paths)
        where = f" at {running.base_url} (PID {running.pid})" if running else ""
        raise AlreadyRunningError(f"robustapp is already running{where} for {paths.data_dir}") from None
    return lock


def is_lock_held(path: Path) -> bool:
    if not path.exists():
        return False
    probe = FileLock(path, timeout=0)
    try:
        probe.acquire()
    except Timeout:
        return True
    probe.release()
    return False


def publish(paths: Paths, app: RunningApp) -> None:
    record = asdict(app)
    token = record.pop("token")
    write_private(paths.token_file, token)
    write_private(paths.runtime_file, json.dumps(record, indent=2))


def unpublish(paths: Paths, pid: int) -> None:
    """Remove the runtime files if they are still ours."""
    try:
        record = json.loads(paths.runtime_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if record.get("pid") == pid:
        for path in (paths.runtime_file, paths.token_file):
            path.unlink(missing_ok=True)


def find_running(paths: Paths) -> RunningApp | None:
    """The running server for this data home, or None (stale files are ignored)."""
    try:
        record = json.loads(paths.runtime_file.read_text(encoding="utf-8"))
        token = paths.token_file.read_text(encoding="utf-8").strip()
        app = RunningApp(**record, token=token)
    except (OSError, ValueError, TypeError):
        return None
    if not psutil.pid_exists(app.pid) or not is_lock_held(paths.server_lock):
        return None
    return app
