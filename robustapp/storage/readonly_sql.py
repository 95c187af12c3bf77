"""Run a user's SQL query, read-only, bounded in rows and time, stoppable.

    sql ──parse()──▶ ParsedStatement (kind, AST) ──sql_policy.refusal()──▶ refused, with why
                                 │ allowed
                                 ▼
    BEGIN TRANSACTION READ ONLY ─ query ─ first max_rows rows as Arrow ─ ROLLBACK
                                 ▲
          a timer (timeout) or the caller's cancel ── cursor.interrupt()

The query runs on the cursor it is given, so whoever runs it (a job, a test) can interrupt it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from robustapp.domain.sql_policy import ParsedStatement, refusal
from robustapp.errors import QueryCancelledError, QueryFailedError, QueryRefusedError
from robustapp.storage.database import first_lines, read_only

BATCH_ROWS = 2048


@dataclass(frozen=True)
class QueryResult:
    """The first `max_rows` rows of a query, and whether there were more."""

    sql: str
    columns: list[tuple[str, str]]  # (name, DuckDB type)
    table: pa.Table
    truncated: bool
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        return self.table.num_rows


def parse(cursor: duckdb.DuckDBPyConnection, sql: str) -> ParsedStatement:
    """The one statement in `sql`, parsed; QueryRefusedError for none or several, QueryFailedError for a syntax error."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryFailedError(first_lines(exc)) from exc
    if not statements:
        raise QueryRefusedError("there is no statement to run")
    if len(statements) > 1:
        raise QueryRefusedError(f"run one query at a time (this text holds {len(statements)} statements)")
    statement = statements[0]
    kind = str(statement.type).rsplit(".", 1)[-1]
    return ParsedStatement(kind=kind, text=statement.query.strip().rstrip(";"), ast=_ast(cursor, statement.query))


def _ast(cursor: duckdb.DuckDBPyConnection, sql: str) -> dict | None:
    """DuckDB's own parse tree of a query (None when it has no serialised form, e.g. PIVOT)."""
    text = cursor.execute("SELECT json_serialize_sql(?)", [sql]).fetchall()[0][0]
    tree = json.loads(text)
    if tree.get("error") or len(tree.get("statements", [])) != 1:
        return None
    return tree["statements"][0]


def check(cursor: duckdb.DuckDBPyConnection, sql: str) -> ParsedStatement:
    """The parsed statement when it may run; QueryRefusedError saying why not otherwise."""
    statement = parse(cursor, sql)
    reason = refusal(statement, _table_names(cursor))
    if reason:
        raise QueryRefusedError(reason)
    return statement


def _table_names(cursor: duckdb.DuckDBPyConnection) -> set[str]:
    rows = cursor.execute(
        "SELECT table_name FROM duckdb_tables() UNION ALL SELECT view_name FROM duckdb_views()"
    ).fetchall()
    return {name.lower() for (name,) in rows}


def run_query(
    cursor: duckdb.DuckDBPyConnection,
    sql: str,
    *,
    max_rows: int = 10_000,
    timeout: float | None = 30.0,
) -> QueryResult:
    """Check and run one query in a read-only transaction; its first `max_rows` rows."""
    statement = check(cursor, sql)
    started = time.perf_counter()
    with read_only(cursor, timeout=timeout) as transaction:
        try:
            relation = cursor.sql(statement.text)
            columns = [(name, str(kind)) for name, kind in zip(relation.columns, relation.types, strict=True)]
            batches, rows, truncated = [], 0, False
            reader = relation.to_arrow_reader(BATCH_ROWS)
            try:
                for batch in reader:
                    if rows + batch.num_rows > max_rows:
                        batches.append(batch.slice(0, max_rows - rows))
                        truncated = True
                        break
                    batches.append(batch)
                    rows += batch.num_rows
            finally:
                reader.close()
            table = pa.Table.from_batches(batches, schema=reader.schema)
        except duckdb.InterruptException as exc:
            raise QueryCancelledError(
                f"the query ran past {timeout:g} s and was stopped" if transaction.timed_out else "the query was cancelled"
            ) from exc
        except duckdb.Error as exc:
            raise QueryFailedError(first_lines(exc)) from exc
    return QueryResult(statement.text, columns, table, truncated, time.perf_counter() - started)
