"""SQL for analyses: one query per spec, run read-only with a time limit; the saved analyses table.

    SELECT "city", count(*) AS "count(*)", sum("units") AS "sum(units)"
    FROM main."ds_<hex>" WHERE "price" >= CAST(? AS DOUBLE)          (Browse's WHERE builder)
    GROUP BY "city" ORDER BY "sum(units)" DESC NULLS LAST LIMIT ?

Identifiers go through `quote_identifier`, filter values and the limit are bound parameters, and the
aggregate functions come from a fixed table: no text a user typed ends up in the SQL unquoted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import duckdb

from robustapp.domain.analysis import Aggregate, AnalysisSpec, SavedAnalysis
from robustapp.domain.datasets import Column
from robustapp.errors import QueryCancelledError, QueryFailedError
from robustapp.storage.browse import select_list, where_clause
from robustapp.storage.database import Database, first_lines, read_only
from robustapp.storage.identifiers import quote_identifier

if TYPE_CHECKING:
    import pyarrow as pa

Cursor = duckdb.DuckDBPyConnection

# sum as DOUBLE: DuckDB sums integers as HUGEINT, which Arrow and the chart see as an opaque decimal.
_FUNCTIONS = {"count": "count({})", "sum": "CAST(sum({}) AS DOUBLE)", "avg": "avg({})", "min": "min({})", "max": "max({})",
              "count_distinct": "count(DISTINCT {})"}  # fmt: skip


def build_query(table: str, spec: AnalysisSpec, columns: Sequence[Column]) -> tuple[str, list[Any]]:
    """The SQL text and its parameters for `spec` over `table` (whose columns are `columns`)."""
    types = {column.name: column.type for column in columns}
    where, params = where_clause(spec.filters, types)
    group = ""
    if spec.is_aggregating:
        parts = [quote_identifier(name) for name in spec.group_by]
        parts += [f"{_aggregate(aggregate)} AS {quote_identifier(aggregate.output_name)}" for aggregate in spec.aggregates]
        select = ", ".join(parts)
        if spec.group_by:
            group = " GROUP BY " + ", ".join(quote_identifier(name) for name in spec.group_by)
    else:
        select = select_list(columns)
    order = ""
    if spec.sort is not None:
        direction = "DESC" if spec.sort.descending else "ASC"
        order = f" ORDER BY {quote_identifier(spec.sort.column)} {direction} NULLS LAST"
    sql = f"SELECT {select} FROM main.{quote_identifier(table)}{where}{group}{order} LIMIT ?"
    return sql, [*params, int(spec.limit)]


def _aggregate(aggregate: Aggregate) -> str:
    column = "*" if aggregate.column is None else quote_identifier(aggregate.column)
    return _FUNCTIONS[aggregate.func].format(column)


def fetch(cursor: Cursor, sql: str, params: list[Any], *, timeout: float | None) -> pa.Table:
    """Run one built query in a read-only transaction, interrupted after `timeout` seconds."""
    with read_only(cursor, timeout=timeout):
        try:
            return cursor.sql(sql, params=params).to_arrow_table()
        except duckdb.InterruptException as exc:
            raise QueryCancelledError(f"the analysis ran past {timeout:g} s and was stopped") from exc
        except duckdb.Error as exc:
            raise QueryFailedError(first_lines(exc)) from exc


# -- saved analyses ---------------------------------------------------------------------------------

_SAVED = "id, name, spec, created_at, updated_at"


def _saved(row: tuple) -> SavedAnalysis:
    id_, name, spec, created_at, updated_at = row
    return SavedAnalysis(
        id=id_, name=name, spec=AnalysisSpec.model_validate_json(spec),
        created_at=created_at.replace(tzinfo=UTC), updated_at=updated_at.replace(tzinfo=UTC),
    )  # fmt: skip


def _rows(source: Database | Cursor, sql: str, params: list[Any]) -> list[tuple]:
    return source.query(sql, params) if isinstance(source, Database) else source.execute(sql, params).fetchall()


def list_saved(source: Database | Cursor, owner: str) -> list[SavedAnalysis]:
    """The owner's saved analyses, by name."""
    sql = f"SELECT {_SAVED} FROM saved_analyses WHERE owner = ? ORDER BY name_key, id"
    return [_saved(row) for row in _rows(source, sql, [owner])]


def find(source: Database | Cursor, owner: str, name: str) -> SavedAnalysis | None:
    """The owner's analysis called `name` (case-insensitively), or None."""
    sql = f"SELECT {_SAVED} FROM saved_analyses WHERE owner = ? AND name_key = ?"
    found = _rows(source, sql, [owner, name.casefold()])
    return _saved(found[0]) if found else None


def insert(cursor: Cursor, owner: str, name: str, spec: AnalysisSpec, at: datetime) -> int:
    naive = at.astimezone(UTC).replace(tzinfo=None)
    row = cursor.execute(
        "INSERT INTO saved_analyses (id, owner, name, name_key, spec, created_at, updated_at) "
        "VALUES (nextval('saved_analysis_ids'), ?, ?, ?, ?, ?, ?) RETURNING id",
        [owner, name, name.casefold(), spec.model_dump_json(), naive, naive],
    ).fetchall()[0]
    return int(row[0])


def update_spec(cursor: Cursor, analysis_id: int, spec: AnalysisSpec, at: datetime) -> None:
    cursor.execute(
        "UPDATE saved_analyses SET spec = ?, updated_at = ? WHERE id = ?",
        [spec.model_dump_json(), at.astimezone(UTC).replace(tzinfo=None), analysis_id],
    )


def rename(cursor: Cursor, analysis_id: int, name: str, at: datetime) -> None:
    cursor.execute(
        "UPDATE saved_analyses SET name = ?, name_key = ?, updated_at = ? WHERE id = ?",
        [name, name.casefold(), at.astimezone(UTC).replace(tzinfo=None), analysis_id],
    )


def delete(cursor: Cursor, analysis_id: int) -> None:
    cursor.execute("DELETE FROM saved_analyses WHERE id = ?", [analysis_id])

