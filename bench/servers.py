"""What the benchmarks share: start and stop the two servers, launch Chromium, wait for a page, summarise.

    AppServer   `python -m robustapp run --headless --port P` in a temp home; stopped by POST /api/shutdown
    BareServer  `python -m streamlit run bench/bare_app.py …` on a free port; stopped by SIGTERM
Both leave nothing running: `stop()` waits for the process, and kills it if it will not go.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

import httpx

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
BARE_APP = BENCH_DIR / "bare_app.py"
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
# Streamlit 1.67 marks the app connected and its script run finished on the stApp element.
APP_IDLE = "[data-testid=stApp][data-test-connection-state=CONNECTED][data-test-script-state=notRunning]"
SKELETON = "[data-testid=stSkeleton]"
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Server(ABC):
    """A server subprocess in its own temp directory, with its health URL."""

    name = ""
    ready_selector = ""  # an element of the first page that says "rendered"

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix=f"bench-{self.name}-"))
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0

    @abstractmethod
    def command(self) -> list[str]:
        """The command line that starts this server."""

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ROBUSTAPP_")}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        return env

    @property
    def page_url(self) -> str:
        return f"{self.base_url}/"

    def start(self) -> float:
        """Launch the process; returns the perf_counter() of the launch."""
        log = (self.home / "server.log").open("wb")
        self.started_at = time.perf_counter()
        self.process = subprocess.Popen(
            self.command(), cwd=self.home, env=self.env(), stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        return self.started_at

    def wait_healthy(self, client: httpx.Client) -> float:
        """Poll /_stcore/health every 5 ms; returns the perf_counter() of the first 200."""
        assert self.process is not None
        deadline = time.perf_counter() + START_TIMEOUT
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} server exited early:\n{self.log_tail()}")
            try:
                if client.get(f"{self.base_url}/_stcore/health").status_code == 200:
                    return time.perf_counter()
            except httpx.TransportError:
                pass
            time.sleep(0.005)
        raise TimeoutError(f"{self.name} server not healthy after {START_TIMEOUT:.0f} s:\n{self.log_tail()}")

    def log_tail(self) -> str:
        return (self.home / "server.log").read_text(errors="replace")[-2000:]

    @abstractmethod
    def request_stop(self) -> None:
        """Ask the server to stop the way its users stop it."""

    def stop(self) -> None:
        """Stop gracefully, wait, kill if it hangs; then remove the temp directory."""
        if self.process is not None and self.process.poll() is None:
            try:
                self.request_stop()
                self.process.wait(timeout=20)
            except (httpx.HTTPError, OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.home, ignore_errors=True)


class AppServer(_Server):
    """This app, started the way a user starts it headless."""

    name = "app"
    ready_selector = "[data-testid=stMain] h1"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "robustapp", "run", "--headless", "--port", str(self.port)]

    def __init__(self, **settings: str) -> None:
        super().__init__()
        self.settings = settings  # extra ROBUSTAPP_* settings, e.g. JOB_MAX_WORKERS="2"

    def env(self) -> dict[str, str]:
        env = super().env()
        env.update(ROBUSTAPP_HOME=str(self.home), ROBUSTAPP_ENV_FILE=str(self.home / "no-such.env"))
        env.update({f"ROBUSTAPP_{name.upper()}": value for name, value in self.settings.items()})
        return env

    @property
    def token(self) -> str:
        """The per-launch secret, from the file the server writes once it listens."""
        token_file = self.home / "data" / "control.token"
        deadline = time.perf_counter() + START_TIMEOUT
        while not token_file.exists():
            if time.perf_counter() > deadline:
                raise TimeoutError(f"the app wrote no {token_file}:\n{self.log_tail()}")
            time.sleep(0.002)
        return token_file.read_text(encoding="utf-8").strip()

    def url_for(self, query: str = "") -> str:
        """The URL the server printed (it carries the secret), with extra query params first."""
        return f"{self.base_url}/?{query + '&' if query else ''}token={self.token}"

    @property
    def page_url(self) -> str:
        return self.url_for()

    def request_stop(self) -> None:
        httpx.post(f"{self.base_url}/api/shutdown", headers={"Authorization": f"Bearer {self.token}"}, timeout=10)


class BareServer(_Server):
    """A one-widget Streamlit script, started with plain `streamlit run` (plus any `extra_flags`)."""

    name = "bare"
    ready_selector = ".st-key-name input"
    extra_flags: tuple[str, ...] = ()  # "server.fileWatcherType=none" → --server.fileWatcherType none

    def command(self) -> list[str]:
        command = [
            sys.executable, "-m", "streamlit", "run", str(BARE_APP),
            "--server.headless", "true",
            "--server.address", "127.0.0.1",
            "--server.port", str(self.port),
            "--browser.gatherUsageStats", "false",
            "--global.developmentMode", "false",
        ]  # fmt: skip
        for flag in self.extra_flags:
            name, _, value = flag.partition("=")
            command += [f"--{name}", value]
        return command

    def request_stop(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)


@contextmanager
def running(server: _Server) -> Iterator[_Server]:
    """Start `server`, and stop it whatever happens."""
    try:
        server.start()
        yield server
    finally:
        server.stop()


@contextmanager
def chromium() -> Iterator[object]:
    """One headless Chromium (Debian's; no Playwright browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def wait_rendered(page, server: _Server, timeout_ms: float = START_TIMEOUT * 1000) -> None:
    """The first page is drawn: marker visible, script run finished, no placeholder left.

    Streamlit loads some widgets' code lazily (radio, date input, dataframe, …) and shows a grey
    skeleton until it arrives, after the script run has finished; a page is drawn when none is left.
    """
    page.wait_for_selector(server.ready_selector, state="visible", timeout=timeout_ms)
    page.wait_for_selector(APP_IDLE, timeout=timeout_ms)
    page.wait_for_function(f"() => !document.querySelector({SKELETON!r})", timeout=timeout_ms)


def summary(samples: list[float]) -> dict[str, float]:
    """Median and p95 (inclusive quantiles) of samples, plus their count, min and max."""
    ordered = sorted(samples)
    p95 = statistics.quantiles(ordered, n=20, method="inclusive")[18] if len(ordered) > 1 else ordered[0]
    return {
        "n": len(ordered),
        "median": statistics.median(ordered),
        "p95": p95,
        "min": ordered[0],
        "max": ordered[-1],
    }


def add_bare_flag_option(parser) -> None:
    parser.add_argument(
        "--bare-flag",
        action="append",
        default=[],
        metavar="OPTION=VALUE",
        help="an extra Streamlit option for the bare app, e.g. server.fileWatcherType=none (repeatable)",
    )


def configure_bare(flags: list[str]) -> None:
    for flag in flags:
        if "=" not in flag:
            raise SystemExit(f"--bare-flag {flag!r}: expected OPTION=VALUE, e.g. server.fileWatcherType=none")
    BareServer.extra_flags = tuple(flags)


def machine() -> dict[str, object]:
    """What the figures were measured on."""
    import platform

    return {
        "bare_flags": list(BareServer.extra_flags),
        "python": platform.python_version(),
        "streamlit": version("streamlit"),
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
