"""The SQL editor's job and history on a real DuckDB file: rows kept in a file, refusals and DuckDB's own
messages as the job's error, cancel and time limit of a long query, a history of distinct queries."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from robustapp import bootstrap
from robustapp.bootstrap import Services
from robustapp.domain.jobs import JobState
from robustapp.services import datasets
from robustapp.services import sql as queries

LONG_QUERY = "SELECT sum(a.range * b.range) FROM range(100000) a, range(1000000) b"


@pytest.fixture
def services(tmp_path: Path) -> Services:
    services = bootstrap.start()
    people = tmp_path / "people.csv"
    people.write_text("id,name,team\n1,Ada,core\n2,Grace,core\n3,Linus,kernel\n", encoding="utf-8")
    datasets.import_file(services.db, people, name="team members")
    services.jobs.start()
    return services


def _run(services: Services, sql: str, **params: object) -> tuple[JobState, object, str | None]:
    job_id = services.jobs.enqueue("data.sql", sql=sql, **params)
    info = services.jobs.wait(job_id, timeout=30)
    return info.state, info.result, info.error


def test_a_query_of_a_dataset_by_its_name_keeps_its_rows_in_a_file(services: Services) -> None:
    state, result, error = _run(services, 'SELECT team, count(*) AS n FROM "team members" GROUP BY team ORDER BY team')

    assert state is JobState.SUCCEEDED, error
    run = queries.QueryRun.model_validate(result)
    assert (run.rows, run.truncated, run.columns) == (2, False, [("team", "VARCHAR"), ("n", "BIGINT")])
    assert Path(run.path).parent == services.paths.temp_dir / "sql-results"
    assert queries.read_result(run).to_pylist() == [{"team": "core", "n": 2}, {"team": "kernel", "n": 1}]


def test_a_long_result_is_cut_at_max_rows_and_says_so(services: Services) -> None:
    state, result, _ = _run(services, "SELECT range AS n FROM range(50000)", max_rows=1000)

    run = queries.QueryRun.model_validate(result)
    assert state is JobState.SUCCEEDED and (run.rows, run.truncated) == (1000, True)
    assert queries.read_result(run).num_rows == 1000


@pytest.mark.parametrize(
    ("sql", "error"),
    [
        ('DELETE FROM "team members"', "QueryRefusedError: DELETE writes data; the SQL editor only runs queries"),
        ("SELECT * FROM read_csv('/etc/passwd')", "QueryRefusedError: read_csv() reads files"),
        ("SELECT nme FROM \"team members\"", 'QueryFailedError: Binder Error: Referenced column "nme" not found'),
    ],
)
def test_a_refused_or_failed_statement_fails_the_job_with_the_reason(services: Services, sql: str, error: str) -> None:
    state, _, message = _run(services, sql)

    assert state is JobState.FAILED
    assert message is not None and message.startswith(error)
    assert datasets.get_dataset(services.db, "team members").row_count == 3


def test_cancel_stops_a_long_query_within_a_second(services: Services) -> None:
    job_id = services.jobs.enqueue("data.sql", sql=LONG_QUERY)
    while services.jobs.poll(job_id).state is not JobState.RUNNING:
        time.sleep(0.01)
    time.sleep(0.2)  # inside DuckDB by now

    asked = time.monotonic()
    services.jobs.cancel(job_id)
    info = services.jobs.wait(job_id, timeout=10)

    assert info.state is JobState.CANCELLED
    assert time.monotonic() - asked < 1.0


def test_a_query_past_its_time_limit_is_stopped_and_says_so(services: Services) -> None:
    state, _, error = _run(services, LONG_QUERY, timeout=0.3)

    assert state is JobState.FAILED
    assert error == "QueryCancelledError: the query ran past 0.3 s and was stopped"


def test_only_the_newest_results_files_are_kept(services: Services) -> None:
    for n in range(queries.RESULTS_KEPT + 3):
        assert _run(services, f"SELECT {n} AS n")[0] is JobState.SUCCEEDED

    assert len(list((services.paths.temp_dir / "sql-results").glob("*.parquet"))) == queries.RESULTS_KEPT


def test_the_history_keeps_the_newest_distinct_queries_with_how_they_ended(services: Services) -> None:
    db, owner = services.db, services.owner
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(queries.HISTORY_KEPT + 5):
        queries.record_run(db, owner, f"SELECT {n}", None, at=start + timedelta(seconds=n))
    job_id = services.jobs.enqueue("data.sql", sql="SELECT 7")
    services.jobs.wait(job_id, timeout=30)
    queries.record_run(db, owner, "SELECT 7", job_id)  # run again: moves to the top, once
    queries.record_run(db, "someone else", "SELECT 'theirs'", None)

    entries = queries.history(db, owner)

    assert len(entries) == queries.HISTORY_KEPT
    newest = queries.HISTORY_KEPT + 4
    assert [e.sql for e in entries[:3]] == ["SELECT 7", f"SELECT {newest}", f"SELECT {newest - 1}"]
    assert [e.sql for e in entries].count("SELECT 7") == 1
    assert "SELECT 0" not in [e.sql for e in entries]
    assert (entries[0].state, queries.outcome(entries[0])) == ("succeeded", "1 row")
