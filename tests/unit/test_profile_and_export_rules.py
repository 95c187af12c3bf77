"""The pure rules behind profiles and exports: column kinds, histogram bins, Excel's limit, file names."""

from __future__ import annotations

from pathlib import PurePath

import pytest

from robustapp.domain.export import EXCEL_MAX_ROWS, ExportSource, download_name, excel_refusal, format_of
from robustapp.domain.profile import column_kind, histogram_plan, wants_top_values
from robustapp.storage.exports import sheet_name


@pytest.mark.parametrize(
    ("duckdb_type", "kind"),
    [("BIGINT", "number"), ("DECIMAL(10,2)", "number"), ("DOUBLE", "number"), ("UHUGEINT", "number"),
     ("DATE", "temporal"), ("TIMESTAMP WITH TIME ZONE", "temporal"), ("TIMESTAMP_NS", "temporal"),
     ("VARCHAR", "text"), ("BOOLEAN", "boolean"), ("INTEGER[]", "other"), ("STRUCT(a INTEGER)", "other"),
     ("TIME", "other"), ("BLOB", "other"), ("INTERVAL", "other")],
)  # fmt: skip
def test_each_type_is_summarised_as_what_it_can_be(duckdb_type: str, kind: str) -> None:
    assert column_kind(duckdb_type) == kind


def test_a_few_integers_get_one_bin_each() -> None:
    plan = histogram_plan(1, 7, integer=True)
    assert (plan.start, plan.width, plan.bins) == (1, 1, 7)


def test_a_wide_range_gets_about_twenty_bins_of_a_round_width_covering_it() -> None:
    plan = histogram_plan(3.2, 987.0)
    assert plan.width == 50
    assert plan.start <= 3.2 and plan.start + plan.bins * plan.width > 987.0
    assert plan.bins <= 21


def test_dates_are_binned_in_whole_days_and_a_single_value_in_one_bin() -> None:
    day = 86_400.0
    assert histogram_plan(0, 30 * day, day_seconds=True).width % day == 0
    assert histogram_plan(5.0, 5.0).bins == 1


def test_top_values_are_listed_unless_nearly_every_value_is_distinct() -> None:
    assert wants_top_values("text", 3, 1000)
    assert wants_top_values("number", 5, 5)  # few values: listed even when all differ
    assert not wants_top_values("number", 990, 1000)
    assert not wants_top_values("other", 3, 1000)


def test_an_excel_sheet_takes_1048575_rows_below_its_header_and_not_one_more() -> None:
    assert excel_refusal(EXCEL_MAX_ROWS - 1, "Dataset 'big'") is None
    refusal = excel_refusal(EXCEL_MAX_ROWS, "Dataset 'big'")
    assert refusal is not None
    assert "Dataset 'big' has 1,048,576 rows" in refusal and "at most 1,048,576 rows" in refusal
    assert "CSV or Parquet" in refusal


def test_file_names_and_formats() -> None:
    assert download_name('sales: "Q1/Q2"', "csv") == "sales_ _Q1_Q2.csv"
    assert download_name("...", "xlsx") == "export.xlsx"
    assert format_of(PurePath("out.XLSX")) == "xlsx" and format_of(PurePath("out.txt")) is None
    assert sheet_name("[2024] sales: north/south, all regions") == "_2024_ sales_ north_south, all"
    assert ExportSource.dataset("sales").describe() == "dataset 'sales'"
