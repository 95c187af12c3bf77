"""The dataset jobs (`data.import`, `data.reimport`) as the job service runs them: on the app's
database, with progress; a failed or cancelled import leaves no dataset and no uploaded copy."""

from __future__ import annotations

from pathlib import Path

import pytest

from robustapp import bootstrap
from robustapp.domain.jobs import JobState
from robustapp.jobs.data import import_dataset
from robustapp.jobs.progress import JobCancelled
from robustapp.services import datasets
from tests.integration.import_files import write

PEOPLE = "id,name\n1,Ann\n2,Bob\n"


class _Progress:
    """A job's progress: records each report; raises JobCancelled from report number `cancel_at` on."""

    def __init__(self, cancel_at: int | None = None) -> None:
        self.reports: list[tuple[float, str]] = []
        self.cancel_at = cancel_at

    def report(self, fraction: float, message: str = "") -> None:
        self.reports.append((fraction, message))
        self.check()

    def is_cancelled(self) -> bool:
        return self.cancel_at is not None and len(self.reports) >= self.cancel_at

    def check(self) -> None:
        if self.is_cancelled():
            raise JobCancelled()


def _run(progress: _Progress, **params: object) -> dict:
    services = bootstrap.services()
    return import_dataset(services.db.cursor(), progress, **params)


def test_an_import_job_reports_progress_and_returns_what_the_page_shows(tmp_path: Path) -> None:
    progress = _Progress()

    path = write(tmp_path / "people.csv", PEOPLE)

    result = _run(progress, path=str(path), name="Staff", options={"types": {"id": "VARCHAR"}})

    assert result == {
        "name": "Staff", "rows": 2, "columns": 2, "skipped_rows": 0, "notes": [], "source": str(path),
    }  # fmt: skip
    assert progress.reports[-1][0] == 1.0
    staff = datasets.get_dataset(bootstrap.services().db, "staff")
    assert [column.type for column in staff.columns] == ["VARCHAR", "VARCHAR"]


def test_a_failed_import_of_an_uploaded_copy_removes_the_copy(tmp_path: Path) -> None:
    (tmp_path / "uploads").mkdir()
    upload = write(tmp_path / "uploads" / "bad.csv", "id,name\n1,Ann\n2,Bob,extra\n")
    with pytest.raises(Exception, match="malformed row"):
        _run(_Progress(), path=str(upload), remove_file_after_failure=True)

    assert not upload.exists()
    assert datasets.list_datasets(bootstrap.services().db) == []


def test_a_cancelled_import_leaves_nothing_and_a_typed_in_file_alone(tmp_path: Path) -> None:
    path = write(tmp_path / "people.csv", PEOPLE)
    with pytest.raises(JobCancelled):
        _run(_Progress(cancel_at=2), path=str(path))

    assert path.exists()  # the user's own file is never removed
    assert datasets.list_datasets(bootstrap.services().db) == []


def test_the_job_service_runs_an_import_and_a_re_import(tmp_path: Path) -> None:
    jobs = bootstrap.services().jobs
    jobs.start()
    path = write(tmp_path / "people.csv", PEOPLE)

    first = jobs.wait(jobs.enqueue("data.import", path=str(path)), timeout=30)
    write(path, PEOPLE + "3,Cy\n")
    again = jobs.wait(jobs.enqueue("data.reimport", name="people"), timeout=30)

    assert (first.state, first.result["rows"]) == (JobState.SUCCEEDED, 2)
    assert (again.state, again.result["rows"]) == (JobState.SUCCEEDED, 3)
    assert datasets.get_dataset(bootstrap.services().db, "people").row_count == 3
