"""The error boundary around each page: a failing page shows a panel, the rest keeps working."""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from robustapp.errors import AppError
from robustapp.logs import get_logger

log = get_logger(__name__)


@contextmanager
def error_boundary(page: str, trace_id: str, *, show_details: bool = False) -> Iterator[None]:
    """Catch what a page raises (st.rerun/st.stop are BaseExceptions and pass through)."""
    try:
        yield
    except Exception as exc:
        log.error("page failed", page=page, trace_id=trace_id, exc_info=exc)
        with st.container(key="error_panel", border=True):
            st.error(f"**This page ran into a problem.** {_describe(exc)}", icon=":material/error:")
            st.caption(f"Trace id: `{trace_id}` · the other pages keep working · details are in the log file")
            if show_details:
                st.code("".join(traceback.format_exception(exc)), language="text")


def _describe(exc: Exception) -> str:
    if isinstance(exc, AppError):
        return f"{type(exc).__name__}: {exc}"
    return "An unexpected error occurred."
