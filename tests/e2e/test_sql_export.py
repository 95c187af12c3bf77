"""The SQL page in the real browser: type a query, run it, see its rows, export them and download the CSV.

A server of its own: its dataset, history and exports stay out of the shared server's pages.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.harness import AppProcess, key, own_app, wait_for_app

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sql_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppProcess]:
    home = tmp_path_factory.mktemp("sql-app")
    people = home / "people.csv"
    people.write_text("id,name,team\n1,Ada,core\n2,Grace,core\n3,Linus,kernel\n", encoding="utf-8")
    with own_app(home) as app:
        query = urllib.parse.urlencode({"path": str(people), "name": "team members"})
        assert app.api("POST", f"/api/data/import?{query}").status_code == 200
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
    download_button = page.locator(key("sql_export_download")).get_by_role("button")
    expect(download_button).to_contain_text("Download query result.csv")
    with page.expect_download() as downloading:
        download_button.click()
    download = downloading.value

    assert download.suggested_filename == "query result.csv"
    assert Path(download.path()).read_text(encoding="utf-8").splitlines() == ["name,team", "Ada,core", "Grace,core"]
