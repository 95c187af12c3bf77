"""Browsing a dataset: which columns, which rows (filters), in which order, which page.

    BrowseQuery(columns, filters, sort, page_size, page) ──applicable(columns of the dataset)──▶
        the query with what no longer fits the dataset left out, and one notice per thing left out

Pure: the storage layer turns a query into SQL (quoted identifiers, bound values); this module
only knows the rules. A filter's value is text as the user typed it: whether it reads as the
column's type is for the database to say.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from robustapp.domain.datasets import Column

Operator = Literal["=", "!=", "<", "<=", ">", ">=", "contains", "is null", "is not null"]
OPERATORS: tuple[Operator, ...] = ("=", "!=", "<", "<=", ">", ">=", "contains", "is null", "is not null")
OPERATOR_LABELS: dict[Operator, str] = {
    "=": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥",
    "contains": "contains", "is null": "is null", "is not null": "is not null",
}  # fmt: skip
COMPARISONS: frozenset[Operator] = frozenset({"=", "!=", "<", "<=", ">", ">="})
WITHOUT_VALUE: frozenset[Operator] = frozenset({"is null", "is not null"})
PAGE_SIZES = (25, 50, 100, 250, 500)
MAX_PAGE_SIZE = 1000
VALUE_MAX = 1000  # characters of a filter value

# Types a typed-in value can be compared with (the value is cast to the column's type). The type's
# name goes into the SQL text, so only these plain spellings are allowed; nested types (LIST,
# STRUCT, MAP…) can still be filtered with "contains" and the null tests.
_COMPARABLE = re.compile(
    r"(BOOLEAN|TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|"
    r"FLOAT|DOUBLE|DECIMAL\(\d{1,2},\d{1,2}\)|VARCHAR|DATE|TIME|TIMESTAMP|TIMESTAMP_S|TIMESTAMP_MS|TIMESTAMP_NS|"
    r"TIMESTAMP WITH TIME ZONE|UUID|INTERVAL)"
)
# Types the table view shows as they are; others are shown as text.
_SHOWN_AS_IS = re.compile(
    r"(BOOLEAN|TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|"
    r"DECIMAL\(\d{1,2},\d{1,2}\)|VARCHAR|DATE|TIMESTAMP|TIMESTAMP_S|TIMESTAMP_MS|TIMESTAMP_NS|TIMESTAMP WITH TIME ZONE)"
)


class Filter(BaseModel):
    """One condition on a column: `price >= 10`, `city contains "zür"`, `notes is null`."""

    model_config = ConfigDict(frozen=True)

    column: str
    op: Operator
    value: Annotated[str, Field(max_length=VALUE_MAX)] = ""

    def describe(self) -> str:
        """The filter as a person reads it: `price ≥ '10'`."""
        label = OPERATOR_LABELS[self.op]
        return f"{self.column} {label}" if self.op in WITHOUT_VALUE else f"{self.column} {label} {self.value!r}"


class Sort(BaseModel):
    """The order of the rows: one column, ascending or descending (nulls last either way)."""

    model_config = ConfigDict(frozen=True)

    column: str
    descending: bool = False


class BrowseQuery(BaseModel):
    """What a table view asks for. No columns means every column; no sort means the file's order."""

    model_config = ConfigDict(frozen=True)

    columns: list[str] = Field(default_factory=list)
    filters: list[Filter] = Field(default_factory=list)
    sort: Sort | None = None
    page_size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = 50
    page: Annotated[int, Field(ge=1)] = 1

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


def is_comparable(column_type: str) -> bool:
    """Whether a typed-in value can be compared with a column of this type (=, <, …)."""
    return _COMPARABLE.fullmatch(column_type.strip().upper()) is not None


def is_shown_as_is(column_type: str) -> bool:
    """Whether the table view can show this type as it is (else it shows the value as text)."""
    return _SHOWN_AS_IS.fullmatch(column_type.strip().upper()) is not None


def filter_problem(flt: Filter, columns: list[Column]) -> str | None:
    """Why `flt` cannot apply to a dataset with these columns (None if it can), before any value is cast."""
    types = {column.name: column.type for column in columns}
    if flt.column not in types:
        return f"the filter {flt.describe()} was removed: the dataset has no column {flt.column!r} any more"
    if flt.op in COMPARISONS and not is_comparable(types[flt.column]):
        return (
            f"the filter {flt.describe()} cannot apply: {flt.column!r} holds {types[flt.column]} values, "
            "which can only be filtered with contains, is null or is not null"
        )
    if flt.value == "" and (flt.op == "contains" or (flt.op in COMPARISONS and types[flt.column] != "VARCHAR")):
        return f"the filter {flt.describe()} needs a value"
    return None


def applicable(query: BrowseQuery, columns: list[Column]) -> tuple[BrowseQuery, list[str]]:
    """`query` without the filters, sort and columns the dataset no longer has; a notice for each filter
    or sort left out (a column left out of the selection needs none: it is simply not shown)."""
    names = {column.name for column in columns}
    notices: list[str] = []
    filters = []
    for flt in query.filters:
        problem = filter_problem(flt, columns)
        if problem:
            notices.append(problem)
        else:
            filters.append(flt)
    sort = query.sort
    if sort is not None and sort.column not in names:
        notices.append(f"sorting by {sort.column!r} was dropped: the dataset has no such column any more")
        sort = None
    shown = [name for name in query.columns if name in names]
    changes = {"filters": filters, "sort": sort, "columns": shown}
    return query.model_copy(update=changes), notices


def page_count(total: int, page_size: int) -> int:
    """Pages needed for `total` rows (at least one: an empty result is one empty page)."""
    return max(1, -(-total // page_size))
