"""The SQL of a dataset profile: three queries over the dataset's table, whatever its size.

    stats()       one scan: the row count; per column its non-null and distinct counts, min, max,
                  mean, standard deviation and quantiles (exact, or HyperLogLog / t-digest estimates)
    histograms()  one scan: each number or time column counted into its equal-width bins
    top_values()  one query: per chosen column its most common values (DuckDB reads only that column)

Every identifier is quoted; every number the app computed travels as a parameter. Floating-point
columns are summarised over their finite values (NaN and ±inf would swallow min, max and mean).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from robustapp.domain.profile import QUANTILES, TOP_VALUES, ColumnKind
from robustapp.storage.identifiers import quote_identifier

Cursor = duckdb.DuckDBPyConnection
_FLOATS = ("FLOAT", "DOUBLE", "REAL")


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    kind: ColumnKind


@dataclass(frozen=True)
class RawStats:
    """One column's figures as DuckDB returned them (Python values; quantiles in QUANTILES order)."""

    non_null: int
    distinct: int | None
    min: Any
    max: Any
    mean: Any
    std: Any
    quantiles: list[Any] | None


@dataclass(frozen=True)
class BinSpec:
    """Count a column into `bins` bins of `width` from `start` (seconds since the epoch for times)."""

    column: ColumnSpec
    start: float
    width: float
    bins: int


def table_columns(cursor: Cursor, table: str) -> list[tuple[str, str]]:
    """The (name, DuckDB type) of each column of main.`table`, in order."""
    return cursor.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = ? "
        "ORDER BY column_index",
        [table],
    ).fetchall()


def stats(cursor: Cursor, table: str, columns: Sequence[ColumnSpec], *, exact: bool) -> tuple[int, list[RawStats]]:
    """The table's row count and each column's figures, in one scan."""
    select = ["count(*)"]
    for column in columns:
        select.extend(_stat_expressions(column, exact))
    (row,) = cursor.execute(f"SELECT {', '.join(select)} FROM main.{quote_identifier(table)}").fetchall()
    values = iter(row[1:])
    found = [RawStats(*(next(values) for _ in range(7))) for _ in columns]
    return int(row[0]), found


def _stat_expressions(column: ColumnSpec, exact: bool) -> list[str]:
    """Seven expressions: non-null count, distinct count, min, max, mean, std, quantiles (NULL where not computed)."""
    q = quote_identifier(column.name)
    distinct = "count(DISTINCT {})" if exact else "approx_count_distinct({})"
    quantiles = "[" + ", ".join(repr(p) for p in QUANTILES) + "]"
    if column.kind == "number":
        finite = f" FILTER (WHERE isfinite({q}))" if column.type.upper() in _FLOATS else ""
        as_double = f"CAST({q} AS DOUBLE)"
        quantile = "quantile_cont" if exact else "approx_quantile"
        return [
            f"count({q})", distinct.format(q), f"min({q}){finite}", f"max({q}){finite}", f"avg({as_double}){finite}",
            f"stddev_samp({as_double}){finite}", f"{quantile}({as_double}, {quantiles}){finite}",
        ]  # fmt: skip
    if column.kind == "temporal":
        quantile = "quantile_disc" if exact else "approx_quantile"
        return [
            f"count({q})", distinct.format(q), f"min({q})", f"max({q})", f"avg(epoch({q}))", "NULL",
            f"{quantile}({q}, {quantiles})",
        ]  # fmt: skip
    if column.kind in ("text", "boolean"):
        low, high = (f"min({q})", f"max({q})") if column.kind == "text" else ("NULL", "NULL")
        return [f"count({q})", distinct.format(q), low, high, "NULL", "NULL", "NULL"]
    as_text = f"CAST({q} AS VARCHAR)"  # lists, structs, blobs: counted by their text
    return [f"count({q})", distinct.format(as_text), "NULL", "NULL", "NULL", "NULL", "NULL"]


def histograms(cursor: Cursor, table: str, specs: Sequence[BinSpec]) -> list[dict[int, int]]:
    """For each spec, bin number → count (bins without values are missing), in one scan."""
    if not specs:
        return []
    select, params = [], []
    for spec in specs:
        q = quote_identifier(spec.column.name)
        value = f"epoch({q})" if spec.column.kind == "temporal" else f"CAST({q} AS DOUBLE)"
        # FILTER: greatest() skips NULLs, so without it an empty value would land in the first bin
        present = f"isfinite({value})" if spec.column.kind == "number" else f"{q} IS NOT NULL"
        select.append(f"histogram(least(greatest(floor(({value} - ?) / ?), 0), ?)::INTEGER) FILTER (WHERE {present})")
        params.extend([spec.start, spec.width, spec.bins - 1])
    (row,) = cursor.execute(f"SELECT {', '.join(select)} FROM main.{quote_identifier(table)}", params).fetchall()
    return [dict(counts or {}) for counts in row]


def top_values(
    cursor: Cursor, table: str, columns: Sequence[ColumnSpec], limit: int = TOP_VALUES
) -> list[list[tuple[str, int]]]:
    """For each column, its `limit` most common non-null values as text with their counts, most common first."""
    if not columns:
        return []
    parts = []
    for position, column in enumerate(columns):
        q = quote_identifier(column.name)
        parts.append(
            f"(SELECT {position} AS position, CAST({q} AS VARCHAR) AS value, count(*) AS n "
            f"FROM main.{quote_identifier(table)} WHERE {q} IS NOT NULL GROUP BY {q} "
            f"ORDER BY n DESC, {q} LIMIT {int(limit)})"
        )
    rows = cursor.execute(f"SELECT position, value, n FROM ({' UNION ALL '.join(parts)})").fetchall()
    found: list[list[tuple[str, int]]] = [[] for _ in columns]
    for position, value, count in rows:
        found[position].append((value, int(count)))
    for values in found:
        values.sort(key=lambda item: -item[1])  # UNION ALL does not promise to keep each part's order
    return found
