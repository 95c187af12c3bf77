"""Getting around and using a page: the sidebar, the URL, the Demo page's echo and its error panel."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.harness import Server, key, wait_for_app

pytestmark = pytest.mark.e2e

OpenApp = Callable[[str], Page]


def _title(page: Page, text: str) -> Locator:
    """The page's own title (the sidebar has a heading of its own)."""
    return page.get_by_test_id("stMain").get_by_role("heading", name=text, level=1)


def test_the_sidebar_navigates_to_settings_and_demo_and_the_url_follows(app_page: Page) -> None:
    app_page.locator(key("nav_settings")).get_by_role("button").click()
    expect(app_page).to_have_url(re.compile(r"\?page=settings$"))
    expect(_title(app_page, "Settings")).to_be_visible()

    app_page.locator(key("nav_demo")).get_by_role("button").click()
    expect(app_page).to_have_url(re.compile(r"\?page=demo$"))
    expect(_title(app_page, "Demo")).to_be_visible()
    expect(_title(app_page, "Settings")).to_have_count(0)


def test_a_deep_link_opens_settings(app_page: Page, server: Server) -> None:
    app_page.goto(server.url("?page=settings"))
    wait_for_app(app_page)
    expect(_title(app_page, "Settings")).to_be_visible()
    expect(app_page.get_by_role("heading", name="Where your data lives")).to_be_visible()


def test_the_printed_url_with_a_page_opens_that_page(open_app: OpenApp, server: Server) -> None:
    page = open_app("page=settings")
    expect(page).to_have_url(f"{server.base_url}/?page=settings")
    expect(_title(page, "Settings")).to_be_visible()


def test_an_unknown_page_shows_home_with_a_notice(open_app: OpenApp) -> None:
    app_page = open_app("page=no-such-page")
    expect(app_page.locator(key("notice_slot"))).to_contain_text("There is no page called 'no-such-page'")
    expect(_title(app_page, "robustapp")).to_be_visible()
    expect(app_page).to_have_url(re.compile(r"\?page=home$"))


def test_typing_a_name_and_enter_on_demo_greets_by_name(open_app: OpenApp) -> None:
    app_page = open_app("page=demo")
    echo = app_page.locator(key("demo_echo"))
    expect(echo).to_contain_text("Hello, stranger!")

    name = app_page.locator(key("demo_name")).get_by_role("textbox")
    name.fill("Ada Lovelace")
    name.press("Enter")

    expect(echo).to_contain_text("Hello, Ada Lovelace!")
    expect(echo.locator("strong")).to_have_text("Ada Lovelace")


def test_a_failing_page_shows_an_error_panel_and_the_sidebar_still_works(open_app: OpenApp, server: Server) -> None:
    app_page = open_app("page=demo")

    app_page.locator(key("demo_raise")).get_by_role("button").click()

    panel = app_page.locator(key("error_panel"))
    expect(panel).to_contain_text("This page ran into a problem.")
    expect(panel).to_contain_text(re.compile(r"Trace id: [0-9a-f]{12}"))
    trace_id = re.search(r"Trace id: ([0-9a-f]{12})", panel.inner_text()).group(1)
    assert trace_id in (server.home / "logs" / "robustapp.log").read_text(encoding="utf-8")

    app_page.locator(key("nav_home")).get_by_role("button").click()
    expect(app_page).to_have_url(re.compile(r"\?page=home$"))
    expect(_title(app_page, "robustapp")).to_be_visible()
    expect(panel).to_have_count(0)
