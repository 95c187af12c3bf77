"""Fixtures for the built executable dist/robustapp (`python build/make.py`): run it like a user would.

These tests are marked `binary` and left out of a plain `python -m pytest` (pyproject's addopts);
`.ci/run` builds the executable and runs `python -m pytest -m binary tests/binary`. Selected without a
built executable, they fail: a missing build must not pass as "skipped".

The executable unpacks itself into $XDG_CACHE_HOME/robustapp: one temp cache for the session (unpacked
once), and a fresh one where a test is about the unpacking itself.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.desktop.conftest import x_display  # noqa: F401 — a private Xvfb per session, as for the desktop tests

ROOT = Path(__file__).resolve().parents[2]
BINARY = ROOT / "dist" / "robustapp"


@pytest.fixture(scope="session")
def binary() -> Path:
    if not BINARY.is_file():
        pytest.fail(f"{BINARY} is missing: build it first with `python build/make.py`")
    return BINARY


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("xdg-cache")


@pytest.fixture
def binary_env(app_home: Path, shared_cache: Path, tmp_path: Path) -> dict[str, str]:
    """The environment of a launch: this test's home, the session's unpack cache, a private TMPDIR, no display."""
    temp = tmp_path / "tmpdir"
    temp.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(XDG_CACHE_HOME=str(shared_cache), TMPDIR=str(temp), BROWSER="true")
    return env


@pytest.fixture
def run_binary(binary: Path, binary_env: dict[str, str]) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the executable to its end: `run_binary("backup", "list")`."""

    def _run(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(binary), *args], env=env or binary_env, capture_output=True, text=True, timeout=timeout
        )

    return _run


class Started:
    """One background run of the executable; its output goes to a file (a pipe nobody reads could fill up)."""

    def __init__(self, command: list[str], env: dict[str, str], output: Path) -> None:
        self.output_file = output
        with open(output, "wb") as sink:
            self.process = subprocess.Popen(
                command, env=env, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT
            )
        self.pid = self.process.pid

    def output(self) -> str:
        return self.output_file.read_text(errors="replace")


@pytest.fixture
def started(binary: Path, binary_env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., Started]]:
    """Start the executable in the background; whatever a failed test leaves is killed at the end."""
    runs: list[Started] = []

    def _start(*args: str, env: dict[str, str] | None = None) -> Started:
        runs.append(Started([str(binary), *args], env or binary_env, tmp_path / f"output-{len(runs)}.txt"))
        return runs[-1]

    yield _start
    for run in runs:
        if run.process.poll() is None:
            run.process.kill()
        run.process.wait(30)
