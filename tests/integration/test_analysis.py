"""Analyses on a real DuckDB file: grouped and filtered results, hostile names and values kept harmless,
saved analyses kept by name, and results cached until the dataset is imported again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from robustapp.cache import cache_stats
from robustapp.domain.analysis import Aggregate, AnalysisSort, AnalysisSpec
from robustapp.domain.browse import Filter
from robustapp.errors import (
    AnalysisInvalid,
    AnalysisNameInvalid,
    AnalysisNameTaken,
    AnalysisNotFound,
    QueryCancelledError,
)
from robustapp.services import analysis, audit, datasets
from robustapp.services.state import Actor
from robustapp.storage import Database
from tests.integration.helpers import app_database
from robustapp.storage.audit_log import AuditFilter
from robustapp.storage.analysis import fetch
from tests.integration.import_files import write

RUN_FUNCTION = "robustapp.services.analysis._run"
HOSTILE_COLUMN = 'shop"; DROP TABLE datasets; --'
HOSTILE_VALUE = "x'); DROP TABLE datasets; --"
ANN = Actor(owner="ann", name="Ann", session_id="session-1")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with app_database(tmp_path / "data.duckdb") as database:
        yield database


def _sales(folder: Path, rows: str = "") -> Path:
    header = f'city,units,price,"{HOSTILE_COLUMN.replace(chr(34), chr(34) * 2)}"'
    body = rows or (
        "Paris,3,1.5,a\nRome,4,2.0,b\nParis,5,3.0,\"x'); DROP TABLE datasets; --\"\nOslo,1,9.0,c\nRome,,4.0,d\n"
    )
    return write(folder / "sales.csv", f"{header}\n{body}")


@pytest.fixture
def source(db: Database, tmp_path: Path) -> Path:
    path = _sales(tmp_path)
    datasets.import_file(db, path, name="sales")
    return path


def _by_city(**changes) -> AnalysisSpec:
    values = {
        "dataset": "sales", "group_by": ["city"],
        "aggregates": [Aggregate(func="sum", column="units"), Aggregate(func="count")],
        "sort": AnalysisSort(column="sum(units)", descending=True),
    }  # fmt: skip
    return AnalysisSpec(**{**values, **changes})


def test_an_analysis_groups_summarises_sorts_and_limits(db: Database, source: Path) -> None:
    result = analysis.run_analysis(db, _by_city(limit=2))

    assert result.rows.to_pylist() == [
        {"city": "Paris", "sum(units)": 8.0, "count(*)": 2},
        {"city": "Rome", "sum(units)": 4.0, "count(*)": 2},
    ]
    assert [column.name for column in result.columns] == ["city", "sum(units)", "count(*)"]


def test_without_grouping_the_matching_rows_themselves_come_back(db: Database, source: Path) -> None:
    spec = AnalysisSpec(dataset="SALES", filters=[Filter(column="price", op=">", value="2.5")],
                        sort=AnalysisSort(column="price"))  # fmt: skip
    result = analysis.run_analysis(db, spec)

    assert result.rows.column("city").to_pylist() == ["Paris", "Rome", "Oslo"]


def test_a_hostile_column_name_and_value_are_only_a_name_and_a_value(db: Database, source: Path) -> None:
    spec = AnalysisSpec(
        dataset="sales", filters=[Filter(column=HOSTILE_COLUMN, op="=", value=HOSTILE_VALUE)],
        group_by=[HOSTILE_COLUMN], aggregates=[Aggregate(func="max", column="units")],
    )  # fmt: skip
    result = analysis.run_analysis(db, spec)

    assert result.rows.to_pylist() == [{HOSTILE_COLUMN: HOSTILE_VALUE, "max(units)": 5}]
    assert [info.name for info in datasets.list_datasets(db)] == ["sales"]  # the catalog is still there


def test_a_spec_that_no_longer_fits_is_refused_naming_each_problem(db: Database, source: Path) -> None:
    with pytest.raises(AnalysisInvalid, match=r"y: a bar chart needs a numeric y; 'city' holds VARCHAR"):
        analysis.run_analysis(db, _by_city(chart="bar", x="sum(units)", y="city"))
    with pytest.raises(AnalysisInvalid, match=r"filter 1: 'many' does not read as a DOUBLE value"):
        analysis.run_analysis(db, _by_city(filters=[Filter(column="price", op=">", value="many")]))

    source.write_text("town,units\nParis,1\n", encoding="utf-8")  # the column "city" is gone
    datasets.reimport_dataset(db, "sales")
    with pytest.raises(AnalysisInvalid, match=r"filter 1: the dataset has no column 'city' any more; group_by: the dataset has no column 'city'"):
        analysis.run_analysis(db, _by_city(filters=[Filter(column="city", op="=", value="Paris")]))


def test_a_query_past_its_time_limit_is_stopped_and_the_cursor_stays_usable(db: Database) -> None:
    cursor = db.cursor()
    with pytest.raises(QueryCancelledError, match="ran past 0.05 s"):
        fetch(cursor, "SELECT count(*) FROM range(?) a, range(?) b", [100_000, 100_000], timeout=0.05)

    assert fetch(cursor, "SELECT ? AS answer", [42], timeout=5).to_pylist() == [{"answer": 42}]


def test_a_second_run_is_served_from_the_cache_until_the_dataset_is_imported_again(
    db: Database, source: Path
) -> None:
    first = analysis.run_analysis(db, _by_city())
    misses = cache_stats()[RUN_FUNCTION].misses
    again = analysis.run_analysis(db, _by_city())
    assert cache_stats()[RUN_FUNCTION].misses == misses and cache_stats()[RUN_FUNCTION].hits >= 1
    assert again.rows.equals(first.rows)

    _sales(source.parent, "Lima,100,1.0,z\n")
    datasets.reimport_dataset(db, "sales")
    fresh = analysis.run_analysis(db, _by_city())

    assert cache_stats()[RUN_FUNCTION].misses == misses + 1
    assert fresh.rows.to_pylist() == [{"city": "Lima", "sum(units)": 100.0, "count(*)": 1}]


def test_analyses_are_saved_opened_duplicated_renamed_and_deleted_by_name(db: Database, source: Path) -> None:
    spec = _by_city()
    saved = analysis.save_analysis(db, ANN, "  By city ", spec)
    assert saved.name == "By city" and analysis.open_analysis(db, "ann", "BY CITY").spec == spec

    copy = analysis.duplicate_analysis(db, ANN, "by city")
    second = analysis.duplicate_analysis(db, ANN, "by city")
    assert (copy.name, second.name, copy.spec) == ("By city (copy)", "By city (copy 2)", spec)

    analysis.rename_analysis(db, ANN, "by city (copy 2)", "Top cities")
    analysis.delete_analysis(db, ANN, "by city (copy)")

    assert [item.name for item in analysis.list_analyses(db, "ann")] == ["By city", "Top cities"]
    assert analysis.list_analyses(db, "bob") == []  # per owner
    with pytest.raises(AnalysisNotFound):
        analysis.open_analysis(db, "bob", "By city")


def test_a_name_is_taken_case_insensitively_unless_the_save_replaces_it(db: Database, source: Path) -> None:
    analysis.save_analysis(db, ANN, "By city", _by_city())
    analysis.save_analysis(db, ANN, "Other", _by_city(limit=5))

    with pytest.raises(AnalysisNameTaken, match="'By city' exists already"):
        analysis.save_analysis(db, ANN, "BY CITY", _by_city(limit=3))
    with pytest.raises(AnalysisNameTaken):
        analysis.rename_analysis(db, ANN, "other", "by city")
    analysis.save_analysis(db, ANN, "by city", _by_city(limit=3), replace=True)

    assert analysis.open_analysis(db, "ann", "By city").spec.limit == 3
    assert analysis.rename_analysis(db, ANN, "other", "OTHER").name == "OTHER"  # a change of case only


def test_a_rename_to_an_empty_or_a_taken_name_is_refused_and_changes_nothing(db: Database, source: Path) -> None:
    analysis.save_analysis(db, ANN, "By city", _by_city())
    analysis.save_analysis(db, ANN, "Other", _by_city(limit=5))

    with pytest.raises(AnalysisNameInvalid, match="^an analysis needs a name$"):
        analysis.rename_analysis(db, ANN, "Other", "   ")
    with pytest.raises(AnalysisNameTaken, match="^an analysis named 'By city' exists already; choose another name$"):
        analysis.rename_analysis(db, ANN, "Other", " by CITY ")

    assert [item.name for item in analysis.list_analyses(db, "ann")] == ["By city", "Other"]
    assert analysis.open_analysis(db, "ann", "Other").spec.limit == 5


def test_each_change_to_the_saved_analyses_is_in_the_audit_trail(db: Database, source: Path) -> None:
    analysis.save_analysis(db, ANN, "By city", _by_city(), trace_id="t-save")
    analysis.duplicate_analysis(db, ANN, "By city")
    analysis.rename_analysis(db, ANN, "By city (copy)", "Top cities")
    with pytest.raises(AnalysisNameTaken):  # refused: nothing recorded
        analysis.rename_analysis(db, ANN, "Top cities", "By city")
    analysis.delete_analysis(db, ANN, "Top cities")

    entries = audit.read(db, AuditFilter(scope="analyses"))

    assert [(entry.key, entry.actor, entry.session_id) for entry in entries] == [
        ("(save)", "Ann", "session-1"), ("(duplicate)", "Ann", "session-1"),
        ("(rename)", "Ann", "session-1"), ("(delete)", "Ann", "session-1"),
    ]  # fmt: skip
    assert entries[0].trace_id == "t-save" and entries[0].old_value is None
    assert '"name":"By city"' in entries[0].new_value and '"sum"' in entries[0].new_value
    assert (entries[2].old_value, entries[2].new_value) == ('{"name":"By city (copy)"}', '{"name":"Top cities"}')
    assert '"name":"Top cities"' in entries[3].old_value and entries[3].new_value is None
    assert audit.verify(db).ok
