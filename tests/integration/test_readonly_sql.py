"""The SQL editor's runner against a real DuckDB file: queries run, anything else is refused, nothing is written."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from robustapp.errors import QueryCancelledError, QueryFailedError, QueryRefusedError
from robustapp.storage import Database
from robustapp.storage.readonly_sql import run_query


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with Database(tmp_path / "sql.duckdb") as database:
        with database.transaction() as cursor:
            cursor.execute("CREATE TABLE sales (region VARCHAR, amount INTEGER)")
            cursor.execute("INSERT INTO sales VALUES ('north', 10), ('south', 20), ('north', 5)")
        yield database


def _tables(db: Database) -> list[str]:
    return sorted(row[0] for row in db.query("SELECT table_name FROM duckdb_tables()"))


def test_a_query_returns_its_columns_types_and_rows(db: Database) -> None:
    result = run_query(db.cursor(), "SELECT region, sum(amount) AS total FROM sales GROUP BY region ORDER BY region;")
    assert result.columns == [("region", "VARCHAR"), ("total", "HUGEINT")]
    assert result.table.to_pylist() == [{"region": "north", "total": 15}, {"region": "south", "total": 20}]
    assert not result.truncated


@pytest.mark.parametrize("sql", ["DESCRIBE sales", "SUMMARIZE sales", "SHOW TABLES", "FROM sales", "SELECT * FROM range(3)",
                                 "WITH t AS (SELECT 1 AS x) SELECT x FROM t", "SELECT * FROM duckdb_tables()",
                                 "SELECT table_name FROM information_schema.tables", "SELECT * FROM SALES"])
def test_the_select_forms_run(db: Database, sql: str) -> None:
    assert run_query(db.cursor(), sql).row_count > 0


def test_only_the_first_max_rows_come_back_and_the_result_says_so(db: Database) -> None:
    result = run_query(db.cursor(), "SELECT range AS n FROM range(100000) ORDER BY n DESC", max_rows=5000)
    assert result.row_count == 5000 and result.truncated
    assert result.table.column("n").to_pylist()[:2] == [99999, 99998]


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("INSERT INTO sales VALUES ('east', 1)", "INSERT writes data"),
        ("UPDATE sales SET amount = 0", "UPDATE writes data"),
        ("DELETE FROM sales", "DELETE writes data"),
        ("DROP TABLE sales", "DROP changes the database"),
        ("CREATE TABLE copy AS SELECT * FROM sales", "CREATE changes the database"),
        ("COPY sales TO '/tmp/robustapp-leak.csv'", "COPY reads or writes files"),
        ("ATTACH '/tmp/other.duckdb' AS other", "ATTACH opens another database"),
        ("INSTALL httpfs", "extensions"),
        ("LOAD httpfs", "extensions"),
        ("PRAGMA enable_profiling", "PRAGMA"),
        ("SET threads = 1", "SET changes settings"),
        ("SELECT * FROM read_csv('/etc/passwd')", "read_csv()"),
        ("SELECT * FROM '/etc/passwd'", "no table or view called '/etc/passwd'"),
        ("SELECT * FROM some_python_variable", "no table or view"),
        ("SELECT * FROM read_text('/etc/hostname')", "read_text()"),
        ("SELECT * FROM glob('/*')", "glob()"),
        ("SELECT count(*) FROM sales WHERE region IN (SELECT column0 FROM read_csv('/etc/passwd'))", "read_csv()"),
        ("SELECT * FROM query('SELECT 1')", "query()"),
        ("SELECT getenv('HOME')", "getenv()"),
        ("SELECT 1; DROP TABLE sales", "one query at a time"),
        ("   ", "no statement"),
    ],
)
def test_anything_but_a_query_of_the_database_is_refused_with_the_reason(db: Database, sql: str, reason: str) -> None:
    with pytest.raises(QueryRefusedError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        run_query(db.cursor(), sql)
    assert _tables(db) == ["sales"]
    assert db.query("SELECT count(*) FROM sales") == [(3,)]
    assert not Path("/tmp/robustapp-leak.csv").exists()


def test_a_syntax_error_names_where_it_is(db: Database) -> None:
    with pytest.raises(QueryFailedError, match=r"syntax error at or near \"sales\"[\s\S]*LINE 1"):
        run_query(db.cursor(), "SELECT * FORM sales")


def test_a_query_that_needs_more_memory_than_allowed_says_which_setting_to_raise(tmp_path: Path) -> None:
    with Database(tmp_path / "small.duckdb", memory_mb=64) as small:
        with pytest.raises(QueryFailedError) as refused:
            run_query(small.cursor(), "SELECT len(list(range)) FROM range(30000000)")  # one list: cannot spill
    message = str(refused.value)
    assert message.startswith("Out of Memory Error") and "ROBUSTAPP_DB_MEMORY_MB" in message
    assert "SET threads" not in message  # DuckDB's advice is not the user's to follow


def test_a_missing_table_or_column_is_named(db: Database) -> None:
    with pytest.raises(QueryRefusedError, match="no table or view called 'nosuch'"):
        run_query(db.cursor(), "SELECT * FROM nosuch")
    with pytest.raises(QueryFailedError, match="colour"):
        run_query(db.cursor(), "SELECT colour FROM sales")


def test_a_long_query_stops_at_its_time_limit_and_the_database_keeps_working(db: Database) -> None:
    started = time.monotonic()
    with pytest.raises(QueryCancelledError, match=r"ran past 0.3 s"):
        run_query(db.cursor(), "SELECT count(*) FROM range(1000000000) a, range(1000) b WHERE (a.range * b.range) % 7 = 3",
                  timeout=0.3)
    assert time.monotonic() - started < 3
    assert run_query(db.cursor(), "SELECT count(*) AS n FROM sales").table.to_pylist() == [{"n": 3}]
    with db.transaction() as cursor:  # the write path is not left inside a read-only transaction
        cursor.execute("INSERT INTO sales VALUES ('east', 1)")
    assert db.query("SELECT count(*) FROM sales") == [(4,)]


def test_a_running_query_can_be_cancelled_from_another_thread(db: Database) -> None:
    cursor = db.cursor()
    threading.Timer(0.3, cursor.interrupt).start()
    started = time.monotonic()
    with pytest.raises(QueryCancelledError, match="was cancelled"):
        run_query(cursor, "SELECT count(*) FROM range(1000000000) a, range(1000) b WHERE (a.range * b.range) % 7 = 3")
    assert time.monotonic() - started < 3
    assert run_query(cursor, "SELECT 1 AS one").table.to_pylist() == [{"one": 1}]
