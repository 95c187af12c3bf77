"""The built executable in every role: CLI, headless server with the job pool, window, a failed start."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.parse
from pathlib import Path

import psutil
import pytest

from robustapp import __version__
from robustapp.config import Paths
from robustapp.services.control_client import ControlClient, is_healthy
from robustapp.services.instance import RunningApp, find_running
from tests.binary.conftest import Started
from tests.desktop import devtools, x11
from tests.desktop.devtools import WindowPage

pytestmark = pytest.mark.binary


def _wait_running(paths: Paths, run: Started, timeout: float = 90) -> RunningApp:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if run.process.poll() is not None:
            raise AssertionError(f"exited with {run.process.returncode}: {run.output()}")
        running = find_running(paths)
        if running is not None:
            return running
        time.sleep(0.1)
    raise AssertionError(f"no running app within {timeout:g} s")


def _family(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def _alive(processes: list[psutil.Process]) -> list[int]:
    """The pids of `processes` still running after a grace period."""
    _, alive = psutil.wait_procs(processes, timeout=15)
    return [p.pid for p in alive if _is_running(p)]


def _is_running(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _unpacked(cache: Path) -> list[str]:
    return sorted(entry.name for entry in (cache / "robustapp").iterdir())


def test_cli_commands_answer_like_from_source(run_binary) -> None:
    version = run_binary("--version")
    assert (version.returncode, version.stdout.strip()) == (0, f"robustapp {__version__}")
    assert run_binary("init").returncode == 0
    backups = run_binary("backup", "list")
    assert backups.returncode == 0, backups.stderr
    usage = run_binary("no-such-command")
    assert usage.returncode == 2 and "No such command" in usage.stderr


def test_headless_app_imports_backs_up_and_runs_a_pool_job_then_leaves_nothing(
    run_binary, started, binary_env: dict[str, str], app_home: Path, tmp_path: Path
) -> None:
    paths = Paths.for_home(app_home)
    assert run_binary("init").returncode == 0
    server = started("run", "--headless", "--port", "0")
    app = _wait_running(paths, server)
    assert is_healthy(app.base_url)
    client = ControlClient(app, timeout=30)

    csv = tmp_path / "towns.csv"
    csv.write_text("town,people\nAarhus,285000\nOdense,180000\n")
    imported = run_binary("data", "import", str(csv), "--name", "towns")
    assert imported.returncode == 0, imported.stderr
    assert "towns" in run_binary("data", "list").stdout

    created = run_binary("backup", "create")
    assert created.returncode == 0, created.stderr
    verified = run_binary("backup", "verify", "latest")
    assert verified.returncode == 0, verified.stdout + verified.stderr

    query = urllib.parse.urlencode({"name": "pi", "params": json.dumps({"samples": 400_000, "chunks": 4})})
    job_id = client.post(f"/api/jobs?{query}")["id"]
    deadline = time.monotonic() + 90
    while (job := client.get(f"/api/jobs/{job_id}"))["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, f"the pi job did not finish: {job}"
        time.sleep(0.2)
    assert job["state"] == "succeeded", job
    family = _family(server.pid)
    workers = [p for p in family if "--multiprocessing-fork" in p.cmdline()]
    assert workers and all(p.exe() == psutil.Process(server.pid).exe() for p in workers), "a worker is this program"

    client.post("/api/shutdown")
    assert server.process.wait(60) == 0
    assert _alive(family) == []
    assert find_running(paths) is None
    assert list(Path(binary_env["TMPDIR"]).iterdir()) == [] and list(paths.temp_dir.iterdir()) == []
    assert [name for name in _unpacked(Path(binary_env["XDG_CACHE_HOME"])) if not name.startswith("app-")] == []


def test_window_shows_the_app_and_closing_it_ends_every_process(
    started, binary_env: dict[str, str], app_home: Path, x_display: str
) -> None:
    paths = Paths.for_home(app_home)
    app = started(env={**binary_env, "DISPLAY": x_display})
    running = _wait_running(paths, app)
    deadline = time.monotonic() + 90
    while ControlClient(running).get("/api/status")["activity"]["script_runs"] < 1:
        assert time.monotonic() < deadline, "the window did not render the page"
        time.sleep(0.2)
    family = _family(app.pid)

    x11.send_close_request(x_display, x11.wait_for_window(x_display, app.pid))
    assert app.process.wait(60) == 0
    assert _alive(family) == []
    assert find_running(paths) is None


def test_a_file_chosen_in_the_windows_file_dialog_is_imported(
    started, binary_env: dict[str, str], app_home: Path, x_display: str, tmp_path: Path
) -> None:
    data = tmp_path / "picked.csv"
    data.write_text("city,visits\nOslo,3\nLima,5\n")
    port = devtools.free_port()
    app = started(env={**binary_env, "DISPLAY": x_display, devtools.ENV: str(port)})
    running = _wait_running(Paths.for_home(app_home), app)
    main = x11.wait_for_window(x_display, app.pid)
    window = WindowPage(port)
    window.wait_for_element(".st-key-nav_datasets button")
    window.click(".st-key-nav_datasets button")
    window.wait_for_element(".st-key-datasets_choose_file button")

    window.click(".st-key-datasets_choose_file button")
    x11.type_into(x_display, x11.wait_for_another_window(x_display, app.pid, main), str(data))
    window.wait_for_value(".st-key-datasets_path input", str(data))
    window.click(".st-key-datasets_import_start button")

    deadline = time.monotonic() + 60
    while [item["name"] for item in ControlClient(running).get("/api/data")] != ["picked"]:
        assert time.monotonic() < deadline, f"the chosen file was not imported; the window shows:\n{window.text()}"
        time.sleep(0.3)
    x11.send_close_request(x_display, main)
    assert app.process.wait(60) == 0


def test_a_failed_start_shows_a_dialog_naming_the_crash_log(
    started, binary_env: dict[str, str], app_home: Path, x_display: str
) -> None:
    app = started(env={**binary_env, "DISPLAY": x_display, "ROBUSTAPP_PORT": "not-a-port"})
    dialog = x11.wait_for_named_window(x_display, "robustapp", timeout=60)
    crash_log = Paths.for_home(app_home).log_dir / "crash.log"
    assert "ConfigError" in crash_log.read_text()

    x11.type_into(x_display, dialog, "", then="Return")
    assert app.process.wait(30) == 1
    assert "ROBUSTAPP_PORT" in app.output() and str(crash_log) in app.output()


def test_a_stop_signal_ends_the_headless_app_cleanly(started, binary_env: dict[str, str], app_home: Path) -> None:
    paths = Paths.for_home(app_home)
    server = started("run", "--headless", "--port", "0")
    _wait_running(paths, server)
    family = _family(server.pid)
    os.kill(server.pid, signal.SIGTERM)
    assert server.process.wait(60) == 0
    assert _alive(family) == []
    assert find_running(paths) is None
