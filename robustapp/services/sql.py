"""The SQL editor's use cases: run a query into a result file, remember what was run, show the tables.

    run_to_file(cursor, sql)  (the job data.sql, on its own cursor: Cancel interrupts it)
        dataset names as views ─▶ run_query: checked, read-only, ≤ max_rows, ≤ timeout
        ─▶ Arrow ─▶ <out_dir>/result-<hex>.parquet ─▶ QueryRun {path, rows, columns, truncated, …} as JSON
    record_run(owner, sql, job_id) · history(owner)   the newest distinct queries, with how they ended
    read_result(run) ─▶ the Arrow table again (for the page and for export)
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from robustapp.storage import dataset_views, result_files, sql_history
from robustapp.storage.database import Database
from robustapp.storage.readonly_sql import run_query
from robustapp.storage.sql_history import HistoryEntry

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

MAX_ROWS = 10_000  # rows of a result kept and shown; an export of the query writes them all
HISTORY_KEPT = 50
RESULTS_KEPT = 20  # result files kept in the results folder (the newest)
RESULT_PATTERN = "result-*.parquet"

__all__ = [
    "HISTORY_KEPT", "MAX_ROWS", "HistoryEntry", "QueryRun",
    "history", "outcome", "read_result", "record_run", "run_to_file",
]  # fmt: skip


class QueryRun(BaseModel):
    """A query that ran: where its first `max_rows` rows are kept, and what they are."""

    model_config = ConfigDict(frozen=True)

    sql: str
    path: str
    rows: int
    columns: list[tuple[str, str]]  # (name, DuckDB type)
    truncated: bool  # the query returns more than `max_rows` rows
    max_rows: int
    seconds: float


def run_to_file(
    cursor: duckdb.DuckDBPyConnection,
    sql: str,
    out_dir: Path,
    *,
    max_rows: int = MAX_ROWS,
    timeout: float | None = 60.0,
    progress: Callable[[float, str], None] | None = None,
) -> QueryRun:
    """Run one read-only query on `cursor` (datasets readable by their names) and keep its result in a file.

    Raises QueryRefusedError (with the reason), QueryFailedError (DuckDB's message) or QueryCancelledError."""
    if progress:
        progress(0.0, "running")
    dataset_views.define(cursor)
    result = run_query(cursor, sql, max_rows=max_rows, timeout=timeout)
    if progress:
        progress(0.9, f"keeping {result.row_count:,} rows")
    path = out_dir / f"result-{uuid.uuid4().hex[:16]}.parquet"
    result_files.write(cursor, result.table, path)
    result_files.prune(out_dir, RESULT_PATTERN, RESULTS_KEPT)
    return QueryRun(
        sql=result.sql, path=str(path), rows=result.row_count, columns=result.columns, truncated=result.truncated,
        max_rows=max_rows, seconds=round(result.seconds, 4),
    )  # fmt: skip


def read_result(run: QueryRun) -> pa.Table:
    """The rows a run kept; FileNotFoundError when its file has been cleaned up since."""
    return result_files.read(Path(run.path))


def record_run(db: Database, owner: str, sql: str, job_id: int | None, *, at: datetime | None = None) -> int:
    """Put `sql` at the top of the owner's history (once: an earlier run of the same text moves up)."""
    moment = at or datetime.now(UTC)
    return db.write(lambda cursor: sql_history.add(cursor, owner, sql, job_id, moment, HISTORY_KEPT))


def history(db: Database, owner: str, limit: int = HISTORY_KEPT) -> list[HistoryEntry]:
    """The owner's queries, newest first, with how each run ended."""
    return sql_history.newest(db, owner, limit)


def outcome(entry: HistoryEntry) -> str:
    """A few words on how a run ended: "12 rows", "refused", "failed", "cancelled", "running"."""
    if entry.state == "succeeded" and isinstance(entry.result, dict):
        rows: Any = entry.result.get("rows", 0)
        more = "+" if entry.result.get("truncated") else ""
        return f"{rows:,}{more} row{'s' if rows != 1 or more else ''}"
    if entry.state == "failed" and entry.error and entry.error.startswith("QueryRefusedError"):
        return "refused"
    return entry.state or "gone"
