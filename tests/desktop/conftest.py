"""Fixtures for the real desktop app: one Xvfb for the session, and launches of `python -m robustapp`.

Every launch runs the real launcher, the real server child and the real Qt WebEngine window; the test
only does what a user (or the OS) would: look at the window, move it, close it, send a signal.
"""

from __future__ import annotations

import ctypes
import os
import select
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.desktop.launching import Launch

SCREEN = (1280, 800)
_PR_SET_CHILD_SUBREAPER = 36


def _set_child_subreaper(on: bool) -> None:
    """Adopt orphaned descendants (see `launch`); Linux only."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0)


@pytest.fixture(scope="session")
def x_display() -> Iterator[str]:
    """A private X server on a free display number (Xvfb picks it and reports it through -displayfd)."""
    if shutil.which("Xvfb") is None:
        pytest.fail("Xvfb is not installed (Debian package xvfb; see .ci/system-deps.sh)")
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as reader:
        ready, _, _ = select.select([reader], [], [], 15)
        number = reader.readline().strip() if ready else ""
    if not number:
        server.kill()
        server.wait()
        pytest.fail("Xvfb did not start")
    try:
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture
def launch(app_home: Path, x_display: str, tmp_path: Path) -> Iterator[Callable[..., Launch]]:
    """Start `python -m robustapp` with this test's home, on the test display (or with no display).

    For the test's duration this process adopts orphans: Qt's helper processes outlive a closing launcher
    by a moment, and PID 1 of some CI machines never reaps them; here they are checked and reaped.
    """
    started: list[Launch] = []
    _set_child_subreaper(True)

    def _launch(*args: str, display: bool = True, browser: str = "true") -> Launch:
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
        env["BROWSER"] = browser  # never a real browser from a test
        if display:
            env["DISPLAY"] = x_display
        output_dir = tmp_path / f"launch-{len(started)}"
        output_dir.mkdir()
        started.append(Launch(app_home, env, output_dir, args))
        return started[-1]

    try:
        yield _launch
    finally:
        for launched in started:
            launched.finish()
        _set_child_subreaper(False)
