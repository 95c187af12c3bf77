"""Datasets in the real browser: a typed path and an uploaded file are imported in the background with
progress, then browsed a page at a time.

A server of its own: the datasets imported here stay out of the shared server's pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.harness import AppProcess, key, opener, own_app, wait_for_app

pytestmark = pytest.mark.e2e

OpenApp = Callable[[str], Page]
ROWS = 1_000_000  # enough that the import is still running when the page shows the new job


@pytest.fixture(scope="module")
def data_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppProcess]:
    with own_app(tmp_path_factory.mktemp("data-app")) as app:
        yield app


@pytest.fixture
def open_app(page: Page, data_app: AppProcess) -> OpenApp:
    return opener(page, data_app.server)


@pytest.fixture(scope="module")
def orders_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("files") / "orders.csv"
    duckdb.execute(
        f"COPY (SELECT range + 1 AS id, 'city ' || (range % 97) AS city, range % 13 AS units, "
        f"DATE '2024-01-01' + (range % 365)::INTEGER AS day FROM range({ROWS})) TO '{path}' (FORMAT csv, HEADER)"
    )
    return path


def test_a_typed_path_is_imported_with_progress_then_browsed_a_page_at_a_time(
    open_app: OpenApp, orders_csv: Path
) -> None:
    page = open_app("page=datasets")
    path_box = page.locator(key("datasets_path")).get_by_role("textbox")
    path_box.fill(str(orders_csv))
    path_box.press("Enter")
    wait_for_app(page)

    page.locator(key("datasets_import_start")).get_by_role("button").click()
    status = page.locator(key("datasets_import_status"))
    expect(status.get_by_role("progressbar")).to_be_visible()
    expect(status).to_contain_text("Imported orders: 1,000,000 rows, 4 columns", timeout=60_000)
    expect(page.locator(key("datasets_list"))).to_contain_text("orders")  # the list is redrawn by itself

    status.get_by_role("button", name="Browse it").click()
    expect(page).to_have_url(re.compile(r"\?page=browse&dataset=orders$"))
    summary = page.locator(key("browse_summary"))
    expect(summary).to_contain_text("1,000,000 rows · rows 1–50 · page 1 of 20,000")

    page.locator(key("browse_next")).get_by_role("button").click()
    expect(summary).to_contain_text("rows 51–100 · page 2 of 20,000")
    expect(page.locator(key("browse_previous")).get_by_role("button")).to_be_enabled()


def test_an_uploaded_file_is_imported_and_listed(open_app: OpenApp, tmp_path: Path) -> None:
    small = tmp_path / "small.csv"
    small.write_text("id,name\n" + "".join(f"{i},name {i}\n" for i in range(1, 121)), encoding="utf-8")
    page = open_app("page=datasets")
    page.locator(key("datasets_source")).get_by_text("an uploaded file").click()
    uploader = page.locator("[class*='st-key-datasets_upload_']")
    expect(uploader).to_be_visible()

    uploader.locator("input[type=file]").set_input_files(str(small))
    expect(uploader).to_contain_text("small.csv")
    wait_for_app(page)
    page.locator(key("datasets_import_start")).get_by_role("button").click()

    expect(page.locator(key("datasets_import_status"))).to_contain_text("Imported small: 120 rows, 2 columns")
    expect(page.locator(key("datasets_list"))).to_contain_text("small")
    expect(uploader).not_to_contain_text("small.csv")  # the uploader is empty again, ready for the next file
