"""What the e2e tests share: the server handle, Chromium's settings, and how to wait for the app."""

from __future__ import annotations

import subprocess
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.servers import HeadlessApp

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


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium under sync Playwright, which runs an event loop until it ends: a fixture holding
    it must end before tests that call asyncio.run() (the e2e package's, a module's)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


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


def choose(page: Page, name: str, option: str) -> None:
    """Choose `option` in the select box (or add it in the multiselect) with widget key `name`."""
    combobox = page.locator(key(name)).get_by_role("combobox")
    choice = page.get_by_role("listbox").get_by_role("option", name=option, exact=True)
    for _ in range(5):  # a click while the page is still settling after its first draw may not open the list
        combobox.click()
        try:
            choice.wait_for(timeout=2_000)
            break
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")
    choice.click()
    page.keyboard.press("Escape")  # a multiselect keeps its list open


def download(page: Page, name: str, file_name: str) -> Path:
    """Wait for the export controls `name` to offer `file_name`, download it; where the browser saved it."""
    button = page.locator(key(f"{name}_download")).get_by_role("button")
    expect(button).to_contain_text(f"Download {file_name}")
    with page.expect_download() as downloading:
        button.click()
    assert downloading.value.suggested_filename == file_name
    return Path(downloading.value.path())


class AppProcess(HeadlessApp):
    """A server of a test's own (e.g. to kill one and start the next on the same home); `.server`
    is its view as the e2e tests use it. The conftest's `server` fixture shares one between tests."""

    @property
    def server(self) -> Server:
        return Server(self.process, self.home, self.app_url, self.base_url, self.token)


@contextmanager
def own_app(home: Path) -> Iterator[AppProcess]:
    """A server of a test module's own on `home`, stopped the way the launcher stops it (exit 0)."""
    app = AppProcess(home)
    try:
        yield app
        assert app.stop() == 0, app.stderr()
    finally:
        app.close()


@contextmanager
def own_app_with_dataset(home: Path, name: str, csv_text: str) -> Iterator[AppProcess]:
    """`own_app` with `csv_text` imported as the dataset `name` (through the control API, as the CLI does)."""
    source = home / "source.csv"
    source.write_text(csv_text, encoding="utf-8")
    with own_app(home) as app:
        query = urllib.parse.urlencode({"path": str(source), "name": name})
        assert app.api("POST", f"/api/data/import?{query}").status_code == 200
        yield app


def opener(page: Page, server: Server) -> Callable[[str], Page]:
    """Open the URL `server` printed, with extra query params (e.g. "page=demo"), in `page`; wait for the app."""

    def open_(query: str = "") -> Page:
        page.goto(server.printed_url(query))
        wait_for_app(page)
        return page

    return open_
