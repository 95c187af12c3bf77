"""SQL for the dataset catalog: one row per dataset in `datasets`, pointing at its table `ds_<hex>`.

Names are unique among live datasets, compared case-insensitively (`name_key`); the service checks
that inside the write transaction, where no other writer can interleave. A deleted dataset keeps
its row and table (deleted_at set) until the purge after its undo window.
"""

from __future__ import annotations

import json
from datetime import datetime

import duckdb

from robustapp.domain.datasets import Column, DatasetInfo, ImportOptions, name_key
from robustapp.storage.database import Database
from robustapp.storage.identifiers import quote_identifier
from robustapp.storage.timestamps import aware, naive

Cursor = duckdb.DuckDBPyConnection

_COLUMNS = (
    "id, name, table_name, row_count, columns, size_bytes, source_path, source_format, source_options, "
    "imported_at, notes, import_notes, skipped_rows, deleted_at"
)


def _info(row: tuple) -> DatasetInfo:
    (id_, name, table, rows, columns, size, path, fmt, options, imported, notes, import_notes, skipped,
     deleted) = row  # fmt: skip
    return DatasetInfo(
        id=id_, name=name, table_name=table, row_count=rows, columns=[Column(**c) for c in json.loads(columns)],
        size_bytes=size, source_path=path, source_format=fmt,
        source_options=ImportOptions.model_validate(json.loads(options)), imported_at=aware(imported),
        notes=notes, import_notes=json.loads(import_notes), skipped_rows=skipped, deleted_at=aware(deleted),
    )  # fmt: skip


def _columns_json(columns: list[Column]) -> str:
    return json.dumps([c.model_dump() for c in columns], ensure_ascii=False)


def _options_json(options: ImportOptions) -> str:
    return options.model_dump_json(exclude_defaults=True)


def exists(db: Database) -> bool:
    """Whether the catalog table is there (an older schema has none)."""
    row = db.query_one(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'datasets' AND NOT temporary"
    )
    return bool(row and row[0])


def insert(cursor: Cursor, info: DatasetInfo) -> DatasetInfo:
    """Add a dataset (its `id` is ignored); returns it with the id the database gave it."""
    row = cursor.execute(
        f"INSERT INTO datasets ({_COLUMNS}, name_key) VALUES (nextval('dataset_ids'), ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?, ?, NULL, ?) RETURNING id",
        [info.name, info.table_name, info.row_count, _columns_json(info.columns), info.size_bytes,
         info.source_path, info.source_format, _options_json(info.source_options), naive(info.imported_at),
         info.notes, json.dumps(info.import_notes, ensure_ascii=False), info.skipped_rows, name_key(info.name)],
    ).fetchone()  # fmt: skip
    assert row is not None
    return info.model_copy(update={"id": int(row[0])})


def replace_data(cursor: Cursor, dataset_id: int, info: DatasetInfo) -> None:
    """Point a dataset at freshly imported data (a re-import), keeping its id, name and notes."""
    cursor.execute(
        "UPDATE datasets SET table_name = ?, row_count = ?, columns = ?, size_bytes = ?, source_options = ?, "
        "imported_at = ?, import_notes = ?, skipped_rows = ? WHERE id = ?",
        [info.table_name, info.row_count, _columns_json(info.columns), info.size_bytes,
         _options_json(info.source_options), naive(info.imported_at),
         json.dumps(info.import_notes, ensure_ascii=False),
         info.skipped_rows, dataset_id],
    )  # fmt: skip


def live(cursor: Cursor | Database) -> list[DatasetInfo]:
    """Every dataset not deleted, by name."""
    rows = _run(cursor, f"SELECT {_COLUMNS} FROM datasets WHERE deleted_at IS NULL ORDER BY name_key, id")
    return [_info(row) for row in rows]


def find_live(cursor: Cursor | Database, name: str) -> DatasetInfo | None:
    """The live dataset called `name` (case-insensitively), or None."""
    rows = _run(cursor, f"SELECT {_COLUMNS} FROM datasets WHERE deleted_at IS NULL AND name_key = ?", [name_key(name)])
    return _info(rows[0]) if rows else None


def find_deleted(cursor: Cursor | Database, name: str) -> DatasetInfo | None:
    """The most recently deleted dataset called `name` (case-insensitively), or None."""
    rows = _run(
        cursor,
        f"SELECT {_COLUMNS} FROM datasets WHERE deleted_at IS NOT NULL AND name_key = ? "
        "ORDER BY deleted_at DESC, id DESC LIMIT 1",
        [name_key(name)],
    )
    return _info(rows[0]) if rows else None


def deleted_before(cursor: Cursor, moment: datetime) -> list[DatasetInfo]:
    """The datasets deleted at or before `moment`: past their undo window."""
    rows = _run(cursor, f"SELECT {_COLUMNS} FROM datasets WHERE deleted_at <= ? ORDER BY id", [naive(moment)])
    return [_info(row) for row in rows]


def deleted_after(cursor: Cursor | Database, moment: datetime) -> list[DatasetInfo]:
    """The datasets deleted after `moment` (still within their undo window), newest first."""
    rows = _run(
        cursor, f"SELECT {_COLUMNS} FROM datasets WHERE deleted_at > ? ORDER BY deleted_at DESC, id DESC", [naive(moment)]
    )
    return [_info(row) for row in rows]


def rename(cursor: Cursor, dataset_id: int, name: str) -> None:
    cursor.execute("UPDATE datasets SET name = ?, name_key = ? WHERE id = ?", [name, name_key(name), dataset_id])


def set_notes(cursor: Cursor, dataset_id: int, notes: str) -> None:
    cursor.execute("UPDATE datasets SET notes = ? WHERE id = ?", [notes, dataset_id])


def mark_deleted(cursor: Cursor, dataset_id: int, at: datetime | None) -> None:
    """Set (or, with None, clear) the moment a dataset was deleted."""
    cursor.execute("UPDATE datasets SET deleted_at = ? WHERE id = ?", [naive(at), dataset_id])


def remove(cursor: Cursor, info: DatasetInfo) -> None:
    """Drop a dataset's table and its catalog row, for good."""
    drop_table(cursor, info.table_name)
    cursor.execute("DELETE FROM datasets WHERE id = ?", [info.id])


def drop_table(cursor: Cursor, table: str) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS main.{quote_identifier(table)}")


def _run(cursor: Cursor | Database, sql: str, params: list | None = None) -> list[tuple]:
    if isinstance(cursor, Database):
        return cursor.query(sql, params)
    return cursor.execute(sql, params).fetchall()
