"""The workbench's jobs: work on the user's datasets (imports, profiles, queries, exports).

Most run inside DuckDB as DB tasks (`kind="db"`: a thread of the database's owner with its own
cursor, interrupted on cancel). Every worker process imports this module too, so it imports
nothing heavy at module level: the services a job needs are imported inside the job.
"""

from __future__ import annotations

from typing import Any

from robustapp.jobs.progress import Progress
from robustapp.jobs.registry import job


@job("data.import", kind="db")
def import_dataset(
    cursor: Any,
    progress: Progress,
    *,
    path: str,
    name: str | None = None,
    replace: bool = False,
    options: dict[str, Any] | None = None,
    remove_file_after_failure: bool = False,
) -> dict[str, Any]:
    """Import a file as a dataset (one transaction: a failure or a cancel leaves nothing behind).

    `remove_file_after_failure`: the file is the app's own copy of an upload; delete it if the
    import does not succeed (a successful import keeps it, so the dataset can be re-imported)."""
    from pathlib import Path

    from robustapp import bootstrap
    from robustapp.domain.datasets import ImportOptions
    from robustapp.services import datasets

    services = bootstrap.services()
    try:
        info = datasets.import_file(
            services.db, path, ImportOptions.model_validate(options or {}), name=name, replace=replace,
            progress=progress.report, cursor=cursor, temp_dir=services.paths.temp_dir,
        )  # fmt: skip
    except BaseException:  # a cancel (JobCancelled) included
        if remove_file_after_failure:
            Path(path).unlink(missing_ok=True)
        raise
    return _summary(info)


@job("data.reimport", kind="db")
def reimport_dataset(cursor: Any, progress: Progress, *, name: str) -> dict[str, Any]:
    """Read a dataset's source file again, with the options it was imported with."""
    from robustapp import bootstrap
    from robustapp.services import datasets

    services = bootstrap.services()
    info = datasets.reimport_dataset(
        services.db, name, progress=progress.report, cursor=cursor, temp_dir=services.paths.temp_dir
    )
    return _summary(info)


def _summary(info: Any) -> dict[str, Any]:
    """What the UI shows of a finished import (JSON, as every job result)."""
    return {
        "name": info.name,
        "rows": info.row_count,
        "columns": len(info.columns),
        "skipped_rows": info.skipped_rows,
        "notes": info.import_notes,
        "source": info.source_path,
    }


@job("data.sql", kind="db")
def run_sql(
    cursor: Any, progress: Progress, *, sql: str, max_rows: int = 10_000, timeout: float | None = None
) -> dict[str, Any]:
    """Run a read-only query from the SQL editor; its rows are kept in a Parquet file (the result's path).

    `timeout`: seconds the query may run (default ROBUSTAPP_SQL_TIMEOUT). A statement that is not
    a query of the database fails with QueryRefusedError saying why."""
    from robustapp.config import load_settings
    from robustapp.services import sql as queries

    settings = load_settings()
    run = queries.run_to_file(
        cursor, sql, settings.paths.temp_dir / "sql-results", max_rows=max_rows,
        timeout=timeout if timeout is not None else settings.sql_timeout, progress=progress.report,
    )  # fmt: skip
    return run.model_dump(mode="json")


@job("data.profile", kind="db")
def profile_dataset(cursor: Any, progress: Progress, *, name: str) -> dict[str, Any]:
    """Profile a dataset (per column: nulls, distinct values, range, quantiles, top values, histogram); cached."""
    from robustapp.services import profile

    return profile.profile_dataset(cursor, name, progress=progress.report).model_dump(mode="json")


@job("data.export", kind="db")
def export_data(
    cursor: Any, progress: Progress, *, source: dict[str, Any], path: str, file_format: str = "csv"
) -> dict[str, Any]:
    """Export a dataset or a query's result to a CSV, Parquet or .xlsx file (written whole, or not at all)."""
    from pathlib import Path

    from robustapp.domain.export import ExportSource
    from robustapp.services import export

    written = export.export(
        cursor, ExportSource.model_validate(source), Path(path), file_format, progress=progress.report
    )
    return written.model_dump(mode="json")
