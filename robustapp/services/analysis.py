"""Analyses: run one over its dataset (cached until the dataset changes), and keep analyses by name.

    run_analysis(db, spec)
      ├─ the dataset now ──▶ problems(spec, its columns) + filter values of the wrong type ──▶ AnalysisInvalid
      └─ cached by (dataset, table, spec), tagged dataset:<name> and table:<table>: a re-import drops it
            └─ miss ──▶ one parameterised query, READ ONLY transaction, interrupted after `timeout`
    save · list · open · duplicate · rename · delete      saved_analyses, per owner, names unique (casefolded)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from robustapp.cache import cache_data
from robustapp.domain.analysis import (
    AnalysisSpec,
    SavedAnalysis,
    check_name,
    copy_name,
    output_columns,
    problems,
)
from robustapp.domain.datasets import Column, DatasetInfo
from robustapp.errors import AnalysisInvalid, AnalysisNameTaken, AnalysisNotFound
from robustapp.services import datasets
from robustapp.services.browse import check_filter
from robustapp.storage import analysis as sql
from robustapp.storage.database import Database

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

RUN_TIMEOUT = 30.0  # seconds an analysis may run


@dataclass(frozen=True)
class AnalysisResult:
    """An analysis as it ran: its dataset, its result's columns and rows, how long the query took."""

    dataset: DatasetInfo
    spec: AnalysisSpec
    columns: list[Column]
    rows: pa.Table
    seconds: float  # of the run that computed it (a cached result keeps the figure)


def check(db: Database, spec: AnalysisSpec) -> DatasetInfo:
    """The spec's dataset when the spec fits it; AnalysisInvalid naming every problem, DatasetNotFound."""
    info = datasets.get_dataset(db, spec.dataset)
    found = problems(spec, info.columns)
    if not found:  # each typed-in value must read as its column's type (the database says)
        checked = ((index, check_filter(db, info.name, flt)) for index, flt in enumerate(spec.filters, start=1))
        found = [f"filter {index}: {problem}" for index, problem in checked if problem]
    if found:
        raise AnalysisInvalid("; ".join(found))
    return info


def run_analysis(db: Database, spec: AnalysisSpec, *, timeout: float = RUN_TIMEOUT) -> AnalysisResult:
    """The result of `spec` (cached until its dataset changes)."""
    info = check(db, spec)
    rows, seconds = _run(info.name, info.table_name, spec.model_dump_json(), _db=db, _columns=info.columns,
                         _timeout=timeout)  # fmt: skip
    return AnalysisResult(info, spec, output_columns(spec, info.columns), rows, seconds)


@cache_data(ttl=timedelta(days=7), tags={"dataset:{name}", "table:{table}"}, version="1")
def _run(
    name: str, table: str, spec: str, _db: Database, _columns: list[Column], _timeout: float
) -> tuple[pa.Table, float]:
    # The table is named afresh by every import, so (table, spec) decides the result; the tags drop it early.
    text, params = sql.build_query(table, AnalysisSpec.model_validate_json(spec), _columns)
    started = time.perf_counter()
    rows = sql.fetch(_db.cursor(), text, params, timeout=_timeout)
    return rows, round(time.perf_counter() - started, 4)


# -- saved analyses ---------------------------------------------------------------------------------


def list_analyses(db: Database, owner: str) -> list[SavedAnalysis]:
    return sql.list_saved(db, owner)


def open_analysis(db: Database, owner: str, name: str) -> SavedAnalysis:
    """The owner's analysis called `name` (case-insensitively); AnalysisNotFound if there is none."""
    found = sql.find(db, owner, name)
    if found is None:
        raise AnalysisNotFound(f"there is no saved analysis named {name!r}")
    return found


def save_analysis(
    db: Database, owner: str, name: str, spec: AnalysisSpec, *, replace: bool = False, now: datetime | None = None
) -> SavedAnalysis:
    """Keep `spec` under `name`; one of that name already: AnalysisNameTaken, or overwritten when `replace`."""
    name, at = check_name(name), now or datetime.now(UTC)

    def save(cursor: duckdb.DuckDBPyConnection) -> SavedAnalysis:
        existing = sql.find(cursor, owner, name)
        if existing is not None and not replace:
            raise AnalysisNameTaken(f"an analysis named {existing.name!r} exists already; choose another name")
        if existing is not None:
            sql.update_spec(cursor, existing.id, spec, at)
        else:
            sql.insert(cursor, owner, name, spec, at)
        return _found(cursor, owner, name)

    return db.write(save)


def duplicate_analysis(db: Database, owner: str, name: str, new_name: str | None = None) -> SavedAnalysis:
    """A copy of the analysis `name`, called `new_name` (else "<name> (copy)", "<name> (copy 2)" …)."""
    at = datetime.now(UTC)

    def duplicate(cursor: duckdb.DuckDBPyConnection) -> SavedAnalysis:
        original = _found(cursor, owner, name)
        taken = {saved.name.casefold() for saved in sql.list_saved(cursor, owner)}
        target = check_name(new_name) if new_name is not None else copy_name(original.name, taken)
        if target.casefold() in taken:
            raise AnalysisNameTaken(f"an analysis named {target!r} exists already; choose another name")
        sql.insert(cursor, owner, target, original.spec, at)
        return _found(cursor, owner, target)

    return db.write(duplicate)


def rename_analysis(db: Database, owner: str, old: str, new: str) -> SavedAnalysis:
    """Give the analysis `old` the name `new` (a change of case only is allowed)."""
    new, at = check_name(new), datetime.now(UTC)

    def rename(cursor: duckdb.DuckDBPyConnection) -> SavedAnalysis:
        current = _found(cursor, owner, old)
        other = sql.find(cursor, owner, new)
        if other is not None and other.id != current.id:
            raise AnalysisNameTaken(f"an analysis named {other.name!r} exists already; choose another name")
        sql.rename(cursor, current.id, new, at)
        return _found(cursor, owner, new)

    return db.write(rename)


def delete_analysis(db: Database, owner: str, name: str) -> SavedAnalysis:
    """Remove the analysis `name` for good; the one removed."""

    def delete(cursor: duckdb.DuckDBPyConnection) -> SavedAnalysis:
        current = _found(cursor, owner, name)
        sql.delete(cursor, current.id)
        return current

    return db.write(delete)


def _found(cursor: duckdb.DuckDBPyConnection, owner: str, name: str) -> SavedAnalysis:
    found = sql.find(cursor, owner, name)
    if found is None:
        raise AnalysisNotFound(f"there is no saved analysis named {name!r}")
    return found
