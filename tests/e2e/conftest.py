"""The real thing: `robustapp run --headless` in a subprocess, driven by Debian's Chromium.

    server (package)   one app server in its own temp home; stopped through POST /api/shutdown
    browser (package)  one headless Chromium (no Playwright browser download); package scope, because
                       sync Playwright keeps an event loop running that asyncio.run() in later tests refuses
    page               a fresh browser context per test: no cookie, so no access yet
    open_app           opens the printed URL plus query params ("page=demo") in that page
    app_page           a fresh context that has opened the printed URL (cookie set, Home shown)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import psutil
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.harness import UI_TIMEOUT_MS, AppProcess, Server, chromium, opener, wait_for_app

expect.set_options(timeout=UI_TIMEOUT_MS)


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Start `python -m robustapp run --headless` once; stop it gracefully and check it is gone."""
    app = AppProcess(tmp_path_factory.mktemp("e2e-home"))
    try:
        yield app.server

        assert app.stop() == 0, app.stderr()
        assert not psutil.pid_exists(app.pid), "the server process was not reaped"
        assert not app.paths.runtime_file.exists(), "the server left its runtime file behind"
    finally:
        app.close()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh browser context: no cookies, nothing opened yet."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    yield page
    if page.get_by_test_id("stApp").count():
        wait_for_app(page)  # let the last script run finish, so the next test starts from a quiet server
    context.close()


@pytest.fixture
def open_app(page: Page, server: Server) -> Callable[[str], Page]:
    """Open the URL the server printed, with extra query params (e.g. "page=demo"); wait for the app."""
    return opener(page, server)


@pytest.fixture
def app_page(open_app: Callable[[str], Page]) -> Page:
    """A page that has opened the URL the server printed, on Home, ready for input.

    The page is named: a URL without one reopens the page the user was on last (the server is shared).
    """
    page = open_app("page=home")
    expect(page.get_by_role("heading", name="robustapp", level=1)).to_be_visible()
    return page
