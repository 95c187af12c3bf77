"""A headless app server for tests, started the way a user starts one: `python -m robustapp run --headless`.

    app = HeadlessApp(home, job_max_workers="1")   # waits for "robustapp is running. Open: <url>"
    app.api("GET", "/api/status").json()           # the control API, with the bearer token
    app.stop()                                     # POST /api/shutdown; the exit code
    app.kill9() · app.close()                      # a crash; whatever state it is in: gone and reaped

The server gets a home of its own and no ROBUSTAPP_* from outside (a server may outlive the
test whose autouse fixture set the home). Its stdout is read in a thread so the pipe never
fills; its stderr goes to a file in the home, shown when it fails to start.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx

from robustapp.config import Paths

REPO_ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 60.0
PRINTED_URL = re.compile(r"robustapp is running\. Open: (?P<url>(?P<base>http://127\.0\.0\.1:\d+)/\?token=\S+)")


def server_env(home: Path, **settings: str) -> dict[str, str]:
    """The environment of a server on data home `home`, plus ROBUSTAPP_<NAME> for each of `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROBUSTAPP_")}
    env.update(ROBUSTAPP_HOME=str(home), ROBUSTAPP_ENV_FILE=str(home / "no-such.env"), PYTHONUNBUFFERED="1")
    env.update({f"ROBUSTAPP_{name.upper()}": value for name, value in settings.items()})
    return env


class HeadlessApp:
    """One `robustapp run --headless` process on `home`, started and ready (or AssertionError with its stderr)."""

    def __init__(self, home: Path, **settings: str) -> None:
        self.home = home
        self.paths = Paths.for_home(home)
        home.mkdir(parents=True, exist_ok=True)
        self.stderr_path = home / f"server-{len(list(home.glob('server-*.stderr')))}.stderr"
        with self.stderr_path.open("w", encoding="utf-8") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "robustapp", "run", "--headless"],
                cwd=REPO_ROOT,
                env=server_env(home, **settings),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
        self._lines: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read_stdout, name="test-server-stdout", daemon=True)
        self._reader.start()
        try:
            line = self._lines.get(timeout=START_TIMEOUT)
        except queue.Empty:
            line = ""
        match = PRINTED_URL.search(line)
        if not match:
            self.close()
            raise AssertionError(f"the server printed {line!r}; stderr:\n{self.stderr()}")
        self.app_url: str = match["url"]  # what the user opens: it carries the secret
        self.base_url: str = match["base"]
        self.token = self.paths.token_file.read_text(encoding="utf-8").strip()

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put("")

    @property
    def pid(self) -> int:
        return self.process.pid

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def api(self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        """Call the control API, with the bearer token unless `headers` says otherwise."""
        if headers is None:
            headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.request(method, f"{self.base_url}{path}", headers=headers, timeout=30, **kwargs)

    def stop(self) -> int:
        """Ask the server to stop (POST /api/shutdown, as the launcher does); its exit code."""
        response = self.api("POST", "/api/shutdown")
        assert response.status_code == 202, response.text
        return self.process.wait(timeout=30)

    def kill9(self) -> None:
        """SIGKILL: no handler, no cleanup, no flush; as a crash or `kill -9` does it."""
        os.kill(self.process.pid, signal.SIGKILL)
        assert self.process.wait(timeout=10) == -signal.SIGKILL

    def close(self) -> None:
        """Whatever state it is in: gone, reaped, its pipe closed."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        self._reader.join(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def __enter__(self) -> HeadlessApp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
