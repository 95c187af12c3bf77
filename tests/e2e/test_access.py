"""Who gets in: the printed URL (then a cookie) opens the app; nothing else does."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from robustapp.ui.views import PAGES
from tests.e2e.harness import Server, key, wait_for_app

pytestmark = pytest.mark.e2e

# Opens the app's websocket the way Streamlit's frontend does; says whether the server accepted it.
_OPEN_APP_SOCKET = """() => new Promise(resolve => {
    const socket = new WebSocket(location.origin.replace(/^http/, "ws") + "/_stcore/stream", ["streamlit"]);
    socket.onopen = () => { socket.close(); resolve("accepted"); };
    socket.onclose = () => resolve("refused");
})"""


def test_the_printed_url_opens_the_app_and_a_reload_keeps_it_open(app_page: Page, server: Server) -> None:
    expect(app_page).to_have_url(f"{server.base_url}/?page=home")  # the secret does not stay in the address bar
    app_page.reload()
    wait_for_app(app_page)
    expect(app_page.get_by_role("heading", name="robustapp", level=1)).to_be_visible()
    expect(app_page.locator(key("nav_demo"))).to_be_visible()
    assert app_page.evaluate(_OPEN_APP_SOCKET) == "accepted"


def test_without_the_token_the_page_says_access_denied_and_no_app_connects(page: Page, server: Server) -> None:
    runs_before = server.script_runs()
    sockets: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))

    for url in (server.url(), server.url("?page=demo&token=not-the-secret")):
        response = page.goto(url)

        assert response is not None and response.status == 403
        expect(page.get_by_role("heading", name="Access denied")).to_be_visible()
        expect(page.get_by_test_id("stApp")).to_have_count(0)
    assert sockets == []
    assert page.evaluate(_OPEN_APP_SOCKET) == "refused"
    assert page.context.cookies() == []
    assert server.script_runs() == runs_before


def test_the_sidebar_offers_only_the_apps_own_pages(app_page: Page) -> None:
    buttons = app_page.get_by_test_id("stSidebar").get_by_test_id("stButton")
    expect(buttons).to_have_text([re.compile(f"{re.escape(page.title)}$") for page in PAGES])
    expect(app_page.get_by_test_id("stSidebarNav")).to_have_count(0)


def test_the_control_api_refuses_requests_without_the_bearer_token(server: Server) -> None:
    assert server.api("GET", "/api/status", headers={}).status_code == 401
    assert server.api("GET", "/api/status", headers={"Authorization": "Bearer not-the-secret"}).status_code == 401
    assert server.api("POST", "/api/shutdown", headers={}).status_code == 401
    assert server.api("GET", "/api/status").json()["running"] is True
