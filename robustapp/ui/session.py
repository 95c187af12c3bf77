"""One browser session's view of the durable state.

    callbacks (before the run) ──queue──▶ pending changes
    start of the run ── flush() ──▶ StateService.save: one transaction for all of them
    widgets ── stored(scope, key) ──▶ one query per scope per run; a newer version re-seeds

`st.session_state` only caches: the store is the truth. A new session (a reload, a second
window) starts empty and reads everything back from the store.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import streamlit as st

from robustapp.bootstrap import Services
from robustapp.services.state import Actor, Change, Conflict, StoredValue

_KEY = "_robustapp_session"

Slot = tuple[str, str]  # (scope, key)


@dataclass
class Session:
    """Per-session bookkeeping kept in st.session_state."""

    session_id: str = field(default_factory=lambda: secrets.token_hex(8))
    pending: dict[Slot, Change] = field(default_factory=dict)
    seen: dict[Slot, int] = field(default_factory=dict)  # the version of each value this session shows
    errors: dict[str, str] = field(default_factory=dict)  # widget key → validation message
    conflicts: list[Conflict] = field(default_factory=list)
    loaded: dict[str, dict[str, StoredValue]] = field(default_factory=dict)  # this run's reads
    drawn: set[str] = field(default_factory=set)  # durable widgets drawn since the last full run began
    drawn_before: set[str] = field(default_factory=set)  # … and in the full run before that

    def queue(self, change: Change) -> None:
        self.pending[(change.scope, change.key)] = change


def current() -> Session:
    if _KEY not in st.session_state:
        st.session_state[_KEY] = Session()
    return st.session_state[_KEY]


def actor(services: Services) -> Actor:
    return Actor(owner=services.owner, name=services.owner, session_id=current().session_id)


def begin_run(services: Services, trace_id: str, *, full: bool = True) -> None:
    """Commit what the callbacks queued (one transaction), then forget last run's reads.

    The queue is emptied only once the save has committed: if it fails, the changes stay
    queued (and shown) and the next run saves them. `full=False`: a section's own rerun.
    """
    session = current()
    session.loaded.clear()
    if full:
        session.drawn_before, session.drawn = session.drawn, set()
    if not session.pending:
        return
    result = services.state.save(actor(services), list(session.pending.values()), trace_id=trace_id)
    session.pending.clear()
    session.seen.update(result.versions)
    session.conflicts.extend(result.conflicts)


def stored(services: Services, scope: str, key: str) -> StoredValue | None:
    """The stored value of one key (the whole scope is read once per run)."""
    session = current()
    if scope not in session.loaded:
        session.loaded[scope] = services.state.load(services.owner, scope)
    return session.loaded[scope].get(key)


def remember(services: Services, trace_id: str, change: Change) -> None:
    """Write one change now (not queued): used for bookkeeping such as the current route."""
    result = services.state.save(actor(services), [change], trace_id=trace_id)
    current().seen.update(result.versions)
    current().loaded.pop(change.scope, None)


def is_new_on_screen(widget_key: str) -> bool:
    """Whether the widget was not drawn in the previous full run (and note that it is drawn now).

    Such a widget must be given its value again even when Streamlit still holds one: a run that
    was stopped for a rerun (a click on another page's button) leaves the widget states of the
    page it left behind, while the browser has dropped those widgets. Drawn again without a
    value, the browser would show the widget empty while the app works with the stored value.
    """
    session = current()
    new = widget_key not in session.drawn_before and widget_key not in session.drawn
    session.drawn.add(widget_key)
    return new


def has_conflicts() -> bool:
    return bool(current().conflicts)


def take_conflicts() -> list[Conflict]:
    session = current()
    conflicts, session.conflicts = session.conflicts, []
    return conflicts
