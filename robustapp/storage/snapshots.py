"""Consistent copies of the database, and what is inside a copy.

    snapshot_open(db, target)     the database is open here (the app, a migration): one read
                                  transaction counts every table and runs COPY FROM DATABASE into
                                  a new attached file. Writers go on meanwhile (MVCC); the copy holds
                                  exactly what was committed when the transaction began.
    copy_closed(source, target)   nobody has the file open (the CLI, a restore): open it once
                                  read-write (replays its WAL, checkpoints), then hold it
                                  read-only (no writer can open it) while its bytes are copied.

Never a byte copy of a file that a writer has open: commits still in its WAL would be missing.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb

from robustapp.errors import DatabaseOpenError
from robustapp.storage.database import Database, open_connection
from robustapp.storage.identifiers import quote_identifier
from robustapp.storage.query_progress import watching

Fraction = Callable[[float], None]


def _ignore(_fraction: float) -> None:
    """The progress callback when nobody listens."""


def wal_of(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def table_counts(cursor: duckdb.DuckDBPyConnection, catalog: str | None = None) -> dict[str, int]:
    """Rows of every table of `catalog` (default: the current database), as {"schema.table": rows}."""
    catalog = catalog or cursor.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
    tables = cursor.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() "
        "WHERE database_name = ? AND NOT temporary ORDER BY schema_name, table_name",
        [catalog],
    ).fetchall()
    counts = {}
    for schema, table in tables:
        qualified = ".".join(quote_identifier(part) for part in (catalog, schema, table))
        (rows,) = cursor.execute(f"SELECT count(*) FROM {qualified}").fetchone()  # type: ignore[misc]
        counts[f"{schema}.{table}"] = int(rows)
    return counts


def schema_version_of(cursor: duckdb.DuckDBPyConnection) -> int:
    """The highest applied migration recorded in the connected database (0 if none)."""
    has_table = cursor.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name = 'schema_migrations'"
    ).fetchone()
    if not has_table or not has_table[0]:
        return 0
    row = cursor.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    return int(row[0]) if row else 0


def snapshot_open(db: Database, target: Path, progress: Fraction = _ignore) -> dict[str, int]:
    """Copy the open database `db` into the new DuckDB file `target`; returns the rows per table it holds."""
    cursor = db.cursor()  # this thread's: a job's cancel interrupts it
    alias = f"robustapp_snapshot_{secrets.token_hex(4)}"
    literal = "'" + str(target).replace("'", "''") + "'"
    catalog = cursor.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
    cursor.execute(f"ATTACH {literal} AS {alias}")
    try:
        cursor.execute("BEGIN TRANSACTION")
        try:
            counts = table_counts(cursor, catalog)  # the transaction's snapshot is taken here
            with watching(cursor, progress) as watcher:
                try:
                    cursor.execute(f"COPY FROM DATABASE {quote_identifier(catalog)} TO {alias}")
                except duckdb.InterruptException:
                    watcher.raise_request()  # e.g. the job was cancelled
                    raise
            cursor.execute("COMMIT")
        except BaseException:
            _rollback_quietly(cursor)
            raise
    finally:
        cursor.execute(f"DETACH {alias}")  # checkpoints the copy: no WAL is left next to it
    return counts


def copy_closed(source: Path, target: Path, progress: Fraction = _ignore) -> dict[str, int]:
    """Copy the database file `source`, which no process has open, to the new file `target`."""
    connection = open_connection(source)  # replays what a crash left in the WAL
    try:
        connection.execute("CHECKPOINT")
    finally:
        connection.close()
    if wal_of(source).exists():
        raise DatabaseOpenError(f"{source} still has a WAL after a checkpoint; it cannot be copied as a file")
    held = open_connection(source, read_only=True)  # until the copy is done, no writer can open it
    try:
        try:
            counts = table_counts(held)
        except duckdb.Error as exc:
            raise DatabaseOpenError(f"{source} opened but cannot be read: {exc}") from None
        size = source.stat().st_size
        with open(source, "rb") as src, open(target, "xb") as dst:
            done = 0
            while chunk := src.read(4 << 20):
                dst.write(chunk)
                done += len(chunk)
                progress(min(1.0, done / size) if size else 1.0)
            dst.flush()
            os.fsync(dst.fileno())
    finally:
        held.close()
    return counts


def inspect_file(path: Path) -> tuple[int, dict[str, int]]:
    """(schema version, rows per table) of a DuckDB file, opened read-only; DatabaseOpenError if it does not open."""
    connection = open_connection(path, read_only=True)
    try:
        return schema_version_of(connection), table_counts(connection)
    except duckdb.Error as exc:
        raise DatabaseOpenError(f"{path} opened but cannot be read: {exc}") from None
    finally:
        connection.close()


def created_at(db: Database) -> datetime | None:
    """When the database was created (its first migration), or None if it has no record of it."""
    try:
        row = db.query_one("SELECT CAST(value AS TIMESTAMPTZ) FROM app_meta WHERE key = 'created_at'")
    except duckdb.CatalogException:  # not migrated yet
        return None
    return row[0] if row else None


def _rollback_quietly(cursor: duckdb.DuckDBPyConnection) -> None:
    try:
        cursor.execute("ROLLBACK")
    except duckdb.Error:
        pass  # DuckDB ended the transaction itself (an interrupted statement)
