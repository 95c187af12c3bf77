"""Durable UI state: load a scope's values, save a batch of changes in one transaction.

    session ── save([Change, …]) ──▶ one transaction: per change
                                       unchanged?  → nothing written
                                       stale?      → written, and reported as a Conflict
                                       else        → ui_state row (version + 1) + one audit entry

Concurrent sessions: each session remembers the version it last saw of every key. A save
whose base version is older than the stored one (another session wrote in between) still
applies: the user's latest action wins, and the result names the overwritten value so the
UI can flag it. Nothing is lost silently: both values are in the audit trail.

Speed (bench/state_write.py): a save is one UPDATE of the state row, one UPDATE of the audit
head and one INSERT of the entry. The row being replaced and the audit head are guessed from
what this process last read or wrote, and each guess is checked by the very statement that
relies on it (compare-and-set), so a wrong guess costs a read, never a wrong entry.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from collections.abc import Callable
from typing import Any

import duckdb

from robustapp.domain.audit import canonical_json
from robustapp.storage import audit_log, ui_state
from robustapp.storage.database import Database


@dataclass(frozen=True)
class Actor:
    """Who is changing state: the profile that owns it, a display name, and the session."""

    owner: str
    name: str
    session_id: str


@dataclass(frozen=True)
class StoredValue:
    value: Any
    version: int
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True)
class Change:
    """A new value for one key, with the version the session last saw (None: it saw none)."""

    scope: str
    key: str
    value: Any
    base_version: int | None = None
    audited: bool = True  # False for bookkeeping such as the current route
    shown_before: Any = None  # what the user saw before a first change (a widget's default), for the audit


@dataclass(frozen=True)
class Conflict:
    """A save that replaced a value another session had written since this one last looked."""

    scope: str
    key: str
    theirs: Any
    yours: Any
    their_session: str


@dataclass
class SaveResult:
    """Each saved key's version now, which keys really changed, and the stale edits among them."""

    versions: dict[tuple[str, str], int] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    changed: list[tuple[str, str]] = field(default_factory=list)  # written: not equal to the stored value

    @property
    def written(self) -> int:
        return len(self.changed)


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class _ScopeCache:
    """This process's copy of each scope it has read, dropped whenever the scope is written.

    Exact because the server is the only process that writes the database (DESIGN.md §2) and
    every write of ui_state goes through `StateService.save`; anything else that rewrites the
    table (a restore) must call `forget_cached_state(db)`.
    """

    def __init__(self) -> None:
        self._scopes: dict[tuple[str, str], dict[str, StoredValue]] = {}
        self._lock = threading.Lock()

    def get(
        self, owner: str, scope: str, read: Callable[[], dict[str, StoredValue]]
    ) -> dict[str, StoredValue]:
        """The cached scope, or `read()` it; under the lock, so no drop slips between read and keep."""
        with self._lock:
            values = self._scopes.get((owner, scope))
            if values is None:
                values = self._scopes[(owner, scope)] = read()
            return dict(values)

    def drop(self, owner: str, scopes: set[str]) -> None:
        with self._lock:
            for scope in scopes:
                self._scopes.pop((owner, scope), None)

    def clear(self) -> None:
        with self._lock:
            self._scopes.clear()


def forget_cached_state(db: Database) -> None:
    """Drop every cached scope of `db` (after anything but StateService rewrote ui_state)."""
    db.companion(_ScopeCache).clear()


class StateService:
    """Reads and writes one owner's UI state through the database's single write path."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._cache = db.companion(_ScopeCache)

    def load(self, owner: str, scope: str) -> dict[str, StoredValue]:
        """Every stored value of one scope (read from the database once, then from memory)."""

        def read() -> dict[str, StoredValue]:
            return {
                key: StoredValue(json.loads(row.value), row.version, row.updated_at, row.updated_by)
                for key, row in ui_state.load_scope(self.db, owner, scope).items()
            }

        return self._cache.get(owner, scope, read)

    def save(self, actor: Actor, changes: list[Change], *, trace_id: str) -> SaveResult:
        """Write every real change in one transaction, with its audit entry."""
        if not changes:
            return SaveResult()
        known_rows, known_head = ui_state.known_rows(self.db), audit_log.known_head(self.db)

        def write(cursor: duckdb.DuckDBPyConnection) -> SaveResult:
            result = SaveResult()
            at = _utc_now()
            audit_entries: list[dict[str, Any]] = []
            for change in changes:
                new_text = canonical_json(change.value)
                current, version = _write(cursor, known_rows, actor, change, new_text, at)
                result.versions[(change.scope, change.key)] = version
                if current is not None and current.value == new_text:
                    continue  # unchanged: nothing was written
                result.changed.append((change.scope, change.key))
                if not change.audited:
                    continue
                if current is not None and _is_stale(current, change, actor):
                    result.conflicts.append(
                        Conflict(change.scope, change.key, json.loads(current.value), change.value, current.updated_by)
                    )
                audit_entries.append(
                    {
                        "changed_at": at,
                        "actor": actor.name,
                        "session_id": actor.session_id,
                        "scope": change.scope,
                        "key": change.key,
                        "old_value": current.value if current else _shown_before(change),
                        "new_value": new_text,
                        "trace_id": trace_id,
                    }
                )
            audit_log.append_many(cursor, audit_entries, known_head)
            return result

        try:
            return self.db.write(write)
        finally:
            self._cache.drop(actor.owner, {change.scope for change in changes})


def _shown_before(change: Change) -> str | None:
    return canonical_json(change.shown_before) if change.shown_before is not None else None


def _is_stale(current: ui_state.StoredRow, change: Change, actor: Actor) -> bool:
    """Another session wrote the key since this one last saw it."""
    return current.version != change.base_version and current.updated_by != actor.session_id


def _write(
    cursor: duckdb.DuckDBPyConnection,
    known: ui_state.KnownRows,
    actor: Actor,
    change: Change,
    new_text: str,
    at: datetime,
) -> tuple[ui_state.StoredRow | None, int]:
    """Write one change unless its value is unchanged: the row it replaced, and the key's version now.

    The row to replace is guessed from what this process last read or wrote, and the UPDATE
    checks the guess; only an unknown key, a value that may be unchanged, or a wrong guess
    (another writer, a rolled-back transaction) costs a read first.
    """
    owner, scope, key = actor.owner, change.scope, change.key
    fields = dict(owner=owner, scope=scope, key=key, value=new_text, at=at, session_id=actor.session_id)
    guess = known.get(owner, scope, key)
    if guess is not None and guess.value != new_text:
        if ui_state.update(cursor, version=guess.version + 1, expected=guess, **fields):
            known.remember(owner, scope, ui_state.StoredRow(key, new_text, guess.version + 1, at, actor.session_id))
            return guess, guess.version + 1
    current = ui_state.load_one(cursor, owner, scope, key)
    if current is not None:
        known.remember(owner, scope, current)
        if current.value == new_text:
            return current, current.version
    version = (current.version if current else 0) + 1
    if current is None:
        ui_state.insert(cursor, version=version, **fields)
    else:
        ui_state.update(cursor, version=version, **fields)
    known.remember(owner, scope, ui_state.StoredRow(key, new_text, version, at, actor.session_id))
    return current, version
