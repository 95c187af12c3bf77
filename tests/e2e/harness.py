"""What the e2e tests share: the server handle, Chromium's settings, and how to wait for the app."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import httpx
from playwright.sync_api import Page

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A connected app whose script run has finished (Streamlit 1.67 sets both attributes on stApp).
APP_IDLE = "[data-testid=stApp][data-test-connection-state=CONNECTED][data-test-script-state=notRunning]"
UI_TIMEOUT_MS = 15_000


@dataclass(frozen=True)
class Server:
    """A running app server, as its user sees it: the printed URL and the control token."""

    process: subprocess.Popen[str]
    home: Path
    app_url: str
    base_url: str
    token: str

    def url(self, query: str = "") -> str:
        return f"{self.base_url}/{query}"

    def printed_url(self, query: str = "") -> str:
        """The URL the server printed (it carries the secret), with extra query params."""
        return self.app_url.replace("/?", f"/?{query}&", 1) if query else self.app_url

    def api(self, method: str, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        """Call the control API, with the bearer token unless `headers` says otherwise."""
        if headers is None:
            headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.request(method, f"{self.base_url}{path}", headers=headers, timeout=10)

    def script_runs(self) -> int:
        return int(self.api("GET", "/api/status").json()["activity"]["script_runs"])


def wait_for_app(page: Page) -> None:
    """Wait until the app is connected and its script run has finished."""
    page.wait_for_selector(APP_IDLE)


def key(name: str) -> str:
    """The CSS selector of the element Streamlit drew for widget or container key `name`."""
    return f".st-key-{name}"


def server_env(home: Path) -> dict[str, str]:
    """The environment of a server on data home `home`: no ROBUSTAPP_* from outside, no .env file.

    The autouse app_home fixture is per test; a server may outlive a test, so it pins its own home.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROBUSTAPP_")}
    env.update(ROBUSTAPP_HOME=str(home), ROBUSTAPP_ENV_FILE=str(home / "no-such.env"), PYTHONUNBUFFERED="1")
    return env


def drain(process: subprocess.Popen[str]) -> tuple[queue.Queue[str], threading.Thread]:
    """Read the server's stdout line by line in a thread, so the pipe never fills ("" at the end)."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put("")

    reader = threading.Thread(target=read, name="e2e-server-stdout", daemon=True)
    reader.start()
    return lines, reader


_PRINTED_URL = re.compile(r"Open: (?P<url>(?P<base>http://127\.0\.0\.1:\d+)/\?token=\S+)")


class AppProcess:
    """`python -m robustapp run --headless` on a data home, as its user starts it; can be killed -9.

    The server fixture in conftest.py shares one such server between tests; this is for a test
    that needs servers of its own (e.g. to kill one and start the next on the same home).
    """

    def __init__(self, home: Path) -> None:
        self.home = home
        self.stderr_path = home / f"server-{len(list(home.glob('server-*.stderr')))}.stderr"
        home.mkdir(parents=True, exist_ok=True)
        with self.stderr_path.open("w", encoding="utf-8") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "robustapp", "run", "--headless"],
                cwd=REPO_ROOT,
                env=server_env(home),
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
        self._lines, self._reader = drain(self.process)
        try:
            line = self._lines.get(timeout=START_TIMEOUT)
        except queue.Empty:
            line = ""
        match = _PRINTED_URL.search(line)
        if not match:
            self.close()
            raise AssertionError(f"the server printed {line!r}; stderr:\n{self.stderr_path.read_text()}")
        token = (home / "data" / "control.token").read_text(encoding="utf-8").strip()
        self.server = Server(self.process, home, match["url"], match["base"], token)

    def kill9(self) -> None:
        """SIGKILL: no handler, no cleanup, no flush; as a crash or `kill -9` does it."""
        os.kill(self.process.pid, signal.SIGKILL)
        assert self.process.wait(timeout=10) == -signal.SIGKILL

    def stop(self) -> int:
        """Ask the server to stop (POST /api/shutdown, as the launcher does); its exit code."""
        assert self.server.api("POST", "/api/shutdown").status_code == 202
        return self.process.wait(timeout=30)

    def close(self) -> None:
        """Whatever state it is in: gone, reaped, its pipe closed."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self._reader.join(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()
