"""The Profile page: it computes a dataset's profile in the background and shows its figures, shows it again
from the cache, computes it afresh after a re-import, and exports the dataset."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from robustapp import bootstrap
from robustapp.cache import cache_stats
from robustapp.services import datasets
from tests.ui.helpers import block, export_status, open_app, screen_text, title

PROFILE_FUNCTION = "robustapp.services.profile._profile"


@pytest.fixture
def source(tmp_path: Path) -> Path:
    bootstrap.services().jobs.start()
    path = tmp_path / "scores.csv"
    path.write_text("player,score,day\nann,10,2024-01-01\nbob,20,2024-01-02\nann,,2024-01-03\n", encoding="utf-8")
    datasets.import_file(bootstrap.services().db, path, name="scores")
    return path


def _open_profile(dataset: str) -> AppTest:
    at = open_app("profile", dataset=dataset)
    if bootstrap.services().jobs.wait_idle(timeout=30) and not at.dataframe:
        at.run()  # what the page's own refresh does once the job is done
    return at


def _overview(at: AppTest) -> dict[str, dict]:
    frame = at.dataframe[0].value
    return {row["column"]: row for row in frame.to_dict("records")}


def test_the_profile_shows_each_columns_figures(source: Path) -> None:
    at = _open_profile("scores")

    assert not at.exception and title(at) == "Profile"
    score = _overview(at)["score"]
    assert (score["type"], score["empty"], score["distinct"], score["min"], score["max"], score["mean"]) == (
        "BIGINT", 1, 2, "10", "20", "15",
    )  # fmt: skip
    assert "3 rows · 3 columns · exact figures" in screen_text(at)

    at.selectbox(key="profile_column").select("player").run()
    detail = block(at, "profile_column_detail")
    assert [(m.label, m.value) for m in detail.metric][:2] == [("Empty", "0"), ("Distinct", "2")]


def test_opening_it_again_is_served_from_the_cache(source: Path) -> None:
    _open_profile("scores")
    computed = cache_stats()[PROFILE_FUNCTION].misses

    again = open_app("profile", dataset="scores")  # a new session: a reload, or back from another page

    assert _overview(again)["score"]["mean"] == "15"
    assert cache_stats()[PROFILE_FUNCTION].hits >= 1
    assert cache_stats()[PROFILE_FUNCTION].misses == computed
    assert bootstrap.services().jobs.list_jobs(name="data.profile", limit=10)[0].id == 1  # no second job


def test_a_reimport_makes_the_page_compute_the_profile_afresh(source: Path) -> None:
    at = _open_profile("scores")
    assert _overview(at)["score"]["max"] == "20"

    source.write_text("player,score,day\nann,10,2024-01-01\nbob,99,2024-01-02\n", encoding="utf-8")
    datasets.reimport_dataset(bootstrap.services().db, "scores")
    at.run()
    assert bootstrap.services().jobs.wait_idle(timeout=30)
    at.run()

    assert _overview(at)["score"]["max"] == "99"
    assert "2 rows · 3 columns" in screen_text(at)


def test_choosing_a_dataset_puts_it_in_the_url(source: Path) -> None:
    at = open_app("profile")
    assert "Choose a dataset to see its profile." in [c.value for c in at.caption]

    at.selectbox(key="profile_dataset").select("scores").run()

    assert at.query_params["dataset"] == "scores"
    assert _overview(at)["player"]["distinct"] == 2


def test_an_unknown_dataset_is_named(source: Path) -> None:
    at = open_app("profile", dataset="scorez")

    assert "there is no dataset named 'scorez'; did you mean 'scores'?" in at.warning[0].value


def test_the_dataset_is_exported_from_the_profile_page(source: Path) -> None:
    at = _open_profile("scores")

    status = export_status(at, "profile_export")

    assert "3 rows" in status.caption[0].value
    assert "Download scores.csv" in screen_text(status)
