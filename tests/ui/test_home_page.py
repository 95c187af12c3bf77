"""Home, the first screen: the user's datasets and jobs at a glance, each one click from its page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from robustapp import bootstrap
from robustapp.domain.jobs import JobState
from robustapp.services import datasets
from tests.integration.import_files import write
from tests.ui.helpers import block, open_app, title


def _import(folder: Path, name: str, rows: int, *, at: datetime) -> int:
    path = write(folder / f"{name}.csv", "id\n" + "".join(f"{i}\n" for i in range(rows)))
    info = datasets.import_file(bootstrap.services().db, path)
    db = bootstrap.services().db
    db.write(lambda cursor: cursor.execute("UPDATE datasets SET imported_at = ? WHERE id = ?",
                                           [at.replace(tzinfo=None), info.id]))  # fmt: skip
    return info.id


def test_a_first_run_says_what_to_do_and_the_import_button_opens_datasets() -> None:
    at = open_app()
    assert "No datasets yet" in block(at, "home_datasets").caption[0].value
    assert "No jobs yet" in block(at, "home_jobs").caption[0].value

    at.button(key="home_import_file").click().run()

    assert title(at) == "Datasets"
    assert at.query_params == {"page": "datasets"}


def test_the_newest_datasets_are_listed_and_open_in_browse(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    old = _import(tmp_path, "older", 3, at=now - timedelta(days=2))
    new = _import(tmp_path, "newer", 12, at=now)
    at = open_app()

    labels = [button.label for button in block(at, "home_datasets").button]
    assert labels == ["newer · 12 rows · 1 columns", "older · 3 rows · 1 columns"]
    assert [metric.value for metric in at.metric][:2] == ["2", "15"]

    at.button(key=f"home_dataset_{old}").click().run()
    assert title(at) == "Browse"
    assert at.query_params == {"page": "browse", "dataset": "older"}
    assert at.dataframe[0].value["id"].tolist() == [0, 1, 2]
    assert new != old


def test_a_recent_job_opens_its_details_on_the_jobs_page() -> None:
    jobs = bootstrap.services().jobs
    first = jobs.enqueue("noop")
    second = jobs.enqueue("noop")
    jobs.cancel(first)
    at = open_app()

    labels = [button.label for button in block(at, "home_jobs").button]
    assert labels[0].startswith(f"noop #{second} · queued") and labels[1].startswith(f"noop #{first} · cancelled")

    at.button(key=f"home_job_{first}").click().run()
    assert title(at) == "Jobs"
    assert at.selectbox(key="jobs_selected").value == first
    assert jobs.poll(first).state is JobState.CANCELLED

    at.button(key="nav_home").click().run()
    at.button(key="home_all_jobs").click().run()
    assert title(at) == "Jobs"


def test_saved_analyses_are_listed_newest_first_and_open_on_the_analyse_page(tmp_path: Path) -> None:
    from robustapp.domain.analysis import AnalysisSpec
    from robustapp.services import analysis
    from robustapp.services.state import Actor

    _import(tmp_path, "sales", 4, at=datetime.now(UTC))
    services = bootstrap.services()
    me, now = Actor(services.owner, services.owner, "test"), datetime.now(UTC)
    analysis.save_analysis(services.db, me, "all rows", AnalysisSpec(dataset="sales"), now=now - timedelta(hours=1))
    analysis.save_analysis(services.db, me, "first rows", AnalysisSpec(dataset="sales", limit=2), now=now)
    at = open_app()

    labels = [button.label for button in block(at, "home_analyses").button]
    assert [label.split(" · ")[:2] for label in labels] == [["first rows", "on sales"], ["all rows", "on sales"]]

    block(at, "home_analyses").button[0].click().run()
    assert not at.exception
    assert title(at) == "Analyse"
    assert at.dataframe[0].value["id"].tolist() == [0, 1]  # opened and run


def test_without_saved_analyses_home_says_how_to_make_one() -> None:
    at = open_app()
    assert "No saved analyses yet" in block(at, "home_analyses").caption[0].value
