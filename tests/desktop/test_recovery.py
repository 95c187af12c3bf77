"""A database that does not open: the window says so and offers the newest good backup; one click restores
it and the app opens on it, with a copy of the damaged file kept."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from robustapp.config import Paths
from robustapp.services.control_client import ControlClient
from tests.desktop import devtools, x11
from tests.desktop.devtools import WindowPage
from tests.desktop.launching import Launch

pytestmark = [pytest.mark.desktop, pytest.mark.timeout(180)]


def _cli(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "robustapp", *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_database_that_does_not_open_is_restored_from_the_window(
    launch, x_display: str, app_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _cli("db", "seed", "--rows", "10")
    _cli("backup", "create", "--name", "good")
    paths = Paths.for_home(app_home)
    with open(paths.db_path, "r+b") as database:  # the disk mangles the file's first blocks
        database.write(os.urandom(16384))
    port = devtools.free_port()
    monkeypatch.setenv(devtools.ENV, str(port))

    app: Launch = launch()
    window = WindowPage(port)
    shown = window.wait_for_text("Restore the backup made")
    assert "cannot be opened" in shown
    window.click("#restore-backup")

    running = app.wait_rendered(timeout=90)
    assert [item["name"] for item in ControlClient(running).get("/api/data")] == ["demo_sales"]
    assert len(list(paths.data_dir.glob("robustapp.duckdb.damaged-*"))) == 1, "a copy of the damaged file is kept"
    window.wait_for_text("Restored the backup")

    x11.send_close_request(x_display, x11.wait_for_window(x_display, app.pid))
    assert app.wait_exit() == 0
    assert app.survivors() == []
