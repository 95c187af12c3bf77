"""SQL for job records: one row per job in `jobs`, params and result as JSON text, times in UTC.

    insert ──▶ queued ──save──▶ running ──save──▶ succeeded | failed | cancelled
    interrupt_running: at start, what a previous process left running becomes interrupted
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import duckdb

from robustapp.domain.jobs import JobInfo, JobState
from robustapp.storage.database import Database
from robustapp.storage.timestamps import aware, naive

_COLUMNS = (
    "id, name, kind, params, state, progress, message, result, error, traceback, "
    "created_at, started_at, finished_at, timeout_seconds, attempt, rerun_of, owner, pid"
)


def _to_json(value: Any) -> str:
    return json.dumps(value, allow_nan=False, ensure_ascii=False)


def _info(row: tuple) -> JobInfo:
    (id_, name, kind, params, state, progress, message, result, error, trace,
     created, started, finished, timeout, attempt, rerun_of, owner, pid) = row  # fmt: skip
    return JobInfo(
        id=id_, name=name, kind=kind, params=json.loads(params), state=JobState(state), progress=progress,
        message=message, result=json.loads(result) if result is not None else None, error=error,
        traceback=trace, created_at=aware(created), started_at=aware(started), finished_at=aware(finished),
        timeout=timeout, attempt=attempt, rerun_of=rerun_of, owner=owner, pid=pid,
    )  # fmt: skip


def insert(cursor: duckdb.DuckDBPyConnection, info: JobInfo) -> int:
    """Add a new job (its `id` is ignored); returns the id the database gave it."""
    row = cursor.execute(
        f"INSERT INTO jobs ({_COLUMNS}) VALUES (nextval('job_ids'), ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, "
        "?, NULL, NULL, ?, ?, ?, ?, NULL) RETURNING id",
        [info.name, info.kind, _to_json(info.params), info.state.value, info.progress, info.message,
         naive(info.created_at), info.timeout, info.attempt, info.rerun_of, info.owner],
    ).fetchone()  # fmt: skip
    assert row is not None
    return int(row[0])


def save(cursor: duckdb.DuckDBPyConnection, jobs: Sequence[JobInfo]) -> None:
    """Write the changing fields of each job."""
    for info in jobs:
        cursor.execute(
            "UPDATE jobs SET state = ?, progress = ?, message = ?, result = ?, error = ?, traceback = ?, "
            "started_at = ?, finished_at = ?, pid = ? WHERE id = ?",
            [info.state.value, info.progress, info.message,
             _to_json(info.result) if info.result is not None else None, info.error, info.traceback,
             naive(info.started_at), naive(info.finished_at), info.pid, info.id],
        )  # fmt: skip


def get(db: Database, job_id: int) -> JobInfo | None:
    row = db.query_one(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", [job_id])
    return _info(row) if row else None


def newest(
    db: Database, *, states: Sequence[JobState] = (), owner: str | None = None, name: str | None = None, limit: int = 50
) -> list[JobInfo]:
    """The newest jobs first, optionally only in `states`, of `owner` and of the job `name`."""
    where, params = [], []
    if name is not None:
        where.append("name = ?")
        params.append(name)
    if states:
        where.append(f"state IN ({', '.join('?' for _ in states)})")
        params.extend(state.value for state in states)
    if owner is not None:
        where.append("owner = ?")
        params.append(owner)
    clause = f"WHERE {' AND '.join(where)} " if where else ""
    rows = db.query(f"SELECT {_COLUMNS} FROM jobs {clause}ORDER BY id DESC LIMIT ?", [*params, limit])
    return [_info(row) for row in rows]


def queued(db: Database) -> list[JobInfo]:
    """Every queued job, oldest first (the order they run in)."""
    rows = db.query(f"SELECT {_COLUMNS} FROM jobs WHERE state = ? ORDER BY id", [JobState.QUEUED.value])
    return [_info(row) for row in rows]


def interrupt_running(cursor: duckdb.DuckDBPyConnection, *, reason: str, at: datetime) -> list[int]:
    """Mark every job recorded as running as interrupted; returns their ids."""
    rows = cursor.execute(
        "UPDATE jobs SET state = ?, error = ?, finished_at = ? WHERE state = ? RETURNING id",
        [JobState.INTERRUPTED.value, reason, naive(at), JobState.RUNNING.value],
    ).fetchall()
    return sorted(int(row[0]) for row in rows)


def prune_finished(cursor: duckdb.DuckDBPyConnection, *, keep: int) -> int:
    """Delete the finished jobs older than the newest `keep` of them; how many went."""
    finished = [state.value for state in JobState if state.is_finished]
    marks = ", ".join("?" for _ in finished)
    rows = cursor.execute(
        f"DELETE FROM jobs WHERE state IN ({marks}) AND id NOT IN "
        f"(SELECT id FROM jobs WHERE state IN ({marks}) ORDER BY id DESC LIMIT ?) RETURNING id",
        [*finished, *finished, keep],
    ).fetchall()
    return len(rows)
