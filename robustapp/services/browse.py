"""The table view over a dataset: one page of rows, the number of rows that match, in DuckDB.

    browse(db, "sales", BrowseQuery(filters=[price ≥ 10], sort=price desc, page=3))
      ├─ the dataset's columns now ──▶ filters/sort on columns it no longer has: left out, with a notice
      ├─ each typed-in value cast to its column's type ──▶ one that does not read as it: left out, notice
      ├─ count of matching rows   (cached, tagged dataset:<name> and table:<table>: a write drops it)
      └─ the page's rows only     (LIMIT/OFFSET; the page is clamped to the last one)

Nothing here loads more than one page: fast on ten million rows (bench/browse.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from robustapp.cache import cache_data
from robustapp.domain.browse import (
    COMPARISONS,
    BrowseQuery,
    Filter,
    applicable,
    filter_problem,
    page_count,
)
from robustapp.domain.datasets import DatasetInfo
from robustapp.services import datasets
from robustapp.storage import browse as sql
from robustapp.storage.database import Database

if TYPE_CHECKING:
    import pyarrow as pa

COUNT_TTL = 24 * 3600  # seconds; exactness comes from the tags, the TTL only bounds the disk


@dataclass(frozen=True)
class BrowsePage:
    """One page of a dataset as the view shows it, and the query as it was run."""

    dataset: DatasetInfo
    query: BrowseQuery  # without what no longer applies; the page clamped to the last one
    rows: pa.Table
    total: int  # rows that match the filters
    notices: list[str] = field(default_factory=list)  # what was left out of the query, and why

    @property
    def pages(self) -> int:
        return page_count(self.total, self.query.page_size)

    @property
    def first_row(self) -> int:
        """1-based number of the page's first row (0 when the page is empty)."""
        return self.query.offset + 1 if self.rows.num_rows else 0

    @property
    def last_row(self) -> int:
        return self.query.offset + self.rows.num_rows


def browse(db: Database, name: str, query: BrowseQuery) -> BrowsePage:
    """A page of the dataset called `name`; DatasetNotFound if there is none."""
    info = datasets.get_dataset(db, name)
    filters, notices = usable_filters(db, info, query.filters)
    query, more = applicable(query.model_copy(update={"filters": filters}), info.columns)
    types = {column.name: column.type for column in info.columns}
    total = count_matching(info.name, info.table_name, tuple(filters), _db=db, _types=types)
    query = query.model_copy(update={"page": min(query.page, page_count(total, query.page_size))})
    by_name = {column.name: column for column in info.columns}
    shown = [by_name[name] for name in query.columns] or list(info.columns)
    rows = sql.fetch_page(
        db.cursor(), info.table_name, shown, filters, query.sort,
        types=types, limit=query.page_size, offset=query.offset,
    )  # fmt: skip
    return BrowsePage(info, query, rows, total, [*notices, *more])


def usable_filters(db: Database, info: DatasetInfo, filters: list[Filter]) -> tuple[list[Filter], list[str]]:
    """The filters that can apply to the dataset as it is now, and a notice for each one that cannot
    (its column is gone, or its value no longer reads as the column's type, e.g. after a replace)."""
    types = {column.name: column.type for column in info.columns}
    usable: list[Filter] = []
    notices: list[str] = []
    for flt in filters:
        problem = filter_problem(flt, info.columns)
        value_problem = None if problem else _value_problem(db, flt, types)
        if problem:
            notices.append(problem)
        elif value_problem:
            notices.append(f"the filter {flt.describe()} was removed: {value_problem}")
        else:
            usable.append(flt)
    return usable, notices


def check_filter(db: Database, name: str, flt: Filter) -> str | None:
    """Why `flt` cannot filter the dataset `name` (a missing column, a value of the wrong kind), or None."""
    info = datasets.get_dataset(db, name)
    problem = filter_problem(flt, info.columns)
    if problem:
        return problem
    return _value_problem(db, flt, {column.name: column.type for column in info.columns})


@cache_data(ttl=COUNT_TTL, tags={"dataset:{name}", "table:{table}"})
def count_matching(name: str, table: str, filters: tuple[Filter, ...], _db: Database, _types: dict[str, str]) -> int:
    """How many rows of the dataset's table pass every filter (cached until the dataset changes).

    `_types` (each column's type) is not part of the key: the table, named by a fresh name on every
    import, decides them."""
    return sql.count_rows(_db.cursor(), table, filters, types=_types)


def _value_problem(db: Database, flt: Filter, types: dict[str, str]) -> str | None:
    if flt.op not in COMPARISONS:
        return None
    column_type = types[flt.column]
    if sql.value_fits(db.cursor(), flt.value, column_type):
        return None
    return f"{flt.value!r} does not read as a {column_type} value, and {flt.column!r} holds {column_type} values"
