"""The Browse page: a dataset a page at a time, with columns, sort and filters that are kept per
dataset across sessions; deep links; a filter whose column has gone is dropped with a message."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from robustapp import bootstrap
from robustapp.services import datasets
from robustapp.ui.views.browse import view_key
from robustapp.ui.widgets import widget_key
from tests.integration.import_files import write
from tests.ui.helpers import block, export_status, open_app, screen_text, title


def _key(dataset: str, part: str) -> str:
    return widget_key("browse", view_key(dataset, part))


def _orders(folder: Path, rows: int = 120, *, name: str = "orders", with_city: bool = True) -> Path:
    header = "id,city,amount" if with_city else "id,amount"
    cities = ["Paris", "Rome", "Oslo"]
    lines = [f"{i},{cities[i % 3]},{i * 10 % 7}" if with_city else f"{i},{i * 10 % 7}" for i in range(1, rows + 1)]
    return write(folder / f"{name}.csv", "\n".join([header, *lines]) + "\n")


def _import(path: Path, name: str | None = None, *, replace: bool = False):
    return datasets.import_file(bootstrap.services().db, path, name=name, replace=replace)


def _ids(at: AppTest) -> list[int]:
    return at.dataframe[0].value["id"].tolist()


def _summary(at: AppTest) -> str:
    return block(at, "browse_summary").caption[0].value


def _active_filters(at: AppTest) -> list[str]:
    """The active filters as listed (their Markdown escapes undone)."""
    shown = [markdown.value.removeprefix(":material/filter_alt: ") for markdown in block(at, "browse_filters").markdown]
    return [re.sub(r"\\(.)", r"\1", text) for text in shown]


def _add_filter(at: AppTest, dataset: str, column: str, op: str, value: str = "") -> None:
    at.selectbox(key=_key(dataset, "new_column")).select(column)
    at.selectbox(key=_key(dataset, "new_op")).select(op)
    if value:
        at.text_input(key=_key(dataset, "new_value")).input(value)
    at.button(key="browse_add_filter").click().run()
    assert not at.exception


def test_without_datasets_the_page_offers_an_import() -> None:
    at = open_app("browse")
    assert title(at) == "Browse"
    at.button(key="browse_import").click().run()
    assert title(at) == "Datasets"


def test_pages_go_forward_and_back_and_only_one_page_is_shown(tmp_path: Path) -> None:
    _import(_orders(tmp_path))
    at = open_app("browse")

    assert _ids(at) == list(range(1, 51))
    assert _summary(at) == "**120** rows · rows 1–50 · page 1 of 3"
    assert at.button(key="browse_previous").disabled and at.button(key="browse_first").disabled

    at.button(key="browse_next").click().run()
    assert _ids(at) == list(range(51, 101))
    assert _summary(at) == "**120** rows · rows 51–100 · page 2 of 3"

    at.button(key="browse_last").click().run()
    assert _ids(at) == list(range(101, 121))
    assert at.button(key="browse_next").disabled

    at.button(key="browse_previous").click().run()
    assert _ids(at)[0] == 51
    at.selectbox(key=_key("orders", "page_size")).select(25).run()
    assert _summary(at) == "**120** rows · rows 1–25 · page 1 of 5"  # another page size: back to page 1


def test_sort_filters_and_columns_shape_the_table(tmp_path: Path) -> None:
    _import(_orders(tmp_path))
    at = open_app("browse")

    at.selectbox(key=_key("orders", "sort")).select("amount")
    at.selectbox(key=_key("orders", "descending")).select(True).run()
    table = at.dataframe[0].value
    assert table["amount"].tolist() == sorted(table["amount"].tolist(), reverse=True)

    _add_filter(at, "orders", "city", "=", "Rome")
    _add_filter(at, "orders", "id", "<=", "30")
    assert _summary(at).startswith("**10** of 120 rows match")
    assert set(at.dataframe[0].value["city"]) == {"Rome"}
    assert _active_filters(at) == ["city = 'Rome'", "id ≤ '30'"]

    at.multiselect(key=_key("orders", "columns")).select("amount").select("id").run()
    assert list(at.dataframe[0].value.columns) == ["amount", "id"]

    at.button(key="browse_remove_filter_0").click().run()
    assert _summary(at).startswith("**30** of 120 rows match")


def test_a_filter_value_that_does_not_fit_the_column_is_refused_with_a_message(tmp_path: Path) -> None:
    _import(_orders(tmp_path))
    at = open_app("browse")

    _add_filter(at, "orders", "amount", ">", "lots")

    (message,) = block(at, "browse_filters").caption
    assert "'lots' does not read as a BIGINT value" in re.sub(r"\\(.)", r"\1", message.value)
    assert _active_filters(at) == []
    assert _summary(at) == "**120** rows · rows 1–50 · page 1 of 3"


def test_the_view_is_kept_for_a_new_session(tmp_path: Path) -> None:
    _import(_orders(tmp_path))
    at = open_app("browse")
    at.selectbox(key=_key("orders", "sort")).select("amount").run()
    _add_filter(at, "orders", "city", "contains", "o")  # Rome, Oslo
    at.multiselect(key=_key("orders", "columns")).select("id").select("city").run()
    at.button(key="browse_next").click().run()
    before = (_ids(at), _summary(at))

    reloaded = open_app("browse")

    assert (_ids(reloaded), _summary(reloaded)) == before
    assert _summary(reloaded).endswith("page 2 of 2")
    assert reloaded.selectbox(key=_key("orders", "sort")).value == "amount"
    assert reloaded.multiselect(key=_key("orders", "columns")).value == ["id", "city"]
    assert _active_filters(reloaded) == ["city contains 'o'"]


def test_each_dataset_keeps_its_own_view(tmp_path: Path) -> None:
    _import(_orders(tmp_path))
    _import(_orders(tmp_path, 5, name="small"))
    at = open_app("browse", dataset="orders")
    _add_filter(at, "orders", "city", "=", "Oslo")

    at.selectbox(key="browse_dataset").select("small").run()
    assert _summary(at) == "**5** rows · rows 1–5 · page 1 of 1"
    assert at.query_params["dataset"] == "small"  # the URL follows the choice

    at.selectbox(key="browse_dataset").select("orders").run()
    assert _summary(at).startswith("**40** of 120 rows match")


def test_a_deep_link_opens_the_named_dataset_whatever_was_shown_before(tmp_path: Path) -> None:
    _import(_orders(tmp_path))
    _import(_orders(tmp_path, 5, name="Small Ones"))
    open_app("browse", dataset="orders")

    at = open_app("browse", dataset="small ones")  # names compare case-insensitively

    assert not at.exception
    assert at.selectbox(key="browse_dataset").value == "Small Ones"
    assert _ids(at) == [1, 2, 3, 4, 5]
    assert at.query_params == {"page": "browse", "dataset": "Small Ones"}
    assert open_app("browse").selectbox(key="browse_dataset").value == "Small Ones"  # and it is remembered


def test_a_deep_link_to_a_missing_dataset_says_so_and_shows_another(tmp_path: Path) -> None:
    _import(_orders(tmp_path))
    at = open_app("browse", dataset="nope")

    assert any("no dataset named 'nope'" in info.value for info in at.info)
    assert _ids(at)[:3] == [1, 2, 3]
    assert at.query_params["dataset"] == "orders"


def test_a_filter_on_a_column_the_replaced_dataset_no_longer_has_is_dropped_with_a_message(tmp_path: Path) -> None:
    _import(_orders(tmp_path))
    at = open_app("browse")
    _add_filter(at, "orders", "city", "=", "Paris")
    _add_filter(at, "orders", "amount", ">", "3")
    assert _summary(at).startswith("**17** of 120 rows match")

    (tmp_path / "v2").mkdir()
    _import(_orders(tmp_path / "v2", with_city=False), name="orders", replace=True)
    at.run()

    assert not at.exception
    (warning,) = block(at, "browse_notices").warning
    assert "city = 'Paris'" in warning.value and "no column 'city'" in warning.value
    assert _summary(at).startswith("**51** of 120 rows match")  # the other filter still applies
    assert _active_filters(at) == ["amount > '3'"]

    reloaded = open_app("browse")  # dropped for good
    assert _summary(reloaded).startswith("**51** of 120 rows match")
    assert not block(reloaded, "browse_notices").warning


def test_the_browsed_dataset_is_exported_whole_from_the_page(tmp_path: Path) -> None:
    _import(_orders(tmp_path, rows=120))
    bootstrap.services().jobs.start()
    at = open_app("browse", dataset="orders")

    status = export_status(at, "browse_export")

    assert "120 rows" in status.caption[0].value
    assert "Download orders.csv" in screen_text(status)
