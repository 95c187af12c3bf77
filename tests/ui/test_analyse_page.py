"""The Analyse page: a filled-in form runs into a table and a chart, every change can be undone, an analysis
that no longer fits says why, and analyses are saved, reopened in a new session, duplicated and deleted."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from robustapp import bootstrap
from robustapp.services import analysis, audit, datasets
from robustapp.storage.audit_log import AuditFilter
from tests.integration.import_files import write
from tests.ui.helpers import block, export_status, open_app, screen_text, title


def _field(name: str) -> str:
    return f"form_analysis_{name}"


@pytest.fixture
def sales(tmp_path: Path) -> Path:
    path = write(tmp_path / "sales.csv", "city,units,price\nParis,3,1.5\nRome,4,2.0\nParis,5,3.0\nOslo,1,9.0\n")
    datasets.import_file(bootstrap.services().db, path, name="sales")
    return path


def _fill(at: AppTest) -> AppTest:
    at.selectbox(key=_field("dataset")).select("sales").run()
    at.multiselect(key=_field("group_by")).select("city").run()
    at.text_area(key=_field("aggregates")).input("sum(units)\ncount(*)").run()
    at.selectbox(key=_field("sort_by")).select("sum(units)").run()
    at.toggle(key=_field("descending")).set_value(True).run()
    at.selectbox(key=_field("chart")).select("bar").run()
    at.selectbox(key=_field("x")).select("city").run()
    return at.selectbox(key=_field("y")).select("sum(units)").run()


def _rows(at: AppTest) -> list[dict]:
    return block(at, "analyse_result").dataframe[0].value.to_dict("records")


def test_a_filled_in_form_runs_into_a_table_and_a_chart(sales: Path) -> None:
    at = _fill(open_app("analyse"))
    at.button(key="analyse_run").click().run()

    assert not at.exception and title(at) == "Analyse"
    assert _rows(at) == [
        {"city": "Paris", "sum(units)": 8.0, "count(*)": 2},
        {"city": "Rome", "sum(units)": 4.0, "count(*)": 1},
        {"city": "Oslo", "sum(units)": 1.0, "count(*)": 1},
    ]
    assert len(block(at, "analyse_result").get("vega_lite_chart")) == 1


def test_a_filter_and_undo_change_what_runs(sales: Path) -> None:
    at = _fill(open_app("analyse"))
    at.selectbox(key=_field("f1_column")).select("price").run()
    at.selectbox(key=_field("f1_op")).select(">=").run()
    at.text_input(key=_field("f1_value")).input("2").run()
    at.button(key="analyse_run").click().run()
    assert [(row["city"], row["sum(units)"]) for row in _rows(at)] == [("Paris", 5.0), ("Rome", 4.0), ("Oslo", 1.0)]

    at.button(key="form_analysis_undo").click().run()  # the value "2" is taken back
    assert at.text_input(key=_field("f1_value")).value == ""
    at.button(key="analyse_run").click().run()
    assert "needs a value" in screen_text(at)


def test_an_analysis_that_does_not_fit_says_which_field_is_wrong(sales: Path) -> None:
    at = _fill(open_app("analyse"))
    at.selectbox(key=_field("y")).select("city").run()
    at.button(key="analyse_run").click().run()

    assert not at.exception
    errors = [element.value.replace("\\", "") for element in block(at, "analyse_result").error]  # Markdown escapes
    assert any("y: a bar chart needs a numeric y" in text for text in errors)
    assert not block(at, "analyse_result").get("vega_lite_chart")


def test_a_filter_on_a_column_the_dataset_no_longer_has_is_named_and_kept_visible(sales: Path) -> None:
    at = _fill(open_app("analyse"))
    at.selectbox(key=_field("f1_column")).select("price").run()
    at.text_input(key=_field("f1_value")).input("2").run()
    write(sales, "city,units\nParis,3\n")  # imported again without the column "price"
    datasets.reimport_dataset(bootstrap.services().db, "sales")

    at.button(key="analyse_run").click().run()

    assert not at.exception
    errors = [element.value.replace("\\", "") for element in block(at, "analyse_result").error]
    assert any("filter 1: the dataset has no column 'price' any more" in text for text in errors)
    assert at.selectbox(key=_field("f1_column")).value == "price"  # shown, so it can be changed


def test_a_saved_analysis_reopens_in_a_new_session(sales: Path) -> None:
    at = _fill(open_app("analyse"))
    at.text_input(key="analyse_save_name").input("By city").run()
    at.button(key="analyse_save").click().run()
    assert "Saved the analysis" in screen_text(at)
    at.button(key="form_analysis_discard").click().run()  # the draft goes back to its defaults
    assert at.selectbox(key=_field("dataset")).value == ""

    again = open_app("analyse", analysis="by city")  # a new session, a link to it

    assert not again.exception
    assert again.selectbox(key=_field("dataset")).value == "sales"
    assert again.text_area(key=_field("aggregates")).value == "sum(units)\ncount(*)"
    assert _rows(again)[0] == {"city": "Paris", "sum(units)": 8.0, "count(*)": 2}
    assert "analysis" not in again.query_params  # followed once: a reload keeps the edits made since


def test_saved_analyses_are_duplicated_and_deleted_after_a_confirmation(sales: Path) -> None:
    at = _fill(open_app("analyse"))
    at.text_input(key="analyse_save_name").input("By city").run()
    at.button(key="analyse_save").click().run()
    owner = bootstrap.services().owner

    at.button(key="analyse_duplicate").click().run()
    assert [item.name for item in analysis.list_analyses(bootstrap.services().db, owner)] == [
        "By city", "By city (copy)",
    ]  # fmt: skip
    assert at.selectbox(key="analyse_choice").value == "By city (copy)"

    at.button(key="analyse_delete").click().run()
    assert "for good?" in screen_text(at)
    at.button(key="analyse_delete_yes").click().run()

    assert not at.exception
    assert [item.name for item in analysis.list_analyses(bootstrap.services().db, owner)] == ["By city"]


def _feedback(at: AppTest) -> str:
    result = block(at, "analyse_result")
    return "\n".join(element.value.replace("\\", "") for element in [*result.error, *result.success])


def test_a_saved_analysis_is_renamed_and_an_empty_or_a_taken_name_is_refused(sales: Path) -> None:
    at = _fill(open_app("analyse"))
    at.text_input(key="analyse_save_name").input("By city").run()
    at.button(key="analyse_save").click().run()
    at.button(key="analyse_duplicate").click().run()  # "By city (copy)" is chosen
    owner = bootstrap.services().owner

    at.text_input(key="analyse_rename_name").input("BY CITY").run()
    at.button(key="analyse_rename").click().run()
    assert _feedback(at) == "Not renamed: an analysis named 'By city' exists already; choose another name"
    at.text_input(key="analyse_rename_name").input("   ").run()
    at.button(key="analyse_rename").click().run()
    assert _feedback(at) == "Not renamed: an analysis needs a name"
    assert [item.name for item in analysis.list_analyses(bootstrap.services().db, owner)] == [
        "By city", "By city (copy)",
    ]  # fmt: skip

    at.text_input(key="analyse_rename_name").input("Top cities").run()
    at.button(key="analyse_rename").click().run()

    assert not at.exception
    assert _feedback(at) == "Renamed 'By city (copy)' to 'Top cities'."
    assert at.selectbox(key="analyse_choice").value == "Top cities"
    assert at.selectbox(key="analyse_choice").options == ["By city", "Top cities"]
    assert at.text_input(key="analyse_rename_name").value == ""
    renamed = audit.read(bootstrap.services().db, AuditFilter(scope="analyses", key="(rename)"))
    assert [(entry.actor, entry.old_value, entry.new_value) for entry in renamed] == [
        (owner, '{"name":"By city (copy)"}', '{"name":"Top cities"}'),
    ]


def test_the_result_is_exported_as_it_is_shown(sales: Path) -> None:
    bootstrap.services().jobs.start()
    at = _fill(open_app("analyse"))
    at.selectbox(key=_field("f1_column")).select("price").run()
    at.selectbox(key=_field("f1_op")).select(">=").run()
    at.text_input(key=_field("f1_value")).input("2").run()
    at.button(key="analyse_run").click().run()

    status = export_status(at, "analyse_export")

    assert "3 rows" in status.caption[0].value
    assert "Download sales analysis.csv" in screen_text(status)
    (job,) = bootstrap.services().jobs.list_jobs(name="data.export")
    assert Path(job.result["path"]).read_text(encoding="utf-8").splitlines() == [
        "city,sum(units),count(*)", "Paris,5.0,1", "Rome,4.0,1", "Oslo,1.0,1",
    ]  # fmt: skip


def test_without_datasets_the_page_offers_an_import_and_a_link_to_no_analysis_says_so(tmp_path: Path) -> None:
    empty = open_app("analyse")
    assert not empty.exception and empty.button(key="analyse_import").label == "Import a file"

    datasets.import_file(bootstrap.services().db, write(tmp_path / "t.csv", "a\n1\n"), name="t")
    at = open_app("analyse", analysis="nothing like it")

    assert not at.exception
    assert "There is no saved analysis named 'nothing like it'" in block(at, "analyse_result").error[0].value
