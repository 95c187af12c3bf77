"""Sections: parts of a page that rerun on their own when one of their widgets changes.

    page run ──▶ section_a(...) ──▶ section_b(...)
                    │ a widget in section_a changes
                    ▼
    section rerun: commit the changes its callbacks queued ──▶ redraw section_a only

A section is an `st.fragment` that does what the shell does at the start of a full run: it
commits the queued changes first (so an input the user saw accepted is durable before anything
is drawn), sets the widget scope and the trace id, and draws inside an error boundary. What only
the shell can show (a conflict with another window, a failed callback) asks for a full rerun.

Typing into one field then redraws a dozen elements instead of the whole page: less work on the
server and in the browser.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec

import streamlit as st
import structlog

from robustapp import bootstrap
from robustapp.logs import trace_context
from robustapp.ui import session as sessions
from robustapp.ui.errors import error_boundary, has_failed_callback
from robustapp.ui.widgets import current_scope, widget_scope

P = ParamSpec("P")


def section(render: Callable[P, None]) -> Callable[P, None]:
    """Decorate a part of a page so a change inside reruns only that part."""

    @st.fragment
    def rerun_alone(scope: str, *args: P.args, **kwargs: P.kwargs) -> None:
        services = bootstrap.services()
        with trace_context() as trace_id, widget_scope(scope):
            structlog.contextvars.bind_contextvars(page=scope)
            sessions.begin_run(services, trace_id, full=False)
            if sessions.has_conflicts() or has_failed_callback():
                st.rerun(scope="app")  # the shell's notice slot shows them
            with error_boundary(scope, trace_id, show_details=services.settings.debug):
                render(*args, **kwargs)

    @functools.wraps(render)
    def draw(*args: P.args, **kwargs: P.kwargs) -> None:
        rerun_alone(current_scope(), *args, **kwargs)

    return draw
