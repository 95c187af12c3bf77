"""Job functions only the tests use. Worker processes import this module by name, like any
job module, so it imports nothing but what a job module may: no database, no services."""

from __future__ import annotations

import sys
from typing import Any

from robustapp.jobs import Progress, job


@job("test.loaded_modules")
def loaded_modules(progress: Progress) -> list[str]:
    """The top-level packages and robustapp modules a worker has imported."""
    return sorted({name for name in sys.modules if name.startswith("robustapp.") or "." not in name})


@job("test.not_json")
def not_json(progress: Progress) -> object:
    """Return something JSON cannot hold."""
    return {1, 2, 3}


@job("test.exits")
def exits(progress: Progress) -> None:
    """Call sys.exit inside a job."""
    sys.exit(3)


@job("test.db_fails", kind="db")
def db_fails(cursor: Any, progress: Progress) -> None:
    """A DB task whose query is wrong."""
    cursor.execute("SELECT * FROM no_such_table")


@job("test.db_count", kind="db")
def db_count(cursor: Any, progress: Progress, *, table: str) -> int:
    """Count the rows of one of the app's tables (a DB task sees the database)."""
    row = cursor.execute(f'SELECT count(*) FROM "{table}"').fetchone()
    return int(row[0])
