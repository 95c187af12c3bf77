"""A dataset's profile: per column its type, how full it is, its range, its spread and its common values.

    column type ──column_kind()──▶ number · temporal · text · boolean · other   (what can be computed)
    min, max    ──histogram_plan()──▶ start, width, bins   (the bins the storage layer counts into)

Small tables get exact figures; above EXACT_ROWS rows distinct counts are HyperLogLog estimates
and quantiles t-digest estimates (DuckDB's approx_count_distinct / approx_quantile), and the
profile says so. Pure: no DuckDB here.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ColumnKind = Literal["number", "temporal", "text", "boolean", "other"]
Scalar = float | int | str | bool | None  # min, max, mean and quantiles: numbers as numbers, times as ISO text

EXACT_ROWS = 1_000_000  # up to this many rows, distinct counts and quantiles are exact
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
HISTOGRAM_BINS = 20
TOP_VALUES = 10
TOP_VALUES_MAX_DISTINCT = 1_000_000  # above this, counting every value costs too much for what it shows
NEARLY_UNIQUE = 0.95  # a column whose values are this distinct has no "top" values worth listing

_NUMBER = re.compile(
    r"^(U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|FLOAT|DOUBLE|REAL|DECIMAL(\(.*\))?|VARINT|BIGNUM)$"
)
_INTEGER = re.compile(r"^U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)$")
_TEMPORAL = re.compile(r"^(DATE|TIMESTAMP(_S|_MS|_NS)?|TIMESTAMP WITH TIME ZONE)$")


def column_kind(duckdb_type: str) -> ColumnKind:
    """What a column of this DuckDB type can be summarised as."""
    kind = duckdb_type.strip().upper()
    if _NUMBER.match(kind):
        return "number"
    if _TEMPORAL.match(kind):
        return "temporal"
    if kind == "VARCHAR":
        return "text"
    if kind == "BOOLEAN":
        return "boolean"
    return "other"  # lists, structs, maps, blobs, intervals, times: counts only


def is_integer_type(duckdb_type: str) -> bool:
    return bool(_INTEGER.match(duckdb_type.strip().upper()))


class HistogramPlan(BaseModel):
    """Equal-width bins: bin i holds values in [start + i·width, start + (i+1)·width); the last one holds max too."""

    model_config = ConfigDict(frozen=True)

    start: float
    width: float
    bins: int


def histogram_plan(low: float, high: float, *, integer: bool = False, day_seconds: bool = False,
                   max_bins: int = HISTOGRAM_BINS) -> HistogramPlan:
    """Bins over [low, high] with a round width: one per value for a few integers, whole days for dates."""
    if not (math.isfinite(low) and math.isfinite(high)) or high < low:
        raise ValueError(f"cannot plan a histogram from {low!r} to {high!r}")
    if high == low:
        return HistogramPlan(start=low, width=1.0, bins=1)
    if integer and high - low + 1 <= max_bins:
        return HistogramPlan(start=low, width=1.0, bins=int(high - low) + 1)
    width = _nice_width((high - low) / max_bins)
    if day_seconds:
        width = max(86_400.0, math.ceil(width / 86_400) * 86_400)
    elif integer:
        width = max(1.0, math.ceil(width))
    start = math.floor(low / width) * width
    bins = max(1, min(max_bins + 1, math.floor((high - start) / width) + 1))
    return HistogramPlan(start=start, width=width, bins=bins)


def _nice_width(raw: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k that is at least `raw`."""
    exponent = math.floor(math.log10(raw))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        width = step * 10**exponent
        if width >= raw * (1 - 1e-9):
            return width
    return 10.0 ** (exponent + 1)  # pragma: no cover - the loop always returns


def wants_top_values(kind: ColumnKind, distinct: int | None, non_null: int) -> bool:
    """Whether listing the most common values says something: not for (nearly) unique or very varied columns."""
    if kind == "other" or not non_null or distinct is None:
        return False
    if distinct <= TOP_VALUES:
        return True
    return distinct <= TOP_VALUES_MAX_DISTINCT and distinct < NEARLY_UNIQUE * non_null


class Bin(BaseModel):
    """One bar of a histogram: values from `start` (included) to `end`; ISO text for dates and times."""

    model_config = ConfigDict(frozen=True)

    start: float | str
    end: float | str
    count: int


class TopValue(BaseModel):
    model_config = ConfigDict(frozen=True)

    value: str
    count: int


class ColumnProfile(BaseModel):
    """What one column holds."""

    model_config = ConfigDict(frozen=True)

    name: str
    type: str
    kind: ColumnKind
    non_null: int
    nulls: int
    distinct: int | None = None  # None: not computed for this type
    min: Scalar = None
    max: Scalar = None
    mean: Scalar = None
    std: float | None = None
    quantiles: dict[str, Scalar] = Field(default_factory=dict)  # "5%" … "95%"
    histogram: list[Bin] = Field(default_factory=list)
    top_values: list[TopValue] = Field(default_factory=list)
    top_values_note: str = ""  # why there are none, when a user would expect some

    @property
    def null_share(self) -> float:
        total = self.non_null + self.nulls
        return self.nulls / total if total else 0.0


class Profile(BaseModel):
    """A dataset's profile, as computed at `profiled_at` from its table."""

    model_config = ConfigDict(frozen=True)

    dataset: str
    table: str
    rows: int
    columns: list[ColumnProfile]
    exact: bool  # False: distinct counts and quantiles are estimates
    seconds: float
    profiled_at: datetime

    def column(self, name: str) -> ColumnProfile:
        return next(column for column in self.columns if column.name == name)


def quantile_label(q: float) -> str:
    return f"{q * 100:g}%"


def top_values_note(kind: ColumnKind, distinct: int | None, non_null: int) -> str:
    """What the profile says instead of a list of top values."""
    if not non_null:
        return "every value is empty"
    if kind == "other":
        return "not counted for this type"
    if distinct is not None and distinct > TOP_VALUES_MAX_DISTINCT:
        return f"about {distinct:,} distinct values: too many to count each"
    return "nearly every value is distinct"
