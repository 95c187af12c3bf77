"""SQL for the table view: one page of a dataset's rows, and how many rows match.

    SELECT "city", "price" FROM main."ds_<hex>"
    WHERE "price" >= CAST(? AS DOUBLE) AND contains(lower(CAST("city" AS VARCHAR)), lower(?))
    ORDER BY "price" DESC NULLS LAST, rowid        (no sort: no ORDER BY, the rows keep the file's order)
    LIMIT ? OFFSET ?

Only one page is ever read. Identifiers go through `quote_identifier`, values are bound
parameters, and a type name in a CAST is one of the plain spellings `domain.browse` allows: no
text a user typed ends up in the SQL. Without a sort, DuckDB keeps insertion order
(`preserve_insertion_order`, on by default), so a page is a slice of the file as it was read;
a sort is broken by `rowid`, so pages neither overlap nor skip rows with equal values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import duckdb

from robustapp.domain.browse import COMPARISONS, Filter, Sort, is_comparable, is_shown_as_is
from robustapp.domain.datasets import Column
from robustapp.storage.identifiers import quote_identifier

if TYPE_CHECKING:
    import pyarrow as pa

Cursor = duckdb.DuckDBPyConnection


def fetch_page(
    cursor: Cursor,
    table: str,
    columns: Sequence[Column],
    filters: Sequence[Filter],
    sort: Sort | None,
    *,
    types: dict[str, str],
    limit: int,
    offset: int,
) -> pa.Table:
    """The rows `offset` to `offset + limit` of `table` that pass every filter, as an Arrow table.

    `columns` are the ones to show, `types` every column's type (filters may use columns not shown)."""
    where, params = where_clause(filters, types)
    order = ""
    if sort is not None:
        direction = "DESC" if sort.descending else "ASC"
        order = f" ORDER BY {quote_identifier(sort.column)} {direction} NULLS LAST, rowid"
    sql = f"SELECT {select_list(columns)} FROM main.{quote_identifier(table)}{where}{order} LIMIT ? OFFSET ?"
    return cursor.sql(sql, params=[*params, int(limit), int(offset)]).to_arrow_table()


def count_rows(cursor: Cursor, table: str, filters: Sequence[Filter], *, types: dict[str, str]) -> int:
    """How many rows of `table` pass every filter."""
    where, params = where_clause(filters, types)
    rows = cursor.execute(f"SELECT count(*) FROM main.{quote_identifier(table)}{where}", params).fetchall()
    return int(rows[0][0]) if rows else 0


def value_fits(cursor: Cursor, value: str, column_type: str) -> bool:
    """Whether the text `value` reads as a value of `column_type` (e.g. "12.5" as DOUBLE)."""
    rows = cursor.execute(f"SELECT TRY_CAST(? AS {_type_name(column_type)}) IS NOT NULL", [value]).fetchall()
    return bool(rows and rows[0][0])  # fetchall: a half-read result would keep the cursor busy


def select_list(columns: Sequence[Column]) -> str:
    """The columns to show; a type a table view cannot show (nested, binary, huge integers) as text."""
    parts = []
    for column in columns:
        name = quote_identifier(column.name)
        parts.append(name if is_shown_as_is(column.type) else f"CAST({name} AS VARCHAR) AS {name}")
    return ", ".join(parts)


def where_clause(filters: Sequence[Filter], types: dict[str, str]) -> tuple[str, list[Any]]:
    """` WHERE …` for every filter (empty text for none), with its bound values in order."""
    conditions: list[str] = []
    params: list[Any] = []
    for flt in filters:
        column = quote_identifier(flt.column)
        if flt.op == "is null":
            conditions.append(f"{column} IS NULL")
        elif flt.op == "is not null":
            conditions.append(f"{column} IS NOT NULL")
        elif flt.op == "contains":
            conditions.append(f"contains(lower(CAST({column} AS VARCHAR)), lower(?))")
            params.append(flt.value)
        elif flt.op in COMPARISONS:
            conditions.append(f"{column} {_SQL_OPERATORS[flt.op]} CAST(? AS {_type_name(types[flt.column])})")
            params.append(flt.value)
        else:  # pragma: no cover - the Operator type lists every case above
            raise ValueError(f"unknown filter operator {flt.op!r}")
    return (" WHERE " + " AND ".join(conditions), params) if conditions else ("", params)


_SQL_OPERATORS = {"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def _type_name(column_type: str) -> str:
    """A column type fit to stand in SQL text: one of the plain spellings, or ValueError."""
    name = column_type.strip().upper()
    if not is_comparable(name):
        raise ValueError(f"cannot compare a typed-in value with a column of type {column_type!r}")
    return name
