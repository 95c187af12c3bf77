"""SQL for the SQL editor's history: one row per distinct query an owner ran, newest first.

    add(owner, sql, job_id) ──▶ the same text run before? its old row goes ──▶ new row
                             ──▶ rows past the newest `keep` of that owner go
    newest(owner)           ──▶ rows, with how the job that ran each one ended (the jobs table)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from robustapp.storage.database import Database


@dataclass(frozen=True)
class HistoryEntry:
    """A query the user ran, and how its run ended (state None: the job record is gone)."""

    id: int
    sql: str
    ran_at: datetime  # UTC
    job_id: int | None
    state: str | None
    result: Any
    error: str | None


def add(cursor: duckdb.DuckDBPyConnection, owner: str, sql: str, job_id: int | None, at: datetime, keep: int) -> int:
    """Record a run of `sql` as the newest entry; keep only the newest `keep` entries of `owner`."""
    cursor.execute("DELETE FROM sql_history WHERE owner = ? AND sql = ?", [owner, sql])
    row = cursor.execute(
        "INSERT INTO sql_history (id, owner, sql, ran_at, job_id) VALUES (nextval('sql_history_ids'), ?, ?, ?, ?) "
        "RETURNING id",
        [owner, sql, at.astimezone(UTC).replace(tzinfo=None), job_id],
    ).fetchall()[0]
    cursor.execute(
        "DELETE FROM sql_history WHERE owner = ? AND id NOT IN "
        "(SELECT id FROM sql_history WHERE owner = ? ORDER BY id DESC LIMIT ?)",
        [owner, owner, keep],
    )
    return int(row[0])


def newest(db: Database, owner: str, limit: int) -> list[HistoryEntry]:
    """The owner's entries, newest first, with their job's state, result and error."""
    rows = db.query(
        "SELECT h.id, h.sql, h.ran_at, h.job_id, j.state, j.result, j.error FROM sql_history h "
        "LEFT JOIN jobs j ON j.id = h.job_id WHERE h.owner = ? ORDER BY h.id DESC LIMIT ?",
        [owner, limit],
    )
    return [
        HistoryEntry(id_, sql, ran_at.replace(tzinfo=UTC), job_id, state, json.loads(result) if result else None, error)
        for id_, sql, ran_at, job_id, state, result, error in rows
    ]
