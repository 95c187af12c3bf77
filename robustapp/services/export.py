"""Export a dataset, a query's result or a kept result to CSV, Parquet or Excel.

    export(cursor, source, path, "csv")     (the job data.export, or the CLI when the app is stopped)
      source ─▶ a SELECT (dataset table · checked read-only query · kept Parquet result ·
                          an analysis's query over its dataset now, values as parameters)
      xlsx?  ─▶ rows ≤ 1,048,575? else ExportError, before anything is written
      READ ONLY transaction: COPY … TO (csv, parquet) or xlsxwriter (xlsx) ─▶ .<name>.partial
      ─▶ renamed to `path`: a failed or cancelled export leaves no file behind

`progress(fraction, message)` is called as rows are written; a cancel (the job's cursor
interrupted, or `progress` raising) stops the export.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import duckdb
from pydantic import BaseModel, ConfigDict

from robustapp.domain.analysis import AnalysisSpec, problems
from robustapp.domain.datasets import DatasetInfo
from robustapp.domain.export import ExportFormat, ExportSource, check_format, download_name, excel_refusal
from robustapp.errors import DatasetNotFound, ExportError
from robustapp.storage import dataset_views, exports, result_files
from robustapp.storage import analysis as analysis_sql
from robustapp.storage import datasets as catalog
from robustapp.storage.database import read_only
from robustapp.storage.query_progress import watching
from robustapp.storage.readonly_sql import check

Progress = Callable[[float, str], None]
EXPORTS_KEPT = 10  # export files kept in the app's exports folder (the newest), for the download button


class ExportResult(BaseModel):
    """A written export file."""

    model_config = ConfigDict(frozen=True)

    path: str
    file_name: str  # what a download calls it
    format: ExportFormat
    rows: int
    bytes: int
    seconds: float


def export(
    cursor: duckdb.DuckDBPyConnection,
    source: ExportSource,
    path: Path,
    fmt: str,
    *,
    progress: Progress | None = None,
) -> ExportResult:
    """Write `source` to `path` in format `fmt` (csv, parquet or xlsx), replacing a file that is there."""
    report = progress or _silent
    file_format = check_format(fmt)
    started = time.perf_counter()
    path = Path(os.path.abspath(os.path.expanduser(path)))
    if not path.parent.is_dir():
        raise ExportError(f"cannot write {path}: the folder {path.parent} does not exist")
    if path.is_dir():
        raise ExportError(f"cannot write {path}: it is a folder; give a file name")
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")
    report(0.0, f"preparing {source.describe()}")
    with read_only(cursor):  # one consistent state of the data, and nothing written to it
        try:
            selection, known_rows = _select(cursor, source)
            if file_format == "xlsx":
                rows = known_rows if known_rows is not None else exports.count(cursor, selection)
                refusal = excel_refusal(rows, source.describe().capitalize())
                if refusal:
                    raise ExportError(refusal)
                rows = _write_xlsx(cursor, selection, partial, source, rows, report)
            else:
                with watching(cursor, lambda f: report(0.95 * f, f"writing {file_format.upper()}")) as watcher:
                    try:
                        rows = exports.copy(cursor, selection, partial, file_format)
                    except Exception:
                        watcher.raise_request()  # interrupted because the export was cancelled: say that
                        raise
            os.replace(partial, path)
        except (OSError, duckdb.IOException) as exc:
            raise ExportError(f"cannot write {path}: {getattr(exc, 'strerror', None) or exc}") from exc
        finally:
            partial.unlink(missing_ok=True)
    size = path.stat().st_size
    report(1.0, f"wrote {rows:,} rows ({size / 2**20:.1f} MB)")
    return ExportResult(
        path=str(path), file_name=download_name(source.label or path.stem, file_format), format=file_format,
        rows=rows, bytes=size, seconds=round(time.perf_counter() - started, 3),
    )  # fmt: skip


def export_path(directory: Path, source: ExportSource, fmt: str) -> Path:
    """A fresh file in the app's exports folder for a download (older exports there are cleaned up)."""
    directory.mkdir(parents=True, exist_ok=True)
    result_files.prune(directory, "export-*", EXPORTS_KEPT - 1)
    stem = Path(download_name(source.label or "export", check_format(fmt))).stem
    return directory / f"export-{uuid.uuid4().hex[:8]}-{stem}.{fmt}"


def _select(cursor: duckdb.DuckDBPyConnection, source: ExportSource) -> tuple[exports.Selection, int | None]:
    """The SELECT of `source`'s rows, and their number when it is known without counting."""
    if source.kind == "dataset":
        info = _dataset(cursor, source.name)
        return exports.table_selection(info.table_name), info.row_count
    if source.kind == "analysis":
        assert source.spec is not None  # an analysis source is made with its spec
        return _analysis_selection(cursor, source.spec), None
    if source.kind == "result":
        kept = Path(source.path)
        if not kept.is_file():
            raise ExportError("that query result is no longer kept; run the query again, then export")
        return exports.parquet_selection(kept), result_files.row_count(kept)
    dataset_views.define(cursor)
    return exports.query_selection(check(cursor, source.sql).text), None


def _dataset(cursor: duckdb.DuckDBPyConnection, name: str) -> DatasetInfo:
    info = catalog.find_live(cursor, name)
    if info is None:
        raise DatasetNotFound(f"there is no dataset named {name!r} to export")
    return info


def _analysis_selection(cursor: duckdb.DuckDBPyConnection, spec: AnalysisSpec) -> exports.Selection:
    """The analysis's query over its dataset as it is now: quoted identifiers, the values bound."""
    info = _dataset(cursor, spec.dataset)
    found = problems(spec, info.columns)
    if found:
        raise ExportError(f"the analysis no longer fits dataset {spec.dataset!r}: {'; '.join(found)}")
    text, params = analysis_sql.build_query(info.table_name, spec, info.columns)
    return exports.Selection(text, params)


def _write_xlsx(
    cursor: duckdb.DuckDBPyConnection,
    selection: exports.Selection,
    partial: Path,
    source: ExportSource,
    rows: int,
    report: Progress,
) -> int:
    def on_rows(done: int) -> None:
        report(0.98 * done / max(rows, 1), f"writing Excel rows: {done:,} of {rows:,}")

    return exports.write_xlsx(cursor, selection, partial, sheet=source.label or "data", on_rows=on_rows)


def _silent(fraction: float, message: str) -> None:
    """The progress callback when nobody listens."""
