"""The server child process: spawn it, wait until it serves, stop it with everything it started.

    start()       [python -m robustapp | frozen exe] serve --parent-pid <launcher> --mode <mode>
                  secret in ROBUSTAPP_LAUNCH_TOKEN (never argv), output to logs/server-output.log
    wait_ready()  runtime.json names our token  →  /_stcore/health answers 200
    stop()        POST /api/shutdown → wait → SIGTERM → kill the whole tree → reap
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import psutil

from robustapp.config import ENV_PREFIX, Settings
from robustapp.errors import ControlAPIError, ServerStartError
from robustapp.logs import get_logger
from robustapp.services import instance
from robustapp.services.control_client import ControlClient, is_healthy
from robustapp.services.instance import RunningApp

log = get_logger(__name__)

SHUTDOWN_GRACE = 20.0  # the final checkpoint of a big database takes ~1 s; leave room for slow disks
TERMINATE_GRACE = 5.0
ORPHAN_GRACE = 2.0
_POLL = 0.05
_ERROR_LINE = re.compile(r"^[A-Z]\w*(Error|Exception): ")


def server_command(mode: str, parent_pid: int) -> list[str]:
    """The same program in its hidden `serve` role: from source, or the frozen executable itself."""
    program = [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "robustapp"]
    return [*program, "serve", "--parent-pid", str(parent_pid), "--mode", mode]


def settings_env(settings: Settings) -> dict[str, str]:
    """The launcher's settings as ROBUSTAPP_* variables, so CLI overrides (--port, --debug) reach the child."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump(mode="json", exclude={"secret_key"}).items():
        if value is not None:
            env[f"{ENV_PREFIX}{name.upper()}"] = value if isinstance(value, str) else json.dumps(value)
    return env


