"""The Datasets page: import through the page as a background job, see it listed; a bad file explains
itself and leaves nothing; rename, notes, delete and undo, re-import; Browse opens the dataset.

AppTest runs no timers: each check reruns the app, as the page's own refresh would.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from robustapp import bootstrap
from robustapp.domain.jobs import JobState
from robustapp.services import datasets
from tests.integration.import_files import write
from tests.ui.helpers import block, has_block, open_app, screen_text, title

PEOPLE = "id,name,city\n1,Ann,Paris\n2,Bob,Rome\n3,Cy,Oslo\n"


@pytest.fixture
def started() -> None:
    """The job service runs, as the server's lifespan starts it."""
    bootstrap.services().jobs.start()


def _import_through_the_page(at: AppTest, path: Path, **fields: str) -> None:
    at.text_input(key="datasets_path").input(str(path))
    for key, value in fields.items():
        at.text_input(key=f"datasets_{key}").input(value)
    at.button(key="datasets_import_start").click().run()
    assert not at.exception
    job = bootstrap.services().jobs.list_jobs()[0]
    assert bootstrap.services().jobs.wait(job.id, timeout=30).is_finished
    at.run()


def _imported(path: Path, name: str | None = None):
    return datasets.import_file(bootstrap.services().db, path, name=name)


def test_a_file_typed_in_is_imported_in_the_background_and_listed(started, tmp_path: Path) -> None:
    at = open_app("datasets")
    assert title(at) == "Datasets"
    assert "No datasets yet" in screen_text(block(at, "datasets_list"))

    _import_through_the_page(at, write(tmp_path / "people.csv", PEOPLE))

    (done,) = block(at, "datasets_import_status").success
    assert done.value.startswith("Imported **people**: 3 rows, 3 columns")
    (info,) = datasets.list_datasets(bootstrap.services().db)
    row = screen_text(block(at, f"datasets_row_{info.id}"))
    assert "people" in row and "3 rows" in row and "3 columns" in row and str(tmp_path / "people.csv") in row
    assert at.text_input(key="datasets_path").value == str(tmp_path / "people.csv")  # the form keeps what was typed


def test_the_name_and_the_options_of_the_form_are_used(started, tmp_path: Path) -> None:
    at = open_app("datasets")
    at.selectbox(key="datasets_delimiter").select(";")
    at.selectbox(key="datasets_header").select("no")
    at.text_area(key="datasets_types").input("column1=VARCHAR")
    _import_through_the_page(at, write(tmp_path / "codes.txt", "7;1.5\n42;2.5\n"), name="Codes")

    (info,) = datasets.list_datasets(bootstrap.services().db)
    assert info.name == "Codes"
    assert [(column.name, column.type) for column in info.columns] == [("column0", "BIGINT"), ("column1", "VARCHAR")]


def test_a_file_with_malformed_rows_lists_them_and_nothing_is_imported(started, tmp_path: Path) -> None:
    at = open_app("datasets")
    bad = write(tmp_path / "ragged.csv", "id,name\n1,Ann\n2,Bob,extra\n3,Cy\n4,Di,more,cells\n")

    _import_through_the_page(at, bad)

    status = block(at, "datasets_import_status")
    (error,) = status.error
    assert "The import failed" in error.value and "2 malformed rows" in error.value
    assert "Nothing was imported" in error.value
    (listed,) = status.code
    assert [line.split(":")[0] for line in listed.value.splitlines()] == ["line 3", "line 5"]
    assert datasets.list_datasets(bootstrap.services().db) == []
    assert "No datasets yet" in screen_text(block(at, "datasets_list"))


def test_a_path_that_is_not_there_is_named_in_the_error(started, tmp_path: Path) -> None:
    at = open_app("datasets")
    _import_through_the_page(at, tmp_path / "nowhere.csv")

    (error,) = block(at, "datasets_import_status").error
    assert f"{tmp_path / 'nowhere.csv'} does not exist" in error.value
    assert datasets.list_datasets(bootstrap.services().db) == []


def test_a_bad_option_is_named_before_any_job_starts(started) -> None:
    at = open_app("datasets")
    at.text_input(key="datasets_path").input("/data/x.csv")
    at.text_area(key="datasets_types").input("zip")
    at.button(key="datasets_import_start").click().run()

    (error,) = block(at, "datasets_import_feedback").error
    assert "'zip'" in error.value and "column=TYPE" in error.value
    assert bootstrap.services().jobs.list_jobs() == []


