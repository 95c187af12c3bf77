"""Durable UI state: load a scope's values, save a batch of changes in one transaction.

    session ── save([Change, …]) ──▶ one transaction: per change
                                       unchanged?  → nothing written
                                       stale?      → written, and reported as a Conflict
                                       else        → ui_state row (version + 1) + one audit entry

Concurrent sessions: each session remembers the version it last saw of every key. A save
whose base version is older than the stored one (another session wrote in between) still
applies: the user's latest action wins, and the result names the overwritten value so the
UI can flag it. Nothing is lost silently: both values are in the audit trail.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

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
    versions: dict[tuple[str, str], int] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def written(self) -> int:
        return len(self.versions)


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class StateService:
    """Reads and writes one owner's UI state through the database's single write path."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def load(self, owner: str, scope: str) -> dict[str, StoredValue]:
        return {
            key: StoredValue(json.loads(row.value), row.version, row.updated_at, row.updated_by)
            for key, row in ui_state.load_scope(self.db, owner, scope).items()
        }

    def save(self, actor: Actor, changes: list[Change], *, trace_id: str) -> SaveResult:
        """Write every real change in one transaction, with its audit entry."""
        if not changes:
            return SaveResult()

        def write(cursor) -> SaveResult:
            result = SaveResult()
            at = _utc_now()
            for change in changes:
                new_text = canonical_json(change.value)
                current = ui_state.load_one(cursor, actor.owner, change.scope, change.key)
                if current is not None and current.value == new_text:
                    result.versions[(change.scope, change.key)] = current.version
                    continue
                if (
                    change.audited
                    and current is not None
                    and current.version != change.base_version
                    and current.updated_by != actor.session_id
                ):
                    result.conflicts.append(
                        Conflict(change.scope, change.key, json.loads(current.value), change.value, current.updated_by)
                    )
                version = (current.version if current else 0) + 1
                ui_state.upsert(
                    cursor,
                    owner=actor.owner,
                    scope=change.scope,
                    key=change.key,
                    value=new_text,
                    version=version,
                    at=at,
                    session_id=actor.session_id,
                )
                if change.audited:
                    audit_log.append(
                        cursor,
                        changed_at=at,
                        actor=actor.name,
                        session_id=actor.session_id,
                        scope=change.scope,
                        key=change.key,
                        old_value=current.value if current else None,
                        new_value=new_text,
                        trace_id=trace_id,
                    )
                result.versions[(change.scope, change.key)] = version
            return result

        return self.db.write(write)
