"""SQL for the demo_items table."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from robustapp.storage.database import Database

_FIELDS = ("id", "name", "category", "value")


def last_id(cursor: duckdb.DuckDBPyConnection) -> int:
    (last,) = cursor.execute("SELECT coalesce(max(id), 0) FROM demo_items").fetchone()
    return int(last)


def insert(cursor: duckdb.DuckDBPyConnection, rows: Sequence[tuple[int, str, str, float]]) -> None:
    cursor.executemany("INSERT INTO demo_items (id, name, category, value) VALUES (?, ?, ?, ?)", rows)


def newest(db: Database, limit: int) -> list[dict]:
    rows = db.query("SELECT id, name, category, value FROM demo_items ORDER BY id DESC LIMIT ?", [limit])
    return [dict(zip(_FIELDS, row, strict=True)) for row in rows]


def count(db: Database) -> int:
    row = db.query_one("SELECT count(*) FROM demo_items")
    return int(row[0]) if row else 0
