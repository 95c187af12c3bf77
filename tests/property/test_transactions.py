"""Any mix of committed and failed transactions leaves exactly the committed effects."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from robustapp.errors import TransactionAbortedError
from robustapp.storage import Database

KEYS = st.integers(min_value=0, max_value=9)
WRITES = st.lists(st.tuples(KEYS, st.integers(min_value=-1000, max_value=1000)), min_size=1, max_size=5)
# (writes, nested writes, how it ends)
TRANSACTIONS = st.lists(
    st.tuples(WRITES, st.lists(st.tuples(KEYS, st.integers()), max_size=3), st.sampled_from(["ok", "raise", "inner"])),
    max_size=8,
)


class Rejected(Exception):
    """Raised on purpose by a transaction that must leave no trace."""


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    with Database(tmp_path_factory.mktemp("prop") / "prop.duckdb") as database:
        with database.transaction() as cursor:
            cursor.execute("CREATE TABLE kv (k INTEGER PRIMARY KEY, v BIGINT NOT NULL)")
        yield database


def _upsert(cursor, key: int, value: int) -> None:
    cursor.execute("INSERT INTO kv VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v", [key, value])


@settings(max_examples=40, deadline=None, database=None)
@given(transactions=TRANSACTIONS)
def test_only_committed_transactions_leave_effects(db: Database, transactions) -> None:
    with db.transaction() as cursor:
        cursor.execute("DELETE FROM kv")
    expected: dict[int, int] = {}

    for writes, nested, ending in transactions:
        pending = dict(expected)
        try:
            with db.transaction() as cursor:
                for key, value in writes:
                    _upsert(cursor, key, value)
                    pending[key] = value
                try:
                    with db.transaction() as inner:
                        for key, value in nested:
                            _upsert(inner, key, value % 2**31)
                            pending[key] = value % 2**31
                        if ending == "inner":
                            raise Rejected
                except Rejected:
                    pass  # caught by the outer block: the whole transaction must still go
                if ending == "raise":
                    raise Rejected
        except (Rejected, TransactionAbortedError):
            continue
        assert ending == "ok"
        expected = pending

    assert dict(db.query("SELECT k, v FROM kv")) == expected


@settings(max_examples=25, deadline=None, database=None)
@given(values=st.lists(st.integers(min_value=-(2**40), max_value=2**40), min_size=1, max_size=20))
def test_write_keeps_the_last_value_of_each_key(tmp_path_factory: pytest.TempPathFactory, values: list[int]) -> None:
    path: Path = tmp_path_factory.mktemp("last") / "last.duckdb"
    with Database(path) as db:
        db.write(lambda cursor: cursor.execute("CREATE TABLE kv (k INTEGER PRIMARY KEY, v BIGINT NOT NULL)"))
        for index, value in enumerate(values):
            db.write(lambda cursor, key=index % 3, value=value: _upsert(cursor, key, value))

        expected = {index % 3: value for index, value in enumerate(values)}
        assert dict(db.query("SELECT k, v FROM kv")) == expected
