"""Analyses: run one over its dataset (cached until the dataset changes), and keep analyses by name.

    run_analysis(db, spec)
      ├─ the dataset now ──▶ problems(spec, its columns) + filter values of the wrong type ──▶ AnalysisInvalid
      └─ cached by (dataset, table, spec), tagged dataset:<name> and table:<table>: a re-import drops it
            └─ miss ──▶ one parameterised query, READ ONLY transaction, interrupted after `timeout`
    save · list · open · duplicate · rename · delete      saved_analyses, per owner, names unique (casefolded)
          each change with its audit entry (scope "analyses", key "(save)", "(rename)" …) in its transaction
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from robustapp.cache import cache_data
from robustapp.domain.analysis import (
    AnalysisSpec,
    SavedAnalysis,
    check_name,
    copy_name,
    output_columns,
    problems,
)
from robustapp.domain.audit import canonical_json
from robustapp.domain.datasets import Column, DatasetInfo
from robustapp.errors import AnalysisInvalid, AnalysisNameTaken, AnalysisNotFound
from robustapp.logs import new_trace_id
from robustapp.services import datasets
from robustapp.services.browse import check_filter
from robustapp.services.state import Actor
from robustapp.storage import analysis as sql
from robustapp.storage import audit_log
from robustapp.storage.database import Database

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

RUN_TIMEOUT = 30.0  # seconds an analysis may run
AUDIT_SCOPE = "analyses"


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
    db: Database, actor: Actor, name: str, spec: AnalysisSpec, *, replace: bool = False, now: datetime | None = None,
    trace_id: str | None = None,
) -> SavedAnalysis:
    """Keep `spec` under `name`; one of that name already: AnalysisNameTaken, or overwritten when `replace`."""
    name, at = check_name(name), now or datetime.now(UTC)

    def save(cursor: duckdb.DuckDBPyConnection) -> SavedAnalysis:
        existing = sql.find(cursor, actor.owner, name)
        if existing is not None and not replace:
            _refuse_taken(existing.name)
        if existing is not None:
            sql.update_spec(cursor, existing.id, spec, at)
        else:
            sql.insert(cursor, actor.owner, name, spec, at)
        saved = _found(cursor, actor.owner, name)
        before = None if existing is None else _described(existing)
        _audit(cursor, actor, "(save)", before, _described(saved), at, trace_id)
        return saved

    return db.write(save)


def duplicate_analysis(
    db: Database, actor: Actor, name: str, new_name: str | None = None, *, trace_id: str | None = None
) -> SavedAnalysis:
    """A copy of the analysis `name`, called `new_name` (else "<name> (copy)", "<name> (copy 2)" …)."""
    at = datetime.now(UTC)

    def duplicate(cursor: duckdb.DuckDBPyConnection) -> SavedAnalysis:
        original = _found(cursor, actor.owner, name)
        taken = {saved.name.casefold() for saved in sql.list_saved(cursor, actor.owner)}
        target = check_name(new_name) if new_name is not None else copy_name(original.name, taken)
        if target.casefold() in taken:
            _refuse_taken(target)
        sql.insert(cursor, actor.owner, target, original.spec, at)
        copy = _found(cursor, actor.owner, target)
        _audit(cursor, actor, "(duplicate)", {"name": original.name}, _described(copy), at, trace_id)
        return copy

    return db.write(duplicate)


def rename_analysis(db: Database, actor: Actor, old: str, new: str, *, trace_id: str | None = None) -> SavedAnalysis:
    """Give the analysis `old` the name `new` (a change of case only is allowed); AnalysisNameInvalid for an
    empty name, AnalysisNameTaken for the name of another one."""
    new, at = check_name(new), datetime.now(UTC)

    def rename(cursor: duckdb.DuckDBPyConnection) -> SavedAnalysis:
        current = _found(cursor, actor.owner, old)
        other = sql.find(cursor, actor.owner, new)
        if other is not None and other.id != current.id:
            _refuse_taken(other.name)
        if new == current.name:
            return current  # nothing changes: nothing to record
        sql.rename(cursor, current.id, new, at)
        _audit(cursor, actor, "(rename)", {"name": current.name}, {"name": new}, at, trace_id)
        return _found(cursor, actor.owner, new)

    return db.write(rename)


def delete_analysis(db: Database, actor: Actor, name: str, *, trace_id: str | None = None) -> SavedAnalysis:
    """Remove the analysis `name` for good; the one removed."""
    at = datetime.now(UTC)

    def delete(cursor: duckdb.DuckDBPyConnection) -> SavedAnalysis:
        current = _found(cursor, actor.owner, name)
        sql.delete(cursor, current.id)
        _audit(cursor, actor, "(delete)", _described(current), None, at, trace_id)
        return current

    return db.write(delete)


def _found(cursor: duckdb.DuckDBPyConnection, owner: str, name: str) -> SavedAnalysis:
    found = sql.find(cursor, owner, name)
    if found is None:
        raise AnalysisNotFound(f"there is no saved analysis named {name!r}")
    return found


def _refuse_taken(name: str) -> None:
    raise AnalysisNameTaken(f"an analysis named {name!r} exists already; choose another name")


def _described(saved: SavedAnalysis) -> dict[str, Any]:
    """What the audit trail keeps of a saved analysis."""
    return {"name": saved.name, "spec": saved.spec.model_dump(mode="json", exclude_defaults=True)}


def _audit(
    cursor: duckdb.DuckDBPyConnection, actor: Actor, key: str, old: Any, new: Any, at: datetime, trace_id: str | None
) -> None:
    """One audit entry for a change to the saved analyses, in the change's own transaction."""
    audit_log.append(
        cursor, changed_at=at.astimezone(UTC).replace(tzinfo=None), actor=actor.name, session_id=actor.session_id,
        scope=AUDIT_SCOPE, key=key, old_value=None if old is None else canonical_json(old),
        new_value=None if new is None else canonical_json(new), trace_id=trace_id or new_trace_id(),
    )  # fmt: skip