class ServerProcess:
    """One server child: start it, wait for it, stop it and every process under it."""

    def __init__(self, settings: Settings, mode: str, *, token: str | None = None) -> None:
        self.settings = settings
        self.mode = mode
        self.output_file: Path = settings.paths.log_dir / "server-output.log"
        self.app: RunningApp | None = None
        self.failure_kind: str | None = None  # the error the child named when it failed, e.g. "DatabaseOpenError"
        self._token = token or instance.new_token()
        self._proc: subprocess.Popen[bytes] | None = None
        self._output: IO[bytes] | None = None
        self._family: dict[int, psutil.Process] = {}
        self._lock = threading.Lock()
        self._stopping = False

    @property
    def exit_code(self) -> int | None:
        """The child's exit code once it has ended, else None."""
        return self._proc.poll() if self._proc else None

    def start(self) -> None:
        """Spawn the child (returns at once); refuses once stop() has begun."""
        with self._lock:
            if self._stopping:
                raise ServerStartError("the app is closing; the server was not started")
            self.output_file.parent.mkdir(parents=True, exist_ok=True)
            self._output = open(self.output_file, "wb")  # closed in stop()
            env = {**os.environ, **settings_env(self.settings), instance.TOKEN_ENV: self._token}
            command = server_command(self.mode, os.getpid())
            try:
                self._proc = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=self._output,
                    stderr=subprocess.STDOUT,
                    env=env,
                    **_detached(),
                )
            except OSError as exc:
                self._output.close()
                raise ServerStartError(f"cannot run {command[0]}: {exc}") from None
        try:
            self._remember(psutil.Process(self._proc.pid))
        except psutil.Error:
            pass  # it died at once; wait_ready() reports why
        log.info("server spawned", pid=self._proc.pid, mode=self.mode)

    def wait_ready(self, cancel: threading.Event | None = None) -> RunningApp | None:
        """Block until the server serves; None if `cancel` was set first. Raises ServerStartError."""
        proc = self._require_started()
        deadline = time.monotonic() + self.settings.start_timeout
        while True:
            if cancel is not None and cancel.is_set():
                return None
            code = proc.poll()
            if code is not None:
                raise ServerStartError(self._failure(f"the server stopped while starting (exit code {code})"))
            running = instance.find_running(self.settings.paths)
            if running is not None and running.token == self._token and is_healthy(running.base_url, 1.0):
                self.app = running
                self._remember_descendants()
                log.info("server ready", url=running.base_url, pid=running.pid)
                return running
            if time.monotonic() > deadline:
                self._terminate_tree()
                raise ServerStartError(
                    self._failure(f"the server did not answer within {self.settings.start_timeout:g} s")
                )
            time.sleep(_POLL)

    def stop(self) -> int | None:
        """Stop gracefully, then by force; reap every process of the tree. Returns the child's exit code."""
        with self._lock:
            self._stopping = True
            proc = self._proc
        if proc is None:
            return None
        if proc.poll() is None and self.app is not None:
            try:
                ControlClient(self.app, timeout=3).post("/api/shutdown")
            except ControlAPIError as exc:
                log.warning("graceful shutdown request failed", error=str(exc))
            self._wait(proc, SHUTDOWN_GRACE)
        if proc.poll() is None:
            if self.app is None:
                log.info("server not ready yet; terminating it", pid=proc.pid)
            else:
                log.warning("server did not stop in time; terminating", pid=proc.pid)
            proc.terminate()
            self._wait(proc, TERMINATE_GRACE)
        if proc.poll() is None:
            self._terminate_tree()
        self._reap_family()
        code = proc.wait()
        if self._output is not None:
            self._output.close()
        log.info("server stopped", exit_code=code)
        return code

    def _require_started(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            raise ServerStartError("the server process was never started")
        return self._proc

    def _remember(self, process: psutil.Process) -> None:
        self._family.setdefault(process.pid, process)

    def _remember_descendants(self) -> None:
        # A descendant must be recorded while its parent lives: once orphaned it is no longer in the tree.
        if self._proc is None:
            return
        try:
            for child in psutil.Process(self._proc.pid).children(recursive=True):
                self._remember(child)
        except psutil.Error:
            pass

    def _wait(self, proc: subprocess.Popen[bytes], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while proc.poll() is None:
            if time.monotonic() > deadline:
                return False
            self._remember_descendants()
            time.sleep(_POLL * 2)
        return True

    def _terminate_tree(self) -> None:
        self._remember_descendants()
        for process in self._family.values():
            _kill(process)
        self._reap_family()

    def _reap_family(self) -> None:
        """Give orphans (job workers) a moment to follow their parent, then kill and wait for the rest."""
        self._remember_descendants()
        main_pid = self._proc.pid if self._proc is not None else None
        others = [p for pid, p in self._family.items() if pid != main_pid]
        leftovers = wait_gone(others, ORPHAN_GRACE)
        for process in leftovers:
            log.warning("killing a leftover server process", pid=process.pid)
            _kill(process)
        wait_gone(leftovers, TERMINATE_GRACE)
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(TERMINATE_GRACE)

    def _failure(self, headline: str) -> str:
        """A message that names what went wrong, the child's last words and where to read more."""
        tail = _tail(self.output_file)
        reason = next((line for line in reversed(tail) if _ERROR_LINE.match(line)), None)
        self.failure_kind = reason.split(":", 1)[0] if reason else None
        parts = [headline + (f": {reason}" if reason else "")]
        context = [line for line in tail if line != reason]
        if context:
            parts.append("Last output of the server:\n" + "\n".join(f"  {line}" for line in context))
        parts.append(f"Log file: {self.settings.paths.log_file}")
        return "\n".join(parts)


def wait_gone(processes: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait until the processes have ended; return those still alive. A zombie has ended."""
    deadline = time.monotonic() + timeout
    alive = processes
    while True:
        alive = [p for p in alive if _is_alive(p)]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(_POLL)


def _is_alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _kill(process: psutil.Process) -> None:
    try:
        process.kill()
    except psutil.Error:
        pass


def _tail(path: Path, lines: int = 12, limit: int = 4000) -> list[str]:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - limit))
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    return [line.rstrip() for line in text.splitlines() if line.strip()][-lines:]


def _detached() -> dict[str, object]:
    """Its own process group: a Ctrl+C in the terminal reaches only the launcher, which stops the server in order."""
    if sys.platform == "win32":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.CREATE_NO_WINDOW}
    return {"start_new_session": True}
