"""The table view's rules: what a filter needs, what survives a changed dataset, how pages count."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from robustapp.domain.browse import (
    BrowseQuery,
    Filter,
    Sort,
    applicable,
    filter_problem,
    is_comparable,
    page_count,
)
from robustapp.domain.datasets import Column

COLUMNS = [Column(name="id", type="BIGINT"), Column(name="city", type="VARCHAR"), Column(name="tags", type="VARCHAR[]")]


def test_a_filter_reads_as_a_person_would_say_it() -> None:
    assert Filter(column="price", op=">=", value="10").describe() == "price ≥ '10'"
    assert Filter(column="notes", op="is null").describe() == "notes is null"


def test_an_unknown_operator_is_not_a_filter() -> None:
    with pytest.raises(ValidationError):
        Filter(column="id", op="LIKE", value="%")


@pytest.mark.parametrize(
    ("flt", "problem"),
    [
        (Filter(column="gone", op="=", value="1"), "no column 'gone'"),
        (Filter(column="tags", op="<", value="a"), "can only be filtered with contains"),
        (Filter(column="id", op="=", value=""), "needs a value"),
        (Filter(column="city", op="contains", value=""), "needs a value"),
    ],
)
def test_a_filter_that_cannot_apply_says_why(flt: Filter, problem: str) -> None:
    assert problem in (filter_problem(flt, COLUMNS) or "")


@pytest.mark.parametrize(
    "flt",
    [
        Filter(column="city", op="=", value=""),  # an empty text is a value to compare with
        Filter(column="tags", op="contains", value="a"),
        Filter(column="tags", op="is not null"),
        Filter(column="id", op="!=", value="3"),
    ],
)
def test_a_filter_that_fits_has_no_problem(flt: Filter) -> None:
    assert filter_problem(flt, COLUMNS) is None


def test_what_the_dataset_no_longer_has_is_left_out_and_named() -> None:
    query = BrowseQuery(
        columns=["gone", "city"],
        filters=[Filter(column="gone", op="=", value="1"), Filter(column="id", op=">", value="2")],
        sort=Sort(column="gone", descending=True),
    )
    kept, notices = applicable(query, COLUMNS)

    assert kept.columns == ["city"]
    assert kept.filters == [Filter(column="id", op=">", value="2")]
    assert kept.sort is None
    assert len(notices) == 2 and all("'gone'" in notice for notice in notices)


@pytest.mark.parametrize(
    ("type_", "comparable"),
    [("BIGINT", True), ("decimal(10,2)", True), ("TIMESTAMP WITH TIME ZONE", True), ("VARCHAR[]", False),
     ("STRUCT(a INTEGER)", False), ("DOUBLE); DROP TABLE x; --", False)],
)  # fmt: skip
def test_only_plain_type_names_are_comparable(type_: str, comparable: bool) -> None:
    assert is_comparable(type_) is comparable


@pytest.mark.parametrize(("total", "size", "pages"), [(0, 50, 1), (1, 50, 1), (50, 50, 1), (51, 50, 2), (10**7, 100, 10**5)])
def test_pages_cover_every_row_and_there_is_always_one(total: int, size: int, pages: int) -> None:
    assert page_count(total, size) == pages


def test_the_offset_follows_the_page_and_its_size() -> None:
    assert BrowseQuery(page=3, page_size=25).offset == 50
    with pytest.raises(ValidationError):
        BrowseQuery(page_size=5000)
