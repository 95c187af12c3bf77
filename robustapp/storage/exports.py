"""Writing rows out to files: DuckDB's COPY … TO for CSV and Parquet, xlsxwriter for Excel.

    Selection (a SELECT and its parameters)
      ├─ copy()        COPY (selection) TO file (FORMAT csv | parquet)      inside DuckDB, streaming
      └─ write_xlsx()  record batches ─▶ xlsxwriter, row by row            constant memory

The SELECT of a user's query is the checked statement text, set on lines of its own so that a
trailing `-- comment` cannot swallow the closing parenthesis; the whole COPY must still parse
as exactly one COPY statement before it runs.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from robustapp.errors import ExportError
from robustapp.storage.identifiers import quote_identifier

Cursor = duckdb.DuckDBPyConnection
BATCH_ROWS = 10_000
_COPY_OPTIONS = {"csv": "FORMAT csv, HEADER", "parquet": "FORMAT parquet, COMPRESSION zstd"}
_SHEET_UNSAFE = re.compile(r"[\[\]:*?/\\\x00-\x1f]+")


@dataclass(frozen=True)
class Selection:
    """A SELECT whose rows are exported, with its parameters."""

    sql: str
    params: list[Any] = field(default_factory=list)


def table_selection(table: str) -> Selection:
    return Selection(f"SELECT * FROM main.{quote_identifier(table)}")


def parquet_selection(path: Path) -> Selection:
    return Selection("SELECT * FROM read_parquet(?)", [str(path)])


def query_selection(statement: str) -> Selection:
    """A checked query's text as a selection (see the module docstring)."""
    return Selection(f"\n{statement}\n")


def count(cursor: Cursor, selection: Selection) -> int:
    (row,) = cursor.execute(f"SELECT count(*) FROM ({selection.sql})", selection.params).fetchall()
    return int(row[0])


def copy(cursor: Cursor, selection: Selection, path: Path, fmt: str) -> int:
    """COPY the selection's rows to `path` as CSV (with a header) or Parquet; returns the rows written."""
    statement = f"COPY ({selection.sql}) TO ? ({_COPY_OPTIONS[fmt]})"
    parsed = duckdb.extract_statements(statement)
    if len(parsed) != 1 or str(parsed[0].type).rsplit(".", 1)[-1] != "COPY":
        raise ExportError("the query cannot be exported as it is written; run it in the SQL editor first")
    (row,) = cursor.execute(statement, [*selection.params, str(path)]).fetchall()  # read to the end (query_one)
    return int(row[0])


def write_xlsx(
    cursor: Cursor, selection: Selection, path: Path, *, sheet: str, on_rows: Callable[[int], None]
) -> int:
    """Write the selection's rows to an .xlsx workbook, one batch at a time; returns the rows written.

    `on_rows(rows so far)` is called after every batch (it may raise to stop the export)."""
    import xlsxwriter

    reader = cursor.sql(selection.sql, params=selection.params or None).to_arrow_reader(BATCH_ROWS)
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,  # rows are flushed as they are written
            "strings_to_formulas": False,  # a cell "=cmd|…" stays text: no formula injection
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "nan_inf_to_errors": True,
            "remove_timezone": True,  # Excel has no time zones; times are written as they read
        },
    )
    try:
        worksheet = workbook.add_worksheet(sheet_name(sheet))
        header = workbook.add_format({"bold": True})
        formats = {
            "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
            "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
            "time": workbook.add_format({"num_format": "hh:mm:ss"}),
        }
        worksheet.write_row(0, 0, reader.schema.names, header)
        worksheet.freeze_panes(1, 0)
        writers = [_cell_writer(worksheet, field.type, formats) for field in reader.schema]
        written = 0
        for batch in reader:
            columns = [column.to_pylist() for column in batch.columns]
            for values in zip(*columns, strict=True):
                written += 1
                for position, value in enumerate(values):
                    if value is not None:
                        writers[position](written, position, value)
            on_rows(written)
    finally:
        reader.close()
        workbook.close()
    return written


def sheet_name(label: str) -> str:
    """`label` as Excel allows a sheet name: 1–31 characters, none of []:*?/\\, no leading or trailing '."""
    name = _SHEET_UNSAFE.sub("_", label).strip("' ")[:31].strip("' ")
    return name or "data"


def _cell_writer(worksheet: Any, kind: pa.DataType, formats: dict[str, Any]) -> Callable[[int, int, Any], Any]:
    """How to write one column's values: numbers as numbers, times as Excel times, the rest as text."""
    if pa.types.is_boolean(kind):
        return worksheet.write_boolean
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return lambda row, col, value: worksheet.write_number(row, col, float(value))  # NaN, ±inf: error cells
    if pa.types.is_date(kind):
        return _temporal(worksheet, formats["date"])
    if pa.types.is_timestamp(kind):
        return _temporal(worksheet, formats["datetime"])
    if pa.types.is_time(kind):
        return _temporal(worksheet, formats["time"])
    return lambda row, col, value: worksheet.write_string(row, col, value if isinstance(value, str) else str(value))


def _temporal(worksheet: Any, cell_format: Any) -> Callable[[int, int, Any], Any]:
    def write(row: int, col: int, value: dt.date | dt.datetime | dt.time) -> None:
        try:
            worksheet.write_datetime(row, col, value, cell_format)
        except (ValueError, OverflowError, TypeError):  # outside Excel's calendar (before 1900): as text
            worksheet.write_string(row, col, str(value))

    return write