def test_rename_gives_a_new_name_and_a_taken_name_is_refused(tmp_path: Path) -> None:
    people = _imported(write(tmp_path / "people.csv", PEOPLE))
    _imported(write(tmp_path / "other.csv", PEOPLE))
    at = open_app("datasets")

    at.text_input(key=f"datasets_new_name_{people.id}").input("Other")
    at.button(key=f"datasets_rename_{people.id}").click().run()
    (refused,) = block(at, "datasets_feedback").error
    assert "'Other'" in refused.value
    assert sorted(info.name for info in datasets.list_datasets(bootstrap.services().db)) == ["other", "people"]

    at.text_input(key=f"datasets_new_name_{people.id}").input("staff")
    at.button(key=f"datasets_rename_{people.id}").click().run()
    assert block(at, "datasets_feedback").success[0].value == "Renamed 'people' to 'staff'."
    assert "staff" in screen_text(block(at, f"datasets_row_{people.id}"))


def test_notes_are_saved_and_shown_with_the_dataset(tmp_path: Path) -> None:
    people = _imported(write(tmp_path / "people.csv", PEOPLE))
    at = open_app("datasets")

    at.text_area(key=f"datasets_notes_{people.id}").input("From the 2024 survey").run()
    assert "Not saved yet" in screen_text(block(at, f"datasets_row_{people.id}"))
    at.button(key=f"datasets_save_notes_{people.id}").click().run()

    assert datasets.get_dataset(bootstrap.services().db, "people").notes == "From the 2024 survey"
    shown = screen_text(block(open_app("datasets"), f"datasets_row_{people.id}"))
    assert "From the 2024 survey" in shown and "Not saved yet" not in shown


def test_delete_offers_an_undo_that_brings_the_dataset_back(tmp_path: Path) -> None:
    people = _imported(write(tmp_path / "people.csv", PEOPLE))
    at = open_app("datasets")

    at.button(key=f"datasets_delete_{people.id}").click().run()
    assert not has_block(at, f"datasets_row_{people.id}")
    assert "Deleted" in screen_text(block(at, f"datasets_deleted_{people.id}"))
    assert datasets.list_datasets(bootstrap.services().db) == []

    reloaded = open_app("datasets")  # the undo outlives the session
    reloaded.button(key=f"datasets_undo_{people.id}").click().run()
    assert block(reloaded, "datasets_feedback").success[0].value == "Restored 'people'."
    assert has_block(reloaded, f"datasets_row_{people.id}")
    assert not has_block(reloaded, f"datasets_deleted_{people.id}")


def test_re_import_reads_the_changed_source_again(started, tmp_path: Path) -> None:
    path = write(tmp_path / "people.csv", PEOPLE)
    people = _imported(path)
    write(path, PEOPLE + "4,Di,Bern\n")
    at = open_app("datasets")

    at.button(key=f"datasets_reimport_{people.id}").click().run()
    job = bootstrap.services().jobs.list_jobs()[0]
    assert (job.name, job.params) == ("data.reimport", {"name": "people"})
    assert bootstrap.services().jobs.wait(job.id, timeout=30).state is JobState.SUCCEEDED
    at.run()

    assert block(at, "datasets_import_status").success[0].value.startswith("Re-imported **people**: 4 rows")
    assert "4 rows" in screen_text(block(at, f"datasets_row_{people.id}"))


def test_browse_opens_the_dataset_on_the_browse_page(tmp_path: Path) -> None:
    people = _imported(write(tmp_path / "people.csv", PEOPLE))
    at = open_app("datasets")

    at.button(key=f"datasets_browse_{people.id}").click().run()

    assert title(at) == "Browse"
    assert at.query_params == {"page": "browse", "dataset": "people"}
    assert at.dataframe[0].value["name"].tolist() == ["Ann", "Bob", "Cy"]


def test_an_import_that_has_not_finished_shows_progress_and_cancel_stops_it(tmp_path: Path) -> None:
    at = open_app("datasets")  # the job service is not started: the import waits, queued
    at.text_input(key="datasets_path").input(str(write(tmp_path / "people.csv", PEOPLE)))
    at.button(key="datasets_import_start").click().run()
    (job,) = bootstrap.services().jobs.list_jobs()
    status = block(at, "datasets_import_status")
    assert "Importing people.csv" in screen_text(status)

    at.button(key=f"datasets_cancel_{job.id}").click().run()

    assert bootstrap.services().jobs.poll(job.id).state is JobState.CANCELLED
    (cancelled,) = block(at, "datasets_import_status").info
    assert "cancelled" in cancelled.value and "nothing was imported" in cancelled.value
    assert datasets.list_datasets(bootstrap.services().db) == []
