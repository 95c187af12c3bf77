"""Small helpers shared by the integration tests."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from robustapp.storage import Database


def wait_until(condition: Callable[[], bool], timeout: float = 15.0, interval: float = 0.05) -> bool:
    """Poll `condition` until it holds or `timeout` passes; return whether it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def robustapp(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run `python -m robustapp ARGS` the way a user does, with the test's environment."""
    return subprocess.run(
        [sys.executable, "-m", "robustapp", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env if env is not None else dict(os.environ),
        stdin=subprocess.DEVNULL,
    )


@contextmanager
def process_holding(db_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process that keeps `db_path` open in DuckDB until the block ends."""
    script = textwrap.dedent(
        f"""
        import sys, duckdb
        connection = duckdb.connect({str(db_path)!r})
        print("holding", flush=True)
        sys.stdin.read()
        connection.close()
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
        yield proc
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=30)
        assert proc.stdout is not None
        proc.stdout.close()


def count_rows_in_another_process(db_path: Path, table: str) -> int:
    """Open the file from a fresh process (proves the file is released and its data durable)."""
    script = f"import duckdb; print(duckdb.connect({str(db_path)!r}).execute('SELECT count(*) FROM {table}').fetchone()[0])"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    return int(result.stdout.strip())


@contextmanager
def app_database(path: Path) -> Iterator[Database]:
    """A migrated database whose commits drop the cached results under them, as bootstrap wires the app's."""
    from robustapp import cache
    from robustapp.storage import Database, migrate

    with Database(path) as database:
        migrate(database)
        database.on_commit(cache.current().invalidate_tags)
        yield database
