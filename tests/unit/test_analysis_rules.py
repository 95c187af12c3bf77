"""The rules of an analysis: what a spec may say, what fits a dataset, the result's columns, and the SQL built
for it (identifiers quoted, values bound)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from robustapp.domain.analysis import (
    Aggregate,
    AnalysisForm,
    AnalysisSort,
    AnalysisSpec,
    copy_name,
    form_values,
    output_columns,
    problems,
)
from robustapp.domain.browse import Filter
from robustapp.domain.datasets import Column
from robustapp.storage.analysis import build_query

COLUMNS = [Column(name="city", type="VARCHAR"), Column(name="units", type="BIGINT"),
           Column(name="price", type="DOUBLE"), Column(name="day", type="DATE")]  # fmt: skip


def _spec(**changes) -> AnalysisSpec:
    values = {"dataset": "sales", "group_by": ["city"], "aggregates": [Aggregate(func="sum", column="units")]}
    return AnalysisSpec(**{**values, **changes})


def test_an_aggregate_reads_from_text_even_with_parentheses_in_the_column_name() -> None:
    assert Aggregate.parse(" SUM(units) ") == Aggregate(func="sum", column="units")
    assert Aggregate.parse("count(*)") == Aggregate(func="count", column=None)
    assert Aggregate.parse("max(size (cm))") == Aggregate(func="max", column="size (cm)")
    assert Aggregate.parse("count_distinct(city)").output_name == "count_distinct(city)"


@pytest.mark.parametrize("text", ["median(units)", "sum units", "sum(units", "(units)"])
def test_text_that_is_no_aggregate_is_refused_with_the_functions_it_could_be(text: str) -> None:
    with pytest.raises(ValueError, match="count_distinct"):
        Aggregate.parse(text)


def test_only_count_may_go_without_a_column() -> None:
    with pytest.raises(ValidationError, match=r"sum\(\*\) is not an aggregate"):
        Aggregate.parse("sum(*)")


@pytest.mark.parametrize(("limit", "ok"), [(0, False), (1, True), (100_000, True), (100_001, False)])
def test_the_limit_runs_from_one_to_a_hundred_thousand(limit: int, ok: bool) -> None:
    if ok:
        assert _spec(limit=limit).limit == limit
    else:
        with pytest.raises(ValidationError, match="limit"):
            _spec(limit=limit)


def test_a_chart_needs_both_x_and_y() -> None:
    with pytest.raises(ValidationError, match="chart: a bar chart needs x and y"):
        _spec(chart="bar", x="city")


def test_the_result_columns_are_the_groups_then_the_aggregates_or_every_column() -> None:
    spec = _spec(aggregates=[Aggregate(func="count"), Aggregate(func="avg", column="price")])
    assert [(c.name, c.type) for c in output_columns(spec, COLUMNS)] == [
        ("city", "VARCHAR"), ("count(*)", "BIGINT"), ("avg(price)", "DOUBLE"),
    ]  # fmt: skip
    assert output_columns(_spec(group_by=[], aggregates=[]), COLUMNS) == COLUMNS


def test_a_spec_that_fits_its_dataset_has_no_problems() -> None:
    spec = _spec(filters=[Filter(column="price", op=">=", value="2")], sort=AnalysisSort(column="sum(units)"),
                 chart="bar", x="city", y="sum(units)", color="city")  # fmt: skip
    assert problems(spec, COLUMNS) == []


def test_each_problem_names_its_field() -> None:
    spec = _spec(
        filters=[Filter(column="region", op="=", value="north")],
        group_by=["city", "shop"],
        aggregates=[Aggregate(func="sum", column="city"), Aggregate(func="max", column="weight")],
        sort=AnalysisSort(column="units"),
        chart="line", x="city", y="city",
    )
    found = problems(spec, COLUMNS)
    assert found[0] == "filter 1: the dataset has no column 'region' any more"
    assert "group_by: the dataset has no column 'shop'" in found
    assert any(p.startswith("aggregates: sum(city) needs a numeric column") for p in found)
    assert any(p.startswith("aggregates: max(weight) names no column") for p in found)
    assert any(p.startswith("sort: 'units' is not a column of the result") for p in found)
    assert "y: a line chart needs a numeric y; 'city' holds VARCHAR values" in found


def test_the_form_and_the_spec_turn_into_each_other() -> None:
    spec = _spec(filters=[Filter(column="city", op="contains", value="ar")], sort=AnalysisSort(column="city",
                 descending=True), limit=50, chart="scatter", x="city", y="sum(units)")  # fmt: skip
    assert AnalysisForm(**form_values(spec)).to_spec() == spec


def test_the_form_says_which_field_is_wrong() -> None:
    with pytest.raises(ValidationError, match="dataset: choose a dataset"):
        AnalysisForm()
    with pytest.raises(ValidationError, match="aggregates: 'total' is not an aggregate"):
        AnalysisForm(dataset="sales", aggregates="count(*)\ntotal")


def test_a_copy_gets_the_first_free_copy_name() -> None:
    assert copy_name("Sales", set()) == "Sales (copy)"
    assert copy_name("Sales", {"sales (copy)", "sales (copy 2)"}) == "Sales (copy 3)"


def test_the_sql_quotes_every_identifier_and_binds_every_value() -> None:
    hostile = 'a"; DROP TABLE datasets; --'
    columns = [*COLUMNS, Column(name=hostile, type="VARCHAR")]
    spec = _spec(filters=[Filter(column=hostile, op="=", value="x'); DROP TABLE datasets; --")],
                 group_by=[hostile], aggregates=[Aggregate(func="count_distinct", column="city")],
                 sort=AnalysisSort(column=hostile, descending=True), limit=7)  # fmt: skip

    sql, params = build_query('ds_"x', spec, columns)

    quoted = '"a""; DROP TABLE datasets; --"'
    assert sql == (
        f'SELECT {quoted}, count(DISTINCT "city") AS "count_distinct(city)" FROM main."ds_""x" '
        f"WHERE {quoted} = CAST(? AS VARCHAR) GROUP BY {quoted} ORDER BY {quoted} DESC NULLS LAST LIMIT ?"
    )
    assert params == ["x'); DROP TABLE datasets; --", 7]
