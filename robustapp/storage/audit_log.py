"""SQL for the append-only audit log; the chain rules live in robustapp.domain.audit."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
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
    return _parse_head(row[0]) if row else None


class KnownHead:
    """Where this process last saw the chain end: a guess that spares a read per append.

    The guess is never trusted: the statement that moves the head only matches when the
    stored head is still exactly the guess (compare-and-set), and on a miss (another writer,
    a rolled-back transaction, a restored file) the head is read from the database.
    """

    def __init__(self) -> None:
        self.value: str | None = None  # "seq:hash", as app_meta stores it


def known_head(db: Database) -> KnownHead:
    """The one KnownHead of `db` in this process."""
    return db.companion(KnownHead)


def append(cursor: duckdb.DuckDBPyConnection, **fields: Any) -> AuditEntry:
    """Append one entry inside the caller's transaction (the writer lock keeps seq unique)."""
    return append_many(cursor, [fields])[0]


def append_many(
    cursor: duckdb.DuckDBPyConnection, entries_fields: Sequence[dict[str, Any]], known: KnownHead | None = None
) -> list[AuditEntry]:
    """Append entries, chained in order, inside the caller's transaction; the head moves once."""
    if not entries_fields:
        return []
    if known is not None and known.value is not None:
        entries = _chain(_parse_head(known.value), entries_fields)
        if _move_head(cursor, entries[-1], expected=known.value):
            _insert(cursor, entries)
            known.value = _head_text(entries[-1])
            return entries
    entries = _chain(head(cursor), entries_fields)
    if not _move_head(cursor, entries[-1]):
        cursor.execute(
            "INSERT INTO app_meta (key, value, updated_at) VALUES (?, ?, now())", [_HEAD_KEY, _head_text(entries[-1])]
        )
    _insert(cursor, entries)
    if known is not None:
        known.value = _head_text(entries[-1])
    return entries


def _chain(last: tuple[int, str] | None, entries_fields: Sequence[dict[str, Any]]) -> list[AuditEntry]:
    seq, prev_hash = last if last else (0, GENESIS_HASH)
    entries = []
    for fields in entries_fields:
        seq += 1
        digest = entry_hash(prev_hash, seq=seq, **fields)
        entries.append(AuditEntry(seq=seq, prev_hash=prev_hash, hash=digest, **fields))
        prev_hash = digest
    return entries


def _move_head(cursor: duckdb.DuckDBPyConnection, last: AuditEntry, *, expected: str | None = None) -> bool:
    """Point the recorded head at `last` (only if it still reads `expected`, when given); whether it moved."""
    sql = "UPDATE app_meta SET value = ?, updated_at = now() WHERE key = ?"
    params = [_head_text(last), _HEAD_KEY]
    if expected is not None:
        sql += " AND value = ?"
        params.append(expected)
    row = cursor.execute(sql, params).fetchone()
    return bool(row and row[0])


def _insert(cursor: duckdb.DuckDBPyConnection, entries: Sequence[AuditEntry]) -> None:
    """One statement for all entries (a batch of changes costs one round trip)."""
    values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(entries))
    params: list[Any] = []
    for e in entries:
        params += [e.seq, e.changed_at, e.actor, e.session_id, e.scope, e.key,
                   e.old_value, e.new_value, e.trace_id, e.prev_hash, e.hash]
    cursor.execute(f"INSERT INTO audit_log ({_COLUMNS}) VALUES {values}", params)


def _head_text(entry: AuditEntry) -> str:
    return f"{entry.seq}:{entry.hash}"


def _parse_head(text: str) -> tuple[int, str]:
    seq, _, digest = text.partition(":")
    return int(seq), digest


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to read; every field is optional."""

    scope: str | None = None
    key: str | None = None
    actor: str | None = None
    since: datetime | None = None  # naive UTC, inclusive
    until: datetime | None = None  # naive UTC, exclusive
    limit: int | None = None
    newest_first: bool = False
    max_seq: int | None = None  # only entries up to this seq: a stable page of a growing log


def _where(where: AuditFilter) -> tuple[str, list[Any]]:
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
    if where.max_seq is not None:
        clauses.append("seq <= ?")
        params.append(where.max_seq)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def entries(db: Database, where: AuditFilter | None = None) -> list[AuditEntry]:
    """Entries matching `where`, in seq order (or newest first)."""
    where = where or AuditFilter()
    clause, params = _where(where)
    sql = f"SELECT {_COLUMNS} FROM audit_log{clause} ORDER BY seq" + (" DESC" if where.newest_first else "")
    if where.limit:
        sql += " LIMIT ?"
        params.append(where.limit)
    return [AuditEntry(*row) for row in db.query(sql, params)]


def count(db: Database, where: AuditFilter | None = None) -> int:
    """How many entries match `where` (its limit is ignored)."""
    clause, params = _where(where or AuditFilter())
    row = db.query_one(f"SELECT count(*) FROM audit_log{clause}", params)
    return row[0] if row else 0


def count_all(cursor: duckdb.DuckDBPyConnection) -> int:
    """Every entry, counted in the caller's (snapshot) transaction."""
    (total,) = cursor.execute("SELECT count(*) FROM audit_log").fetchone() or (0,)
    return int(total)


def scopes(db: Database) -> list[str]:
    return [row[0] for row in db.query("SELECT DISTINCT scope FROM audit_log ORDER BY scope")]


def actors(db: Database) -> list[str]:
    return [row[0] for row in db.query("SELECT DISTINCT actor FROM audit_log ORDER BY actor")]


def exists(db: Database) -> bool:
    """Whether the database has the audit_log table (an unmigrated one may not)."""
    row = db.query_one("SELECT count(*) FROM information_schema.tables WHERE table_name = 'audit_log'")
    return bool(row and row[0])


@contextmanager
def snapshot(db: Database) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only transaction: the entries and the head it shows belong together, whatever commits meanwhile."""
    cursor = db.cursor()
    cursor.execute("BEGIN TRANSACTION")
    try:
        yield cursor
    finally:
        cursor.execute("ROLLBACK")


def stream(cursor: duckdb.DuckDBPyConnection, batch: int = 10_000) -> Iterator[AuditEntry]:
    """Every entry in seq order, fetched `batch` rows at a time."""
    result = cursor.execute(f"SELECT {_COLUMNS} FROM audit_log ORDER BY seq")
    while rows := result.fetchmany(batch):
        yield from (AuditEntry(*row) for row in rows)
