"""Query results kept as Parquet files: a job's result is a path, the page reads the file back.

    write(cursor, arrow table, path) ──▶ <path>.partial ──rename──▶ <path>     (never a half file)
    read(path) ──▶ arrow table                                                 prune(dir, keep)

Parquet cannot hold Arrow's interval type: such columns are kept as DuckDB's text for them ("3 days").
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from robustapp.storage.identifiers import quote_identifier


def write(cursor: duckdb.DuckDBPyConnection, table: pa.Table, path: Path) -> None:
    """Write `table` to the Parquet file `path`, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        try:
            pq.write_table(table, partial)
        except pa.ArrowNotImplementedError:  # an interval column: as text
            try:
                pq.write_table(_as_text(cursor, table, _unwritable(table.schema, nested=False)), partial)
            except pa.ArrowNotImplementedError:  # an interval inside a list or struct: those as text too
                pq.write_table(_as_text(cursor, table, _unwritable(table.schema, nested=True)), partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def read(path: Path) -> pa.Table:
    """The result kept in the Parquet file `path` (FileNotFoundError once it was cleaned up)."""
    return pq.read_table(path)


def row_count(path: Path) -> int:
    """The rows in the Parquet file `path`, from its footer."""
    return pq.ParquetFile(path).metadata.num_rows


def prune(directory: Path, pattern: str, keep: int) -> int:
    """Delete all but the newest `keep` files matching `pattern` in `directory`; returns how many went."""
    if not directory.is_dir():
        return 0
    files = sorted(directory.glob(pattern), key=_modified, reverse=True)
    for old in files[keep:]:
        old.unlink(missing_ok=True)
    return max(0, len(files) - keep)


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _unwritable(schema: pa.Schema, *, nested: bool) -> set[str]:
    """The columns whose type Parquet may not hold: intervals, and (`nested`) lists, structs and maps."""
    return {
        field.name for field in schema
        if pa.types.is_interval(field.type) or (nested and pa.types.is_nested(field.type))
    }  # fmt: skip


def _as_text(cursor: duckdb.DuckDBPyConnection, table: pa.Table, names: set[str]) -> pa.Table:
    columns = [
        f"CAST({quote_identifier(name)} AS VARCHAR) AS {quote_identifier(name)}" if name in names
        else quote_identifier(name)
        for name in table.column_names
    ]  # fmt: skip
    return cursor.from_arrow(table).project(", ".join(columns)).to_arrow_table()
