"""The error boundary: what a page or a widget callback raises becomes a panel with a trace id.

    callback raises ──▶ guarded(): log, keep the failure ──▶ show_failed_callback(): panel in the
                        notice slot above the page, which still draws
    page raises     ──▶ error_boundary(): log ──▶ panel where the page stopped; the rest keeps
                        working

Without `guarded`, an exception in a callback stops the run before the script body: Streamlit
then draws nothing but the traceback, sidebar included. st.rerun/st.stop (and `navigate`)
raise BaseExceptions and pass through both.
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import ParamSpec

import streamlit as st

from robustapp.errors import AppError
from robustapp.logs import get_logger, trace_context

P = ParamSpec("P")
log = get_logger(__name__)

_FAILED_CALLBACK = "_robustapp_failed_callback"


@dataclass(frozen=True)
class Failure:
    """What an error panel shows about one exception."""

    trace_id: str
    summary: str
    details: str

    @classmethod
    def of(cls, exc: Exception, trace_id: str) -> Failure:
        return cls(trace_id, _describe(exc), "".join(traceback.format_exception(exc)))


def guarded(callback: Callable[P, object]) -> Callable[P, None]:
    """Wrap a widget callback: what it raises is shown above the page instead of replacing the app."""

    @functools.wraps(callback)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        name = getattr(callback, "__qualname__", repr(callback))
        with trace_context(callback=name) as trace_id:
            try:
                callback(*args, **kwargs)
            except Exception as exc:
                log.error("callback failed", exc_info=exc)
                st.session_state[_FAILED_CALLBACK] = Failure.of(exc, trace_id)

    return run


def has_failed_callback() -> bool:
    return _FAILED_CALLBACK in st.session_state


def show_failed_callback(*, show_details: bool = False) -> None:
    """Draw the panel of a callback that failed just before this run, if one did."""
    failed = st.session_state.pop(_FAILED_CALLBACK, None)
    if failed is not None:
        _panel(failed, "That action failed.", key="callback_error_panel", show_details=show_details)


@contextmanager
def error_boundary(page: str, trace_id: str, *, show_details: bool = False) -> Iterator[None]:
    """Run the page inside; what it raises ends the page with a panel (st.rerun/st.stop pass through)."""
    try:
        yield
    except Exception as exc:
        log.error("page failed", page=page, trace_id=trace_id, exc_info=exc)
        failure = Failure.of(exc, trace_id)
        _panel(failure, "This page ran into a problem.", key="error_panel", show_details=show_details)


def _panel(failure: Failure, headline: str, *, key: str, show_details: bool) -> None:
    with st.container(key=key, border=True):
        st.error(f"**{headline}** {failure.summary}", icon=":material/error:")
        st.caption(
            f"Trace id: `{failure.trace_id}` · the other pages keep working · details are in the log file"
        )
        if show_details:
            st.code(failure.details, language="text")


def _describe(exc: Exception) -> str:
    if isinstance(exc, AppError):
        return f"{type(exc).__name__}: {exc}"
    return "An unexpected error occurred."
