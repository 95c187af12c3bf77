"""The desktop window's native file dialogs: choose a file to import (and a place to save an export) in the
system's dialog, exactly as a user does: click the button in the page, type in the dialog, press Enter."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from robustapp.services.control_client import ControlClient
from robustapp.services.instance import RunningApp
from tests.desktop import devtools, x11
from tests.desktop.devtools import WindowPage
from tests.desktop.launching import Launch
from tests.integration.helpers import wait_until

pytestmark = [pytest.mark.desktop, pytest.mark.timeout(180)]


@dataclass(frozen=True)
class Desktop:
    """The launched app, its server, its window (X id) and the page in it."""

    app: Launch
    running: RunningApp
    main: int
    window: WindowPage


@pytest.fixture
def desktop(launch, x_display: str, monkeypatch: pytest.MonkeyPatch) -> Desktop:
    port = devtools.free_port()
    monkeypatch.setenv(devtools.ENV, str(port))
    app: Launch = launch()
    running = app.wait_rendered()
    main = x11.wait_for_window(x_display, app.pid)
    window = WindowPage(port)
    window.wait_for_element(".st-key-nav_datasets button")  # the app is drawn in the window
    return Desktop(app, running, main, window)


def test_a_file_chosen_in_the_dialog_is_imported(desktop: Desktop, x_display: str, tmp_path: Path) -> None:
    data = tmp_path / "chosen sales.csv"
    data.write_text("region,amount\nnorth,10\nsouth,32\n")
    window = desktop.window
    window.click(".st-key-nav_datasets button")
    window.wait_for_element(".st-key-datasets_choose_file button")

    window.click(".st-key-datasets_choose_file button")
    x11.type_into(x_display, x11.wait_for_another_window(x_display, desktop.app.pid, desktop.main), str(data))

    window.wait_for_value(".st-key-datasets_path input", str(data))
    window.click(".st-key-datasets_import_start button")
    client = ControlClient(desktop.running)
    assert wait_until(lambda: client.get("/api/data") != [], timeout=60), (
        f"the chosen file was not imported; the window shows:\n{window.text()}"
    )
    assert [item["name"] for item in client.get("/api/data")] == ["chosen sales"]


def test_a_download_in_the_window_is_saved_where_the_user_chooses(
    desktop: Desktop, x_display: str, tmp_path: Path
) -> None:
    data = tmp_path / "orders.csv"
    data.write_text("region,amount\nnorth,10\nsouth,32\n")
    ControlClient(desktop.running, timeout=60).post(f"/api/data/import?path={data}")
    window = desktop.window

    window.evaluate("location.href = '/?page=browse&dataset=orders'")
    window.wait_for_element(".st-key-browse_export_start button")
    window.click(".st-key-browse_export_start button")
    window.wait_for_element(".st-key-browse_export_download button")
    window.click(".st-key-browse_export_download button")
    saved = tmp_path / "saved" / "my orders.csv"
    saved.parent.mkdir()
    x11.type_into(x_display, x11.wait_for_another_window(x_display, desktop.app.pid, desktop.main), str(saved))

    assert wait_until(lambda: saved.exists() and saved.read_text() != "", timeout=30), (
        "the download was not saved where the user chose"
    )
    assert saved.read_text().splitlines() == ["region,amount", "north,10", "south,32"]
