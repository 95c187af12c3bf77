"""Restoring a backup from the app: Settings → Restore… → confirm; the launcher stops the server, restores,
and starts it again on the same address, and the open page comes back on the restored data.

The launcher runs in browser mode (no window) with a real Chromium on its page: the same restart path as
the window, and the page is driven exactly as a user would.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from robustapp.services.control_client import ControlClient
from robustapp.services.instance import RunningApp, find_running
from tests.desktop.launching import Launch
from tests.e2e.harness import APP_IDLE, UI_TIMEOUT_MS, chromium
from tests.integration.helpers import wait_until

pytestmark = [pytest.mark.desktop, pytest.mark.timeout(180)]
RESTART_TIMEOUT_MS = 90_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as running:  # ended with this module, before any other test's asyncio.run()
        yield running


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh context; the app under it is stopped by the test, so nothing waits for it at the end."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def _wait_job(client: ControlClient, job_id: int, timeout: float = 60.0) -> dict:
    finished = ("succeeded", "failed", "cancelled", "interrupted")
    assert wait_until(lambda: client.get(f"/api/jobs/{job_id}")["state"] in finished, timeout, 0.2), (
        f"job {job_id} did not finish within {timeout:g} s"
    )
    return client.get(f"/api/jobs/{job_id}")


def _datasets(app: RunningApp) -> list[str]:
    return sorted(item["name"] for item in ControlClient(app).get("/api/data"))


def test_a_backup_restored_from_settings_brings_back_its_data_and_the_page(launch, page: Page) -> None:
    app: Launch = launch(display=False)
    first = app.wait_serving()
    client = ControlClient(first, timeout=60)
    client.post("/api/db/seed?rows=10")  # the demo dataset, demo_sales
    backup = _wait_job(client, client.post("/api/backups?name=before-rename")["job"])
    assert backup["state"] == "succeeded", backup
    client.post("/api/data/rename?old=demo_sales&new=sales_after_backup")
    assert _datasets(first) == ["sales_after_backup"]

    page.goto(first.app_url.replace("/?", "/?page=settings&", 1))
    page.wait_for_selector(APP_IDLE, timeout=UI_TIMEOUT_MS)
    page.locator(".st-key-settings_restore button").click()
    confirm = page.locator(".st-key-settings_restore_confirm")
    expect(confirm).to_contain_text("before-rename", timeout=UI_TIMEOUT_MS)
    expect(confirm).to_contain_text("saved as a safety backup first")
    confirm.get_by_role("button", name="Restore and restart").click()

    notice = page.locator(".st-key-restore_outcome")
    expect(notice).to_contain_text("Restored the backup", timeout=RESTART_TIMEOUT_MS)
    expect(notice).to_contain_text("Your data from before the restore is kept as backup")
    second = find_running(app.paths)
    assert second is not None and second.pid != first.pid, "a new server serves the restored database"
    assert (second.port, second.token) == (first.port, first.token), "the open page reconnected to it"
    assert _datasets(second) == ["demo_sales"]
    kinds = sorted(item["kind"] for item in ControlClient(second).get("/api/backups"))
    assert kinds == ["manual", "safety"]

    page.locator(".st-key-restore_outcome_dismiss button").click()
    expect(notice).to_have_count(0, timeout=UI_TIMEOUT_MS)
    app.process.terminate()
    assert app.wait_exit() == 0
    assert app.survivors() == []


def test_a_restore_that_is_refused_leaves_the_data_and_says_why(launch, page: Page) -> None:
    app: Launch = launch(display=False)
    first = app.wait_serving()
    client = ControlClient(first, timeout=60)
    client.post("/api/db/seed?rows=10")
    backup = _wait_job(client, client.post("/api/backups")["job"])
    client.post("/api/data/rename?old=demo_sales&new=kept")
    made = next(item for item in client.get("/api/backups") if item["id"] == backup["result"]["id"])
    with open(made["path"], "r+b") as damaged:  # the file rots on disk after it was listed
        damaged.seek(made["size_bytes"] // 2)
        damaged.write(b"\xff" * 64)

    page.goto(first.app_url.replace("/?", "/?page=settings&", 1))
    page.wait_for_selector(APP_IDLE, timeout=UI_TIMEOUT_MS)
    page.locator(".st-key-settings_restore button").click()
    page.locator(".st-key-settings_restore_confirm").get_by_role("button", name="Restore and restart").click()

    notice = page.locator(".st-key-restore_outcome")
    expect(notice).to_contain_text("was not restored", timeout=RESTART_TIMEOUT_MS)
    expect(notice).to_contain_text("Your data is as it was")
    second = find_running(app.paths)
    assert second is not None
    assert _datasets(second) == ["kept"]
