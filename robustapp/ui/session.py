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

    def queue(self, change: Change) -> None:
        self.pending[(change.scope, change.key)] = change


def current() -> Session:
    if _KEY not in st.session_state:
        st.session_state[_KEY] = Session()
    return st.session_state[_KEY]


def actor(services: Services) -> Actor:
    return Actor(owner=services.owner, name=services.owner, session_id=current().session_id)


def begin_run(services: Services, trace_id: str) -> None:
    """Commit what the callbacks queued (one transaction), then forget last run's reads.

    The queue is emptied only once the save has committed: if it fails, the changes stay
    queued (and shown) and the next run saves them.
    """
    session = current()
    session.loaded.clear()
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


def has_conflicts() -> bool:
    return bool(current().conflicts)


def take_conflicts() -> list[Conflict]:
    session = current()
    conflicts, session.conflicts = session.conflicts, []
    return conflicts
