"""The error boundary: a failing page or callback shows a panel with a trace id; the rest keeps working."""

from __future__ import annotations

import re
from pathlib import Path

from robustapp.ui.views import PAGES
from tests.ui.helpers import block, has_block, open_app, open_script, title

TRACE_ID = re.compile(r"Trace id: `([0-9a-f]{12})`")


def _app_with_failing_parts() -> None:
    import streamlit as st

    from robustapp.errors import StorageError
    from robustapp.ui.errors import guarded
    from robustapp.ui.router import Page
    from robustapp.ui.shell import main
    from robustapp.ui.views import PAGES

    def reports(ctx):
        st.title("Reports")
        raise StorageError("the reports table is missing")

    def fail() -> None:
        raise RuntimeError("a deliberate error from a callback")

    def tools(ctx):
        st.title("Tools")
        st.button("Break", key="tools_break", on_click=guarded(fail))
        st.text_input("Note", key="tools_note")

    main(
        [
            *PAGES,
            Page("reports", "Reports", ":material/table:", reports),
            Page("tools", "Tools", ":material/build:", tools),
        ]
    )


def _trace_ids(at) -> list[str]:
    return [match for caption in at.caption for match in TRACE_ID.findall(caption.value)]


def test_a_failing_page_shows_a_panel_with_a_trace_id_and_the_rest_keeps_working(app_home: Path) -> None:
    at = open_app("demo")
    at.button(key="demo_raise").click().run()
    assert not at.exception
    assert has_block(block(at, "page_demo"), "error_panel")
    (error,) = at.error
    assert error.value == "**This page ran into a problem.** An unexpected error occurred."
    (trace_id,) = _trace_ids(at)
    assert trace_id in (app_home / "logs" / "robustapp.log").read_text()
    assert title(at) == "Demo"  # what the page drew before it failed is still there
    assert len(at.sidebar.button) == len(PAGES)

    at.button(key="nav_home").click().run()
    assert not at.exception
    assert title(at) == "robustapp"
    assert not at.error
    assert not has_block(at, "error_panel")


def test_the_failing_page_draws_normally_on_its_next_run() -> None:
    at = open_app("demo")
    at.button(key="demo_raise").click().run()
    at.text_input(key="demo_name").input("Ada").run()
    assert not at.error
    assert "Hello, **Ada**!" in [markdown.value for markdown in at.markdown]


def test_a_page_that_raises_an_app_error_shows_its_message() -> None:
    at = open_script(_app_with_failing_parts, page="reports")
    assert not at.exception
    assert title(at) == "Reports"
    assert [error.value for error in at.error] == [
        "**This page ran into a problem.** StorageError: the reports table is missing"
    ]
    assert len(_trace_ids(at)) == 1
    at.button(key="nav_settings").click().run()
    assert title(at) == "Settings"
    assert not at.error


def test_a_failing_callback_shows_a_panel_above_the_page_which_still_draws() -> None:
    at = open_script(_app_with_failing_parts, page="tools")
    at.button(key="tools_break").click().run()
    assert not at.exception
    assert has_block(block(at, "notice_slot"), "callback_error_panel")  # above the page, not inside it
    assert [error.value for error in at.error] == ["**That action failed.** An unexpected error occurred."]
    assert len(_trace_ids(at)) == 1
    assert title(at) == "Tools"
    assert [button.key for button in at.sidebar.button][: len(PAGES)] == [f"nav_{page.slug}" for page in PAGES]

    at.text_input(key="tools_note").input("still works").run()
    assert not at.error
