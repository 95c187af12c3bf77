"""Sections of a page rerun alone: a change inside one redraws only it, and is still durable and checked."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.harness import Server, key, wait_for_app

pytestmark = pytest.mark.e2e

OpenApp = Callable[[str], Page]


def _type(page: Page, widget: str, text: str) -> None:
    box = page.locator(key(widget)).get_by_role("textbox")
    box.fill(text)
    box.press("Enter")


def test_typing_in_a_section_redraws_it_without_rerunning_the_page_and_the_value_is_kept(
    open_app: OpenApp, server: Server
) -> None:
    page = open_app("page=demo")
    echo = page.locator(key("demo_echo"))
    full_runs = server.script_runs()

    _type(page, "demo_name", "Section Ada")
    expect(echo).to_contain_text("Hello, Section Ada!")
    wait_for_app(page)
    assert server.script_runs() == full_runs  # only the section ran

    page.reload()
    wait_for_app(page)
    expect(page.locator(key("demo_name")).get_by_role("textbox")).to_have_value("Section Ada")


def test_a_stale_edit_in_a_section_shows_the_conflict_notice(browser: Browser, server: Server) -> None:
    windows = []
    for _ in range(2):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        window = context.new_page()
        window.goto(server.printed_url("page=demo"))
        wait_for_app(window)
        windows.append(window)
    first, second = windows
    try:
        _type(first, "demo_name", "From the first window")
        expect(first.locator(key("demo_echo"))).to_contain_text("Hello, From the first window!")

        _type(second, "demo_name", "From the second window")  # it still shows the older value

        notice = second.locator(key("notice_slot"))
        expect(notice).to_contain_text("Another window had changed")
        expect(notice).to_contain_text("From the first window")
        expect(second.locator(key("demo_echo"))).to_contain_text("Hello, From the second window!")
    finally:
        for window in windows:
            window.context.close()
