"""The SQL page: a query runs and its rows show, a write is refused with the reason, the history reopens a
query, a long query can be cancelled, and the draft and the result survive a reload (a new session)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from robustapp import bootstrap
from robustapp.services import datasets
from tests.ui.helpers import block, open_app, screen_text

LONG_QUERY = "SELECT sum(a.range * b.range) FROM range(100000) a, range(1000000) b"


@pytest.fixture(autouse=True)
def team(tmp_path: Path) -> None:
    services = bootstrap.services()
    services.jobs.start()
    people = tmp_path / "people.csv"
    people.write_text("id,name,team\n1,Ada,core\n2,Grace,core\n3,Linus,kernel\n", encoding="utf-8")
    datasets.import_file(services.db, people, name="team members")


def _run(at: AppTest, sql: str) -> AppTest:
    at.text_area(key="sql_draft").input(sql)
    at.button(key="sql_run").click().run()
    assert bootstrap.services().jobs.wait_idle(timeout=30)
    return at.run()


def test_a_query_runs_and_its_rows_show_under_the_editor() -> None:
    at = _run(open_app("sql"), 'SELECT name FROM "team members" WHERE team = \'core\' ORDER BY id')

    assert not at.exception
    result = block(at, "sql_result")
    assert result.dataframe[0].value["name"].tolist() == ["Ada", "Grace"]
    assert "2 rows · 1 column" in result.caption[0].value


def test_values_of_every_kind_of_column_show() -> None:
    at = _run(open_app("sql"), "SELECT 170141183460469231731687303715884105727::HUGEINT AS huge, [1, 2] AS list, "
              "{'a': 1} AS struct, MAP {'k': 1} AS map, TIME '10:30' AS time, 'ab'::BLOB AS blob, "
              "INTERVAL 3 DAY AS span, TIMESTAMPTZ '2024-01-01 10:00:00+00' AS moment, 1.5::DECIMAL(4,2) AS dec")

    assert not at.exception
    row = block(at, "sql_result").dataframe[0].value.iloc[0]
    assert (row["span"], row["huge"], row["list"].tolist()) == ("3 days", 170141183460469231731687303715884105727, [1, 2])


def test_a_statement_that_writes_is_refused_with_the_reason_and_changes_nothing() -> None:
    at = _run(open_app("sql"), 'DELETE FROM "team members"')

    (refused,) = block(at, "sql_result").error
    assert refused.value == "**Not run:** DELETE writes data; the SQL editor only runs queries (SELECT)"
    assert datasets.get_dataset(bootstrap.services().db, "team members").row_count == 3


def test_a_query_duckdb_cannot_run_shows_duckdbs_message() -> None:
    at = _run(open_app("sql"), 'SELECT nme FROM "team members"')

    result = block(at, "sql_result")
    assert "DuckDB could not run the query" in result.error[0].value
    assert 'Referenced column "nme" not found' in result.code[0].value


def test_the_history_reopens_a_query_and_a_reload_keeps_the_draft_and_the_result() -> None:
    at = open_app("sql")
    _run(at, "SELECT 1 AS first")
    _run(at, "SELECT 2 AS second")
    history = block(at, "sql_history")
    assert [code.value for code in history.code] == ["SELECT 2 AS second", "SELECT 1 AS first"]

    older = [button for button in history.button if button.key.startswith("sql_open_")][1]
    older.click().run()
    assert at.text_area(key="sql_draft").value == "SELECT 1 AS first"

    reloaded = open_app("sql")
    assert reloaded.text_area(key="sql_draft").value == "SELECT 1 AS first"
    assert block(reloaded, "sql_result").dataframe[0].value.columns.tolist() == ["second"]  # the newest run's rows


def test_a_dataset_in_the_list_puts_a_select_of_it_into_the_editor() -> None:
    at = open_app("sql")
    tables = block(at, "sql_tables")
    assert "- `name` varchar" in screen_text(tables)

    tables.button[0].click().run()

    assert at.text_area(key="sql_draft").value == 'SELECT *\nFROM "team members"\nLIMIT 100'


def test_a_long_query_shows_running_and_cancel_stops_it() -> None:
    at = open_app("sql")
    at.text_area(key="sql_draft").input(LONG_QUERY)
    at.button(key="sql_run").click().run()

    running = block(at, "sql_running")
    assert "Running…" in running.markdown[0].value or "Waiting to start…" in running.markdown[0].value
    running.button[0].click().run()
    assert bootstrap.services().jobs.wait_idle(timeout=10)
    at.run()

    assert block(at, "sql_result").warning[0].value == "The query was cancelled."
