"""Open the app under AppTest and read what a user would see."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block

import robustapp.ui
from robustapp import bootstrap

APP_SCRIPT = str(Path(robustapp.ui.__file__).parent / "app.py")
TIMEOUT = 30  # generous: the first run of a session opens and migrates the database


def open_app(page: str | None = None, **params: str) -> AppTest:
    """A new browser session (a reload), run once; `page` and `params` are the URL's query params."""
    at = AppTest.from_file(APP_SCRIPT, default_timeout=TIMEOUT)
    if page is not None:
        at.query_params["page"] = page
    at.query_params.update(params)
    return at.run()


def open_script(script: Callable[[], None], page: str | None = None, **params: str) -> AppTest:
    """Like `open_app`, for a self-contained script that calls the shell with extra pages."""
    at = AppTest.from_function(script, default_timeout=TIMEOUT)
    if page is not None:
        at.query_params["page"] = page
    at.query_params.update(params)
    return at.run()


def title(at: AppTest) -> str:
    return at.title[0].value


def screen_text(at: AppTest) -> str:
    """Everything the last run sent to the browser, as text (tables included)."""
    return "\n".join(str(node.proto) for node in at if getattr(node, "proto", None) is not None)


def block(at: AppTest, key: str):
    """The container drawn with `key` (st.container(key=…))."""
    (found,) = [node for node in at if isinstance(node, Block) and getattr(node, "key", None) == key]
    return found


def has_block(root, key: str) -> bool:
    return any(isinstance(node, Block) and getattr(node, "key", None) == key for node in root)


def export_status(at: AppTest, key: str) -> Block:
    """Click the Export button of the export controls `key`, let the job finish, redraw: what they show."""
    at.button(key=f"{key}_start").click().run()
    assert bootstrap.services().jobs.wait_idle(timeout=30)
    return block(at.run(), f"{key}_status")
