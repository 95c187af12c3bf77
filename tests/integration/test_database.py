"""The Database owner against real DuckDB files: transactions, the write path, checkpoints, open errors."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from robustapp import bootstrap
from robustapp.config import load_settings
from robustapp.errors import DatabaseBusyError, DatabaseOpenError, TransactionAbortedError
from robustapp.storage import Database
from tests.integration.helpers import count_rows_in_another_process, process_holding, wait_until


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "test.duckdb")
    with database.transaction() as cursor:
        cursor.execute("CREATE TABLE kv (k INTEGER PRIMARY KEY, v INTEGER NOT NULL)")
    yield database
    database.close()


def _rows(db: Database) -> list[tuple[int, int]]:
    return db.query("SELECT k, v FROM kv ORDER BY k")


def _rows_seen_by_another_thread(db: Database) -> list[tuple[int, int]]:
    seen: list[tuple[int, int]] = []
    reader = threading.Thread(target=lambda: seen.extend(_rows(db)))
    reader.start()
    reader.join()
    return seen


def test_a_transaction_commits_when_its_block_ends(db: Database) -> None:
    with db.transaction() as cursor:
        cursor.execute("INSERT INTO kv VALUES (1, 10), (2, 20)")

    assert _rows_seen_by_another_thread(db) == [(1, 10), (2, 20)]


def test_a_committed_transaction_survives_reopening(tmp_path: Path, db: Database) -> None:
    with db.transaction() as cursor:
        cursor.execute("INSERT INTO kv VALUES (1, 10)")
    db.close()

    with Database(tmp_path / "test.duckdb") as reopened:
        assert _rows(reopened) == [(1, 10)]


def test_a_transaction_that_raises_rolls_everything_back(db: Database) -> None:
    boom = RuntimeError("boom")

    with pytest.raises(RuntimeError) as caught:
        with db.transaction() as cursor:
            cursor.execute("INSERT INTO kv VALUES (1, 10)")
            cursor.execute("UPDATE kv SET v = 11 WHERE k = 1")
            raise boom

    assert caught.value is boom
    assert _rows(db) == []


def test_a_failed_statement_whose_error_was_caught_commits_nothing(db: Database) -> None:
    with db.transaction() as cursor:
        cursor.execute("INSERT INTO kv VALUES (1, 10)")

    with pytest.raises(TransactionAbortedError, match="nothing was committed"):
        with db.transaction() as cursor:
            cursor.execute("INSERT INTO kv VALUES (2, 20)")
            try:
                cursor.execute("INSERT INTO kv VALUES (1, 99)")  # duplicate key
            except duckdb.ConstraintException:
                pass

    assert _rows(db) == [(1, 10)]


def test_nested_transactions_join_the_outer_one(db: Database) -> None:
    with db.transaction() as outer:
        outer.execute("INSERT INTO kv VALUES (1, 10)")
        with db.transaction() as inner:
            inner.execute("INSERT INTO kv VALUES (2, 20)")
        assert _rows_seen_by_another_thread(db) == []  # not committed until the outer block ends

    assert _rows(db) == [(1, 10), (2, 20)]


def test_an_error_in_the_outer_block_rolls_back_the_nested_work(db: Database) -> None:
    with pytest.raises(ValueError):
        with db.transaction() as outer:
            outer.execute("INSERT INTO kv VALUES (1, 10)")
            with db.transaction() as inner:
                inner.execute("INSERT INTO kv VALUES (2, 20)")
            raise ValueError("late failure")

    assert _rows(db) == []


def test_a_failed_nested_block_rolls_back_the_whole_transaction_even_if_caught(db: Database) -> None:
    with pytest.raises(TransactionAbortedError, match="nested"):
        with db.transaction() as outer:
            outer.execute("INSERT INTO kv VALUES (1, 10)")
            try:
                with db.transaction() as inner:
                    inner.execute("INSERT INTO kv VALUES (2, 20)")
                    raise ValueError("half-done")
            except ValueError:
                pass

    assert _rows(db) == []
    db.write(lambda cursor: cursor.execute("INSERT INTO kv VALUES (3, 30)"))
    assert _rows(db) == [(3, 30)]


def test_a_failed_begin_does_not_leave_the_thread_inside_a_transaction(db: Database) -> None:
    cursor = db.cursor()
    cursor.execute("BEGIN TRANSACTION")  # e.g. a reader that left its own transaction open
    with pytest.raises(duckdb.TransactionException):
        with db.transaction():
            pass
    cursor.execute("ROLLBACK")

    with pytest.raises(RuntimeError):
        with db.transaction() as tx:
            tx.execute("INSERT INTO kv VALUES (1, 10)")
            raise RuntimeError("must roll back")

    assert _rows(db) == []


def test_write_returns_what_the_function_returns(db: Database) -> None:
    def insert(cursor: duckdb.DuckDBPyConnection) -> int:
        cursor.execute("INSERT INTO kv VALUES (7, 70)")
        return 7

    assert db.write(insert) == 7
    assert _rows(db) == [(7, 70)]


def test_concurrent_upserts_never_fail_and_add_up(db: Database) -> None:
    threads, upserts, keys = 10, 200, 20
    errors: list[BaseException] = []
    upsert = "INSERT INTO kv VALUES (?, 1) ON CONFLICT (k) DO UPDATE SET v = kv.v + 1"

    def work(worker: int) -> None:
        try:
            for i in range(upserts):
                key = (worker + i) % keys
                if worker % 2:  # half through write(), half through transaction()
                    db.write(lambda cursor, key=key: cursor.execute(upsert, [key]))
                else:
                    with db.transaction() as cursor:
                        cursor.execute(upsert, [key])
        except BaseException as exc:  # collected, then asserted below
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    assert _rows(db) == [(key, threads * upserts // keys) for key in range(keys)]


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _wal_size(path: Path) -> int:
    wal = _wal(path)
    return wal.stat().st_size if wal.exists() else 0


def test_the_database_is_checkpointed_once_writes_pause(tmp_path: Path) -> None:
    path = tmp_path / "idle.duckdb"
    with Database(path, checkpoint_idle_seconds=0.5) as db:
        with db.transaction() as cursor:
            cursor.execute("CREATE TABLE t AS SELECT range AS i FROM range(20000)")
        assert _wal_size(path) > 0  # the commit is in the WAL, not yet in the file

        assert wait_until(lambda: _wal_size(path) == 0, timeout=15)
        assert db.query_one("SELECT count(*) FROM t") == (20000,)


def test_close_checkpoints_and_releases_the_file(tmp_path: Path) -> None:
    path = tmp_path / "closing.duckdb"
    db = Database(path, checkpoint_idle_seconds=3600)
    with db.transaction() as cursor:
        cursor.execute("CREATE TABLE t AS SELECT range AS i FROM range(1000)")
    assert _wal_size(path) > 0

    db.close()
    db.close()  # a second close is harmless

    assert _wal_size(path) == 0
    assert count_rows_in_another_process(path, "t") == 1000


def test_a_closed_database_says_so_in_every_thread(db: Database) -> None:
    assert _rows_seen_by_another_thread(db) == []  # that thread now has a cursor of its own
    db.close()
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            _rows(db)
        except BaseException as exc:  # collected, then asserted below
            outcome.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    reader.join()

    assert len(outcome) == 1 and isinstance(outcome[0], DatabaseOpenError)
    with pytest.raises(DatabaseOpenError, match="closed"):
        _rows(db)


def test_a_file_that_is_not_duckdb_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.duckdb"
    content = b"These are my notes, not a database.\n" * 200
    path.write_bytes(content)

    with pytest.raises(DatabaseOpenError) as caught:
        Database(path)

    assert str(path) in str(caught.value)
    assert "not a DuckDB database" in str(caught.value)
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.duckdb"]


def test_a_database_held_by_another_process_names_that_process(tmp_path: Path) -> None:
    path = tmp_path / "held.duckdb"
    with Database(path) as db:
        db.write(lambda cursor: cursor.execute("CREATE TABLE t (i INTEGER)"))

    with process_holding(path) as holder:
        with pytest.raises(DatabaseBusyError) as caught:
            Database(path)

    assert f"PID {holder.pid}" in str(caught.value)
    with Database(path) as db:  # once the other process has gone, it opens again
        assert db.query("SELECT count(*) FROM t") == [(0,)]


# -- commit listeners: how writes tell the cache what they changed ---------------------


class Heard:
    """A commit listener that records what it heard and whether the write was visible by then."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.tags: list[frozenset[str]] = []
        self.rows_seen: list[list[tuple[int, int]]] = []

    def __call__(self, tags: frozenset[str]) -> None:
        self.tags.append(tags)
        self.rows_seen.append(_rows_seen_by_another_thread(self.db))


