"""The desktop app as a user meets it: a real Qt WebEngine window under Xvfb on a real server child."""

from __future__ import annotations

import http.cookiejar
import json
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from robustapp.services.control_client import ControlClient
from tests.desktop import x11
from tests.desktop.launching import Launch
from tests.desktop.x11 import Geometry

pytestmark = [pytest.mark.desktop, pytest.mark.timeout(120)]


def test_closing_the_window_stops_the_server_and_every_process(launch, x_display: str) -> None:
    app: Launch = launch()
    running = app.wait_rendered()
    assert running.pid in {p.pid for p in app.family()}, "the server is a child of the launcher"

    x11.send_close_request(x_display, x11.wait_for_window(x_display, app.pid))

    assert app.wait_exit() == 0
    assert app.survivors() == []
    assert not app.paths.runtime_file.exists()
    assert not app.paths.token_file.exists()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_closes_the_window_like_the_user_would(
    launch, x_display: str, stop_signal: signal.Signals
) -> None:
    app: Launch = launch()
    app.wait_rendered()
    x11.wait_for_window(x_display, app.pid)

    app.process.send_signal(stop_signal)

    assert app.wait_exit() == 0
    assert app.survivors() == []
    assert not app.paths.runtime_file.exists()
    assert app.paths.window_state_file.exists(), "the window went through its normal close"


def test_a_killed_launcher_leaves_no_server_behind(launch) -> None:
    app: Launch = launch()
    app.wait_rendered()

    app.process.kill()
    app.wait_exit()

    assert app.survivors(timeout=20) == []
    assert not app.paths.runtime_file.exists(), "the server shut down in order, not by force"


def test_a_server_that_dies_is_reported_and_the_launcher_exits_1(launch, x_display: str) -> None:
    app: Launch = launch()
    running = app.wait_rendered()

    psutil.Process(running.pid).kill()

    assert _eventually(lambda: "the server stopped unexpectedly" in app.output())
    x11.send_close_request(x_display, x11.wait_for_window(x_display, app.pid))
    assert app.wait_exit() == 1
    assert app.survivors() == []


def test_a_second_launch_brings_the_open_window_forward(launch, x_display: str, app_home: Path) -> None:
    first: Launch = launch()
    running = first.wait_rendered()
    window = x11.wait_for_window(x_display, first.pid)
    cover = subprocess.Popen(
        ["xmessage", "-title", "cover", "-geometry", "+0+0", "another window on top"],
        env={"DISPLAY": x_display, "PATH": "/usr/bin:/bin"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        cover_window = x11.wait_for_named_window(x_display, "cover")
        assert _is_above(x_display, cover_window, window)

        second: Launch = launch()

        assert second.wait_exit(timeout=20) == 0
        assert "robustapp is already open" in second.output()
        assert _servers_for(app_home) == [running.pid]
        assert ControlClient(running).get("/api/status")["running"] is True
        assert _eventually(lambda: _is_above(x_display, window, cover_window)), "the app window came to the front"
    finally:
        cover.terminate()
        cover.wait(10)


def test_the_window_reopens_where_it_was_closed(launch, x_display: str) -> None:
    first: Launch = launch()
    first.wait_rendered()
    window = x11.wait_for_window(x_display, first.pid)
    placed = Geometry(x=40, y=30, width=900, height=640)
    x11.move_and_resize(x_display, window, placed)
    assert _eventually(lambda: x11.geometry(x_display, window) == placed)
    x11.send_close_request(x_display, window)
    assert first.wait_exit() == 0
    saved = json.loads(first.paths.window_state_file.read_text())
    assert saved == {"x": 40, "y": 30, "width": 900, "height": 640, "maximized": False}

    second: Launch = launch()
    reopened = x11.wait_for_window(x_display, second.pid)

    assert x11.geometry(x_display, reopened) == placed
    x11.send_close_request(x_display, reopened)  # while it may still be loading: that must be clean too
    assert second.wait_exit() == 0
    assert second.survivors() == []


def test_without_a_display_the_app_opens_in_the_browser(launch, tmp_path: Path) -> None:
    opened = tmp_path / "opened-url"
    browser = tmp_path / "browser"
    browser.write_text(f'#!/bin/sh\nprintf "%s" "$1" > "{opened}"\n')
    browser.chmod(0o755)

    app: Launch = launch(display=False, browser=str(browser))
    running = app.wait_serving()

    assert _eventually(opened.exists), f"no browser was opened; output:\n{app.output()}"
    assert opened.read_text() == running.app_url
    assert "No window can open here" in app.output()
    cookies = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with cookies.open(opened.read_text(), timeout=10) as page:
        assert page.status == 200
        assert '<div id="root">' in page.read().decode()

    app.process.send_signal(signal.SIGTERM)
    assert app.wait_exit() == 0
    assert app.survivors() == []
    assert not app.paths.runtime_file.exists()


def _is_above(display: str, upper: int, lower: int) -> bool:
    order = x11.stacking_order(display)
    return upper in order and lower in order and order.index(upper) > order.index(lower)


def _servers_for(home: Path) -> list[int]:
    """PIDs of server processes serving this data home."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            if "serve" in (process.info["cmdline"] or []) and process.environ().get("ROBUSTAPP_HOME") == str(home):
                found.append(process.pid)
        except psutil.Error:
            continue
    return found


def _eventually(check, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()
