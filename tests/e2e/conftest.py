"""The real thing: `robustapp run --headless` in a subprocess, driven by Debian's Chromium.

    server (package)   one app server in its own temp home; stopped through POST /api/shutdown
    browser (package)  one headless Chromium (no Playwright browser download); package scope, because
                       sync Playwright keeps an event loop running that asyncio.run() in later tests refuses
    page               a fresh browser context per test: no cookie, so no access yet
    open_app           opens the printed URL plus query params ("page=demo") in that page
    app_page           a fresh context that has opened the printed URL (cookie set, Home shown)
"""

from __future__ import annotations

import queue
import re
import subprocess
import sys
from collections.abc import Callable, Iterator

import httpx
import psutil
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    REPO_ROOT,
    START_TIMEOUT,
    UI_TIMEOUT_MS,
    Server,
    drain,
    server_env,
    wait_for_app,
)

expect.set_options(timeout=UI_TIMEOUT_MS)


def _kill(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Start `python -m robustapp run --headless` once; stop it gracefully and check it is gone."""
    home = tmp_path_factory.mktemp("e2e-home")
    stderr_path = home / "server.stderr"
    with stderr_path.open("w", encoding="utf-8") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "robustapp", "run", "--headless"],
            cwd=REPO_ROOT,
            env=server_env(home),
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    lines, reader = drain(process)
    try:
        try:
            line = lines.get(timeout=START_TIMEOUT)
        except queue.Empty:
            line = ""
        match = re.search(r"Open: (?P<url>(?P<base>http://127\.0\.0\.1:\d+)/\?token=\S+)", line)
        assert match, f"the server printed {line!r}; stderr:\n{stderr_path.read_text()}"
        base_url = match["base"]
        token = (home / "data" / "control.token").read_text(encoding="utf-8").strip()
        yield Server(process, home, match["url"], base_url, token)

        response = httpx.post(f"{base_url}/api/shutdown", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 202
        assert process.wait(timeout=30) == 0, stderr_path.read_text()
        assert not psutil.pid_exists(process.pid), "the server process was not reaped"
        assert not (home / "data" / "runtime.json").exists(), "the server left its runtime file behind"
    finally:
        _kill(process)
        reader.join(timeout=10)
        assert process.stdout is not None
        process.stdout.close()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


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

    def open_(query: str = "") -> Page:
        page.goto(server.printed_url(query))
        wait_for_app(page)
        return page

    return open_


@pytest.fixture
def app_page(open_app: Callable[[str], Page]) -> Page:
    """A page that has opened the URL the server printed, on Home, ready for input.

    The page is named: a URL without one reopens the page the user was on last (the server is shared).
    """
    page = open_app("page=home")
    expect(page.get_by_role("heading", name="robustapp", level=1)).to_be_visible()
    return page