def test_listeners_hear_every_touched_tag_once_the_outermost_transaction_committed(db: Database) -> None:
    heard = Heard(db)
    db.on_commit(heard)

    with db.transaction(touches={"table:kv"}) as cursor:
        cursor.execute("INSERT INTO kv VALUES (1, 10)")
        with db.transaction(touches=["dataset:sales"]) as inner:
            inner.execute("INSERT INTO kv VALUES (2, 20)")
        assert heard.tags == []  # nothing is committed yet
    db.write(lambda cursor: cursor.execute("UPDATE kv SET v = 11 WHERE k = 1"), touches="table:kv")

    assert heard.tags == [frozenset({"table:kv", "dataset:sales"}), frozenset({"table:kv"})]
    assert heard.rows_seen == [[(1, 10), (2, 20)], [(1, 11), (2, 20)]]  # committed before they were told


def test_a_transaction_that_rolls_back_or_touches_nothing_tells_no_one(db: Database) -> None:
    heard = Heard(db)
    db.on_commit(heard)

    with pytest.raises(RuntimeError):
        with db.transaction(touches={"table:kv"}) as cursor:
            cursor.execute("INSERT INTO kv VALUES (1, 10)")
            raise RuntimeError("cancelled")
    with pytest.raises(TransactionAbortedError):
        with db.transaction(touches={"table:kv"}) as cursor:
            try:
                cursor.execute("INSERT INTO missing_table VALUES (1)")
            except duckdb.Error:
                pass
    with db.transaction() as cursor:
        cursor.execute("INSERT INTO kv VALUES (3, 30)")

    assert heard.tags == []


