"""Background jobs in the real browser: progress arrives by itself, the page stays usable, cancel works.

A server of its own: the jobs and the name typed here stay out of the shared server's pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.harness import AppProcess, choose, key, opener, own_app, wait_for_app

pytestmark = pytest.mark.e2e

OpenApp = Callable[[str], Page]


@pytest.fixture(scope="module")
def jobs_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppProcess]:
    with own_app(tmp_path_factory.mktemp("jobs-app")) as app:
        yield app


@pytest.fixture
def open_app(page: Page, jobs_app: AppProcess) -> OpenApp:
    return opener(page, jobs_app.server)


def _start_pi(page: Page, points: str) -> None:
    combobox = page.locator(key("demo_pi_samples")).get_by_role("combobox")
    if combobox.input_value() != points:
        choose(page, "demo_pi_samples", points)
        expect(combobox).to_have_value(points)
        wait_for_app(page)
    page.locator(key("demo_pi_start")).get_by_role("button").click()


def test_the_pi_job_reports_progress_and_its_result_without_a_reload_while_the_page_stays_usable(
    open_app: OpenApp,
) -> None:
    page = open_app("page=demo")
    status = page.locator(key("demo_pi_status"))
    _start_pi(page, "200,000,000")

    bar = status.get_by_role("progressbar")
    expect(bar).to_be_visible()
    first = status.inner_text()
    expect(status).not_to_have_text(first, timeout=30_000)  # it moved on by itself

    name = page.locator(key("demo_name")).get_by_role("textbox")  # meanwhile the page answers
    name.fill("Busy Ada")
    name.press("Enter")
    expect(page.locator(key("demo_echo"))).to_contain_text("Hello, Busy Ada!")

    status.get_by_role("button", name="Cancel").click()
    expect(status).to_contain_text(re.compile(r"Job #\d+ cancelled"), timeout=30_000)

    _start_pi(page, "10,000,000")
    expect(status).to_contain_text(re.compile(r"π ≈ 3\.1\d+ from 10,000,000 points"), timeout=60_000)


def test_the_jobs_page_lists_a_finished_job_and_the_sidebar_tells_when_jobs_run(open_app: OpenApp) -> None:
    page = open_app("page=demo")
    _start_pi(page, "200,000,000")
    sidebar_status = page.locator(key("job_status"))
    expect(sidebar_status.get_by_role("progressbar")).to_be_visible(timeout=30_000)

    page.locator(key("nav_jobs")).get_by_role("button").click()
    expect(page).to_have_url(re.compile(r"\?page=jobs$"))
    row = page.locator("[class*='st-key-jobs_row_']").first
    expect(row).to_contain_text("pi")
    row.get_by_role("button", name="Cancel").click()
    expect(page.locator(key("jobs_active"))).to_contain_text("Nothing is running or waiting.", timeout=30_000)
    expect(sidebar_status).to_contain_text("No background jobs", timeout=30_000)
