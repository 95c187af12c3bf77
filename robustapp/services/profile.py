"""Profile a dataset: per column type, nulls, distinct values, range, spread, common values, histogram.

    profile_dataset(cursor, name) ──▶ cache hit? ──▶ the Profile                 (instant)
                                  └─ miss ──▶ READ ONLY transaction on `cursor`:
                                        stats (one scan) ─▶ histograms (one scan) ─▶ top values
    cached_profile(name) ──▶ the Profile if one is cached, else None    (never computes: for the UI)

Cached under the tag "dataset:<name>": every import, re-import, rename or delete of the dataset
commits with that tag, so the next look computes afresh. The job `data.profile` runs the
computation on a DB task's cursor, so a cancel interrupts the scan in progress.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from robustapp.cache import cache_data
from robustapp.domain.profile import (
    EXACT_ROWS,
    QUANTILES,
    Bin,
    ColumnProfile,
    Profile,
    Scalar,
    TopValue,
    column_kind,
    histogram_plan,
    is_integer_type,
    quantile_label,
    top_values_note,
    wants_top_values,
)
from robustapp.errors import DatasetNotFound
from robustapp.storage import datasets as catalog
from robustapp.storage import profile as scans
from robustapp.storage.database import read_only
from robustapp.storage.query_progress import watching

if TYPE_CHECKING:
    import duckdb

Progress = Callable[[float, str], None]
TEXT_SHOWN = 200  # characters of a text min/max kept


class _NotCached(Exception):  # noqa: N818 - a signal, not an error
    """Raised instead of computing when only a cached profile is wanted (nothing is then stored)."""


@cache_data(ttl=timedelta(days=30), tags={"dataset:{name}"}, version="1")
def _profile(name: str, _cursor: duckdb.DuckDBPyConnection | None = None, _progress: Progress | None = None) -> Profile:
    # The tag, not the ttl, keeps this fresh: a change to the dataset invalidates it at once.
    if _cursor is None:
        raise _NotCached
    return _compute(_cursor, name, _progress or _silent)


def profile_dataset(cursor: duckdb.DuckDBPyConnection, name: str, *, progress: Progress | None = None) -> Profile:
    """The profile of the dataset called `name` (case-insensitively): cached, or computed on `cursor`."""
    info = catalog.find_live(cursor, name)
    if info is None:
        raise DatasetNotFound(f"there is no dataset named {name!r} to profile")
    return _profile(info.name, _cursor=cursor, _progress=progress)  # its own spelling: the one its tag uses


def cached_profile(name: str) -> Profile | None:
    """The cached profile of the dataset called `name` (exactly as the catalog spells it), or None; never computes."""
    try:
        return _profile(name)
    except _NotCached:
        return None


def _silent(fraction: float, message: str) -> None:
    """The progress callback when nobody listens."""


def _compute(cursor: duckdb.DuckDBPyConnection, name: str, report: Progress) -> Profile:
    started = time.perf_counter()
    with read_only(cursor):  # the catalog row and the three scans see one state of the data
        info = catalog.find_live(cursor, name)
        if info is None:  # deleted since
            raise DatasetNotFound(f"there is no dataset named {name!r} to profile")
        exact = info.row_count <= EXACT_ROWS
        columns = [scans.ColumnSpec(n, t, column_kind(t)) for n, t in scans.table_columns(cursor, info.table_name)]
        report(0.0, f"counting {info.row_count:,} rows of {len(columns)} columns")
        with _stage(cursor, report, 0.0, 0.6, "counting values"):
            rows, raw = scans.stats(cursor, info.table_name, columns, exact=exact)
        plans = [_bins(column, stats) for column, stats in zip(columns, raw, strict=True)]
        specs = [plan for plan in plans if plan is not None]
        with _stage(cursor, report, 0.6, 0.8, "drawing histograms"):
            counted = dict(zip([spec.column.name for spec in specs], scans.histograms(cursor, info.table_name, specs),
                               strict=True))  # fmt: skip
        listed = [c for c, s in zip(columns, raw, strict=True) if wants_top_values(c.kind, s.distinct, s.non_null)]
        with _stage(cursor, report, 0.8, 1.0, "finding the most common values"):
            tops = dict(zip([c.name for c in listed], scans.top_values(cursor, info.table_name, listed), strict=True))
    profiles = [
        _column(column, stats, rows, plan, counted.get(column.name), tops.get(column.name))
        for column, stats, plan in zip(columns, raw, plans, strict=True)
    ]
    report(1.0, f"profiled {len(columns)} columns")
    return Profile(
        dataset=info.name, table=info.table_name, rows=rows, columns=profiles, exact=exact,
        seconds=round(time.perf_counter() - started, 3), profiled_at=datetime.now(UTC),
    )  # fmt: skip


@contextmanager
def _stage(
    cursor: duckdb.DuckDBPyConnection, report: Progress, low: float, high: float, message: str
) -> Iterator[None]:
    """Report the scan inside as the part [low, high] of the whole; a cancel seen meanwhile is raised here."""
    report(low, message)
    with watching(cursor, lambda fraction: report(low + (high - low) * fraction, message)) as watcher:
        try:
            yield
        except Exception:
            watcher.raise_request()  # the statement was interrupted because the job was cancelled: say that
            raise
    watcher.raise_request()


def _bins(column: scans.ColumnSpec, stats: scans.RawStats) -> scans.BinSpec | None:
    if column.kind not in ("number", "temporal") or stats.min is None or stats.max is None:
        return None
    low, high = _as_number(stats.min), _as_number(stats.max)
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return None
    plan = histogram_plan(
        low, high, integer=is_integer_type(column.type), day_seconds=column.type.upper() == "DATE"
    )
    return scans.BinSpec(column, plan.start, plan.width, plan.bins)


def _column(
    column: scans.ColumnSpec,
    stats: scans.RawStats,
    rows: int,
    plan: scans.BinSpec | None,
    counts: dict[int, int] | None,
    tops: list[tuple[str, int]] | None,
) -> ColumnProfile:
    temporal = column.kind == "temporal"
    mean = _epoch_text(stats.mean, column.type) if temporal and stats.mean is not None else _scalar(stats.mean)
    quantiles = {quantile_label(q): _scalar(v) for q, v in zip(QUANTILES, stats.quantiles or [], strict=False)}
    return ColumnProfile(
        name=column.name, type=column.type, kind=column.kind, non_null=int(stats.non_null),
        nulls=rows - int(stats.non_null), distinct=None if stats.distinct is None else int(stats.distinct),
        min=_scalar(stats.min), max=_scalar(stats.max), mean=mean, std=_float_or_none(stats.std),
        quantiles=quantiles, histogram=_histogram(plan, counts or {}, column.type) if plan else [],
        top_values=[TopValue(value=_shorten(value), count=count) for value, count in tops or []],
        top_values_note="" if tops is not None else top_values_note(column.kind, stats.distinct, int(stats.non_null)),
    )  # fmt: skip


def _histogram(plan: scans.BinSpec, counts: dict[int, int], type_: str) -> list[Bin]:
    bins = []
    for index in range(plan.bins):
        start, end = plan.start + index * plan.width, plan.start + (index + 1) * plan.width
        if plan.column.kind == "temporal":
            bins.append(Bin(start=_epoch_text(start, type_), end=_epoch_text(end, type_), count=counts.get(index, 0)))
        else:
            bins.append(Bin(start=start, end=end, count=counts.get(index, 0)))
    return bins


def _as_number(value: Any) -> float | None:
    """A number, or a date/time as seconds since the epoch (naive times read as UTC, as DuckDB's epoch() does)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return float(value)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp()
    return None


def _epoch_text(seconds: float, type_: str) -> str:
    moment = datetime.fromtimestamp(seconds, UTC)
    if type_.upper() == "DATE":  # a mean of dates is shown as the day it falls on
        return moment.date().isoformat()
    text = moment.replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
    return f"{text}+00" if "TIME ZONE" in type_.upper() else text


def _scalar(value: Any) -> Scalar:
    """A figure as JSON can carry it: numbers stay numbers (NaN, ±inf as text), times become ISO text."""
    if value is None or isinstance(value, bool | int | str):
        return _shorten(value) if isinstance(value, str) else value
    if isinstance(value, float | Decimal):
        number = float(value)
        return number if math.isfinite(number) else str(number)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return _shorten(str(value))


def _float_or_none(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _shorten(text: str) -> str:
    return text if len(text) <= TEXT_SHOWN else text[: TEXT_SHOWN - 1] + "…"