def test_a_failing_listener_neither_fails_the_write_nor_silences_the_others(db: Database) -> None:
    heard = Heard(db)

    def broken(tags: frozenset[str]) -> None:
        raise RuntimeError("listener bug")

    db.on_commit(broken)
    db.on_commit(heard)

    db.write(lambda cursor: cursor.execute("INSERT INTO kv VALUES (1, 10)"), touches={"table:kv"})

    assert _rows(db) == [(1, 10)]
    assert heard.tags == [frozenset({"table:kv"})]


def test_an_unsubscribed_listener_hears_nothing_more(db: Database) -> None:
    heard = Heard(db)
    unsubscribe = db.on_commit(heard)

    db.write(lambda cursor: cursor.execute("INSERT INTO kv VALUES (1, 10)"), touches={"table:kv"})
    unsubscribe()
    db.write(lambda cursor: cursor.execute("INSERT INTO kv VALUES (2, 20)"), touches={"table:kv"})

    assert len(heard.tags) == 1


# -- non-exclusive transactions: long work that does not hold up other writes -------------------


def _in_thread(work) -> threading.Thread:  # noqa: ANN001 - any callable
    thread = threading.Thread(target=work)
    thread.start()
    return thread


def test_other_writes_commit_while_a_non_exclusive_transaction_is_open(db: Database) -> None:
    opened, release = threading.Event(), threading.Event()

    def long_import() -> None:
        with db.transaction(exclusive=False) as cursor:
            cursor.execute("CREATE TABLE imported AS SELECT range AS n FROM range(1000)")
            opened.set()
            assert release.wait(10)

    importer = _in_thread(long_import)
    assert opened.wait(10)
    writer = _in_thread(lambda: db.write(lambda cursor: cursor.execute("INSERT INTO kv VALUES (1, 10)")))
    writer.join(timeout=5)
    assert not writer.is_alive(), "a write waited for the open non-exclusive transaction"
    assert _rows_seen_by_another_thread(db) == [(1, 10)]
    assert "imported" not in {row[0] for row in db.query("SELECT table_name FROM duckdb_tables()")}

    release.set()
    importer.join(timeout=10)
    assert db.query("SELECT count(*) FROM imported") == [(1000,)]
    assert _rows(db) == [(1, 10)]


