"""The SQL page in the real browser: type a query, run it, see its rows, export them and download the CSV.

A server of its own: its dataset, history and exports stay out of the shared server's pages.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.harness import AppProcess, download, key, own_app_with_dataset, wait_for_app

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sql_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppProcess]:
    people = "id,name,team\n1,Ada,core\n2,Grace,core\n3,Linus,kernel\n"
    with own_app_with_dataset(tmp_path_factory.mktemp("sql-app"), "team members", people) as app:
        yield app


def test_a_typed_query_runs_shows_its_rows_and_downloads_as_csv(page: Page, sql_app: AppProcess) -> None:
    page.goto(sql_app.server.printed_url("page=sql"))
    wait_for_app(page)

    editor = page.locator(key("sql_draft")).get_by_role("textbox")
    editor.fill("SELECT name, team FROM \"team members\"\nWHERE team = 'core'\nORDER BY id")
    page.locator(key("sql_run")).get_by_role("button").click()

    result = page.locator(key("sql_result"))
    expect(result).to_contain_text("2 rows · 2 columns")
    table = result.get_by_test_id("stDataFrame")
    expect(table.locator("[data-testid^='glide-cell-']")).to_have_text(["Ada", "core", "Grace", "core"])
    expect(page.locator(key("sql_history"))).to_contain_text("WHERE team = 'core'")

    page.locator(key("sql_export_start")).get_by_role("button").click()
    downloaded = download(page, "sql_export", "query result.csv")

    assert downloaded.read_text(encoding="utf-8").splitlines() == ["name,team", "Ada,core", "Grace,core"]
