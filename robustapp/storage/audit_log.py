"""SQL for the append-only audit log; the chain rules live in robustapp.domain.audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from robustapp.domain.audit import GENESIS_HASH, AuditEntry, entry_hash
from robustapp.storage.database import Database

_HEAD_KEY = "audit_head"
_COLUMNS = "seq, changed_at, actor, session_id, scope, key, old_value, new_value, trace_id, prev_hash, hash"


def head(cursor: duckdb.DuckDBPyConnection) -> tuple[int, str] | None:
    """The recorded (seq, hash) of the last entry, or None for an empty log."""
    row = cursor.execute("SELECT value FROM app_meta WHERE key = ?", [_HEAD_KEY]).fetchone()
    if not row:
        return None
    seq, _, digest = row[0].partition(":")
    return int(seq), digest


def append(cursor: duckdb.DuckDBPyConnection, **fields: Any) -> AuditEntry:
    """Append one entry inside the caller's transaction (the writer lock keeps seq unique)."""
    last = head(cursor)
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
    digest = entry_hash(prev_hash, seq=seq, **fields)
    entry = AuditEntry(seq=seq, prev_hash=prev_hash, hash=digest, **fields)
    cursor.execute(
        f"INSERT INTO audit_log ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [entry.seq, entry.changed_at, entry.actor, entry.session_id, entry.scope, entry.key,
         entry.old_value, entry.new_value, entry.trace_id, entry.prev_hash, entry.hash],
    )
    cursor.execute(
        "INSERT OR REPLACE INTO app_meta (key, value, updated_at) VALUES (?, ?, now())",
        [_HEAD_KEY, f"{seq}:{digest}"],
    )
    return entry


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to read; every field is optional."""

    scope: str | None = None
    key: str | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int | None = None
    newest_first: bool = False


def entries(db: Database, where: AuditFilter | None = None) -> list[AuditEntry]:
    """Entries matching `where`, in seq order (or newest first)."""
    where = where or AuditFilter()
    clauses, params = [], []
    for column, value in (("scope", where.scope), ("key", where.key), ("actor", where.actor)):
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    if where.since:
        clauses.append("changed_at >= ?")
        params.append(where.since)
    if where.until:
        clauses.append("changed_at < ?")
        params.append(where.until)
    sql = f"SELECT {_COLUMNS} FROM audit_log"
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += " ORDER BY seq" + (" DESC" if where.newest_first else "")
    if where.limit:
        sql += " LIMIT ?"
        params.append(where.limit)
    return [AuditEntry(*row) for row in db.query(sql, params)]


def scopes(db: Database) -> list[str]:
    return [row[0] for row in db.query("SELECT DISTINCT scope FROM audit_log ORDER BY scope")]