def test_a_before_commit_check_sees_what_others_committed_and_can_stop_the_commit(db: Database) -> None:
    opened, release, outcome = threading.Event(), threading.Event(), []

    def name_must_be_free() -> None:
        with db.fresh_cursor() as latest:
            if latest.execute("SELECT count(*) FROM kv WHERE k = 7").fetchall() != [(0,)]:
                raise ValueError("k=7 was taken meanwhile")

    def long_import() -> None:
        try:
            with db.transaction(exclusive=False) as cursor:
                db.before_commit(name_must_be_free)
                cursor.execute("CREATE TABLE imported AS SELECT 1 AS n")
                opened.set()
                assert release.wait(10)
        except ValueError as exc:
            outcome.append(str(exc))

    importer = _in_thread(long_import)
    assert opened.wait(10)
    db.write(lambda cursor: cursor.execute("INSERT INTO kv VALUES (7, 70)"))
    release.set()
    importer.join(timeout=10)

    assert outcome == ["k=7 was taken meanwhile"]
    assert "imported" not in {row[0] for row in db.query("SELECT table_name FROM duckdb_tables()")}


def test_a_non_exclusive_write_that_meets_a_newer_one_fails_and_keeps_nothing(db: Database) -> None:
    db.write(lambda cursor: cursor.execute("INSERT INTO kv VALUES (1, 10)"))
    with pytest.raises(duckdb.TransactionException, match="Conflict"):
        with db.transaction(exclusive=False) as cursor:
            cursor.execute("CREATE TABLE imported AS SELECT 1 AS n")
            _in_thread(lambda: db.write(lambda other: other.execute("UPDATE kv SET v = 12 WHERE k = 1"))).join(10)
            cursor.execute("UPDATE kv SET v = 11 WHERE k = 1")  # a row changed since this transaction began
    assert _rows(db) == [(1, 12)]
    assert "imported" not in {row[0] for row in db.query("SELECT table_name FROM duckdb_tables()")}


def test_no_idle_checkpoint_runs_while_a_non_exclusive_transaction_is_open(db: Database) -> None:
    db.write(lambda cursor: cursor.execute("INSERT INTO kv VALUES (1, 10)"))
    with db.transaction(exclusive=False) as cursor:
        cursor.execute("CREATE TABLE imported AS SELECT 1 AS n")
        assert not db.checkpoint_if_idle(0)
    assert db.checkpoint_if_idle(0)
    assert db.query("SELECT n FROM imported") == [(1,)]


def test_the_app_database_keeps_to_its_memory_setting_and_spills_what_does_not_fit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ROBUSTAPP_DB_MEMORY_MB", "256")
    services = bootstrap.build(load_settings())
    try:
        cursor = services.db.cursor()
        assert cursor.execute("SELECT current_setting('memory_limit')").fetchone()[0] == "244.1 MiB"  # 256 MB
        # Twelve million groups need more than 256 MB of hash table: the answer still comes, through the disk.
        groups = "SELECT count(*) FROM (SELECT range % 12000000 AS k, count(*) FROM range(24000000) GROUP BY k)"
        assert cursor.execute(groups).fetchone()[0] == 12_000_000
    finally:
        services.close()
