"""Dataset profiles on a real DuckDB file: the figures of a small known table, estimates on a bigger one,
the cache, and its invalidation when the dataset is imported again."""

from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import pytest

from robustapp import bootstrap
from robustapp.bootstrap import Services
from robustapp.domain.jobs import JobState
from robustapp.services import datasets
from robustapp.services import profile as profiles

KNOWN = """
    SELECT * FROM (VALUES
        (1, 1.0, 'oslo', DATE '2024-01-01', true),  (2, 2.0, 'oslo', DATE '2024-01-02', true),
        (3, 3.0, 'rome', DATE '2024-01-03', false), (4, 4.0, 'oslo', DATE '2024-01-04', true),
        (5, 5.0, 'lima', DATE '2024-01-05', false), (6, 6.0, 'rome', DATE '2024-01-06', true),
        (7, 7.0, 'oslo', DATE '2024-01-07', false), (8, 8.0, NULL, DATE '2024-01-08', true),
        (9, 9.0, 'rome', NULL, false),              (10, NULL, 'oslo', NULL, true)
    ) AS t(id, amount, city, day, ok)
"""


def _parquet(path: Path, select: str) -> Path:
    with duckdb.connect() as scratch:
        scratch.execute(f"COPY ({select}) TO '{path}' (FORMAT parquet)")
    return path


@pytest.fixture
def services() -> Services:
    return bootstrap.start()


@pytest.fixture
def known(services: Services, tmp_path: Path) -> str:
    datasets.import_file(services.db, _parquet(tmp_path / "known.parquet", KNOWN), name="Known")
    return "Known"


def test_the_figures_of_a_small_table_are_exact(services: Services, known: str) -> None:
    profile = profiles.profile_dataset(services.db.cursor(), known)

    assert (profile.rows, profile.exact) == (10, True)
    assert [c.name for c in profile.columns] == ["id", "amount", "city", "day", "ok"]
    amount = profile.column("amount")
    assert (amount.kind, amount.non_null, amount.nulls, amount.distinct) == ("number", 9, 1, 9)
    assert (amount.min, amount.max, amount.mean) == (1.0, 9.0, 5.0)
    assert math.isclose(amount.std or 0, math.sqrt(7.5))
    assert (amount.quantiles["25%"], amount.quantiles["50%"], amount.quantiles["75%"]) == (3.0, 5.0, 7.0)
    assert sum(b.count for b in amount.histogram) == 9

    ids = profile.column("id")
    assert [(b.start, b.count) for b in ids.histogram] == [(float(i), 1) for i in range(1, 11)]  # one bin per id

    city = profile.column("city")
    assert (city.kind, city.nulls, city.distinct, city.min, city.max) == ("text", 1, 3, "lima", "rome")
    assert [(t.value, t.count) for t in city.top_values] == [("oslo", 5), ("rome", 3), ("lima", 1)]

    day = profile.column("day")
    assert (day.kind, day.nulls, day.min, day.max) == ("temporal", 2, "2024-01-01", "2024-01-08")
    assert day.quantiles["50%"] == "2024-01-04"
    assert sum(b.count for b in day.histogram) == 8 and day.histogram[0].start == "2024-01-01"

    ok = profile.column("ok")
    assert [(t.value, t.count) for t in ok.top_values] == [("true", 6), ("false", 4)]


def test_a_big_table_gets_estimates_and_says_so(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(profiles, "EXACT_ROWS", 1_000)  # as if the 20,000 rows were tens of millions
    select = "SELECT range AS id, range % 1000 AS code, 'user ' || (range % 1000) AS who FROM range(20000)"
    datasets.import_file(services.db, _parquet(tmp_path / "big.parquet", select), name="big")

    profile = profiles.profile_dataset(services.db.cursor(), "big")

    assert not profile.exact
    code = profile.column("code")
    assert code.distinct == pytest.approx(1000, rel=0.05)
    assert code.quantiles["50%"] == pytest.approx(500, rel=0.05)
    assert code.top_values[0].count == 20  # top values are counted exactly
    assert profile.column("id").top_values_note == "nearly every value is distinct"


def test_odd_types_and_non_finite_numbers_are_profiled_and_fit_in_json(services: Services, tmp_path: Path) -> None:
    select = """SELECT [range, 1] AS pair, {'a': range} AS thing, INTERVAL (range) DAY AS span,
                CASE range WHEN 0 THEN 'nan'::DOUBLE WHEN 1 THEN 'inf'::DOUBLE ELSE range END AS x,
                TIMESTAMPTZ '2024-05-01 12:00:00+00' + INTERVAL (range) HOUR AS at FROM range(6)"""
    datasets.import_file(services.db, _parquet(tmp_path / "odd.parquet", select), name="odd")

    profile = profiles.profile_dataset(services.db.cursor(), "odd")

    json.dumps(profile.model_dump(mode="json"), allow_nan=False)
    assert profile.column("pair").kind == "other" and profile.column("pair").distinct == 6
    x = profile.column("x")
    assert (x.min, x.max, x.mean) == (2.0, 5.0, 3.5)  # over the finite values
    assert profile.column("at").min.startswith("2024-05-01 12:00:00")


def test_a_profile_is_cached_and_importing_the_dataset_again_invalidates_it(
    services: Services, tmp_path: Path
) -> None:
    source = tmp_path / "sales.csv"
    source.write_text("region,amount\nnorth,10\nsouth,20\n", encoding="utf-8")
    datasets.import_file(services.db, source, name="sales")
    assert profiles.cached_profile("sales") is None  # looking never computes

    first = profiles.profile_dataset(services.db.cursor(), "sales")
    assert profiles.cached_profile("sales") == first

    source.write_text("region,amount\nnorth,10\nsouth,20\neast,30\n", encoding="utf-8")
    datasets.reimport_dataset(services.db, "sales")
    assert profiles.cached_profile("sales") is None
    assert profiles.profile_dataset(services.db.cursor(), "sales").rows == 3

    datasets.import_file(services.db, source, name="SALES", replace=True)  # replaced under another spelling
    assert profiles.cached_profile("SALES") is None
    profiles.profile_dataset(services.db.cursor(), "sales")  # asked for in any spelling: kept under the dataset's own
    assert profiles.cached_profile("SALES") is not None


def test_the_profile_job_computes_it_in_the_background(services: Services, known: str) -> None:
    services.jobs.start()
    job_id = services.jobs.enqueue("data.profile", name=known)

    info = services.jobs.wait(job_id, timeout=30)

    assert info.state is JobState.SUCCEEDED, info.error
    assert info.result["rows"] == 10 and info.progress == 1.0
    assert profiles.cached_profile(known) is not None
