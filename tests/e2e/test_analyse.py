"""The Analyse page in the real browser: group and sum an imported CSV, see the table and the chart, save
the analysis, find it again after a reload, rename it, and download its result as CSV.

A server of its own: its dataset, analyses and exports stay out of the shared server's pages.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.harness import AppProcess, choose, download, key, own_app_with_dataset, wait_for_app

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def analyse_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppProcess]:
    sales = "city,units,price\nParis,3,1.5\nRome,4,2.0\nParis,5,3.0\nOslo,1,9.0\n"
    with own_app_with_dataset(tmp_path_factory.mktemp("analyse-app"), "sales", sales) as app:
        yield app


def _field(name: str) -> str:
    return f"form_analysis_{name}"


def _type(page: Page, name: str, text: str, commit: str = "Enter") -> None:
    """Type `text` into the text field with key `name` and commit it the way a user does."""
    page.locator(key(name)).get_by_role("textbox").fill(text)
    page.locator(key(name)).get_by_role("textbox").press(commit)
    wait_for_app(page)


def _click(page: Page, name: str) -> None:
    page.locator(key(name)).get_by_role("button").click()


def test_an_analysis_runs_into_a_table_and_a_chart_is_saved_renamed_and_downloaded(
    page: Page, analyse_app: AppProcess
) -> None:
    page.goto(analyse_app.server.printed_url("page=analyse"))
    wait_for_app(page)

    choose(page, _field("dataset"), "sales")
    choose(page, _field("group_by"), "city")
    _type(page, _field("aggregates"), "sum(units)", commit="Control+Enter")
    choose(page, _field("sort_by"), "sum(units)")
    page.locator(key(_field("descending"))).get_by_text("Descending").click()
    wait_for_app(page)
    choose(page, _field("chart"), "Bar")
    choose(page, _field("x"), "city")
    choose(page, _field("y"), "sum(units)")
    _click(page, "analyse_run")

    result = page.locator(key("analyse_result"))
    expect(result).to_contain_text("3 rows from sales")
    cells = result.get_by_test_id("stDataFrame").locator("[data-testid^='glide-cell-']")
    expect(cells).to_have_text(["Paris", "8", "Rome", "4", "Oslo", "1"])
    expect(result.get_by_test_id("stVegaLiteChart").locator("svg .mark-rect path")).to_have_count(3)  # a bar a city

    _type(page, "analyse_save_name", "By city")
    _click(page, "analyse_save")
    expect(result).to_contain_text("Saved the analysis 'By city'.")

    page.reload()  # a new session: the saved analysis is found in the store
    wait_for_app(page)
    expect(page.locator(key("analyse_choice")).get_by_role("combobox")).to_have_value("By city")
    _click(page, "analyse_open")
    expect(result).to_contain_text("Opened the analysis 'By city'.")
    expect(cells).to_have_text(["Paris", "8", "Rome", "4", "Oslo", "1"])

    _type(page, "analyse_rename_name", "Top cities")
    _click(page, "analyse_rename")
    expect(result).to_contain_text("Renamed 'By city' to 'Top cities'.")
    expect(page.locator(key("analyse_choice")).get_by_role("combobox")).to_have_value("Top cities")
    expect(page.locator(key("analyse_save_name")).get_by_role("textbox")).to_have_value("Top cities")  # saves it

    _click(page, "analyse_export_start")
    downloaded = download(page, "analyse_export", "sales analysis.csv")

    lines = downloaded.read_text(encoding="utf-8").splitlines()
    assert lines == ["city,sum(units)", "Paris,8.0", "Rome,4.0", "Oslo,1.0"]
