"""SQL for persisted UI state: one row per (owner, scope, key), values as canonical JSON text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from robustapp.storage.database import Database

_COLUMNS = "key, value, version, updated_at, updated_by"


@dataclass(frozen=True)
class StoredRow:
    key: str
    value: str  # canonical JSON text
    version: int
    updated_at: datetime
    updated_by: str


def load_scope(db: Database, owner: str, scope: str) -> dict[str, StoredRow]:
    rows = db.query(f"SELECT {_COLUMNS} FROM ui_state WHERE owner = ? AND scope = ?", [owner, scope])
    return {row[0]: StoredRow(*row) for row in rows}


def load_one(cursor: duckdb.DuckDBPyConnection, owner: str, scope: str, key: str) -> StoredRow | None:
    row = cursor.execute(
        f"SELECT {_COLUMNS} FROM ui_state WHERE owner = ? AND scope = ? AND key = ?", [owner, scope, key]
    ).fetchone()
    return StoredRow(*row) if row else None


def upsert(
    cursor: duckdb.DuckDBPyConnection,
    *,
    owner: str,
    scope: str,
    key: str,
    value: str,
    version: int,
    at: datetime,
    session_id: str,
) -> None:
    cursor.execute(
        "INSERT OR REPLACE INTO ui_state (owner, scope, key, value, version, updated_at, updated_by) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [owner, scope, key, value, version, at, session_id],
    )


def delete_scope(cursor: duckdb.DuckDBPyConnection, owner: str, scope: str) -> None:
    cursor.execute("DELETE FROM ui_state WHERE owner = ? AND scope = ?", [owner, scope])
