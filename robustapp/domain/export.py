"""Exports: what is exported (a dataset, a query, a kept result), to which format, and the limits.

    ExportSource.dataset("sales")          the dataset's whole table
    ExportSource.query("SELECT …")         the whole result of a read-only query (run again)
    ExportSource.result(path, label=…)     a query result the SQL editor kept (a Parquet file)
    ExportSource.analysis(spec)            an analysis's result (its query built again, values bound)

Pure: no DuckDB, no files here.
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Literal

from pydantic import BaseModel, ConfigDict

from robustapp.domain.analysis import AnalysisSpec
from robustapp.errors import ExportError

ExportFormat = Literal["csv", "parquet", "xlsx"]
FORMATS: tuple[ExportFormat, ...] = ("csv", "parquet", "xlsx")
EXCEL_MAX_ROWS = 1_048_576  # rows in an Excel sheet, the header row included
MIME_TYPES: dict[ExportFormat, str] = {
    "csv": "text/csv",
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_SUFFIXES: dict[str, ExportFormat] = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".xlsx": "xlsx"}
_UNSAFE = re.compile(r'[\x00-\x1f<>:"/\\|?*]+')


class ExportSource(BaseModel):
    """What to export; stored as a job parameter (JSON)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["dataset", "query", "result", "analysis"]
    name: str = ""  # dataset: its name
    sql: str = ""  # query: the statement
    path: str = ""  # result: the Parquet file
    spec: AnalysisSpec | None = None  # analysis: what it asks for
    label: str = ""  # what the file is called when downloaded (without extension)

    @classmethod
    def dataset(cls, name: str) -> ExportSource:
        return cls(kind="dataset", name=name, label=name)

    @classmethod
    def query(cls, sql: str, *, label: str = "query result") -> ExportSource:
        return cls(kind="query", sql=sql, label=label)

    @classmethod
    def result(cls, path: str, *, label: str = "query result") -> ExportSource:
        return cls(kind="result", path=path, label=label)

    @classmethod
    def analysis(cls, spec: AnalysisSpec, *, label: str = "") -> ExportSource:
        return cls(kind="analysis", spec=spec, label=label or f"{spec.dataset} analysis")

    def describe(self) -> str:
        if self.kind == "dataset":
            return f"dataset {self.name!r}"
        if self.kind == "analysis":
            return "the analysis result"
        return "the query result" if self.kind == "result" else "the query's result"


def format_of(path: PurePath) -> ExportFormat | None:
    """The format a file name asks for by its extension, or None."""
    return _SUFFIXES.get(path.suffix.lower())


def check_format(value: str) -> ExportFormat:
    fmt = value.strip().lower()
    if fmt not in FORMATS:
        raise ExportError(f"format {value!r} is not one the app writes; choose one of {', '.join(FORMATS)}")
    return fmt  # type: ignore[return-value]


def download_name(label: str, fmt: ExportFormat) -> str:
    """A file name for `label` that every operating system accepts."""
    stem = _UNSAFE.sub("_", label).strip(" ._") or "export"
    return f"{stem[:100]}.{fmt}"


def excel_refusal(rows: int, what: str) -> str | None:
    """Why `rows` rows cannot go into one Excel sheet, or None when they fit."""
    if rows + 1 <= EXCEL_MAX_ROWS:
        return None
    return (
        f"{what} has {rows:,} rows; an Excel sheet holds at most {EXCEL_MAX_ROWS:,} rows including its "
        f"header ({EXCEL_MAX_ROWS - 1:,} rows of data). Export it as CSV or Parquet, or narrow it down "
        "with a query first"
    )
