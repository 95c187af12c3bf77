"""Control API routes for backups: how `robustapp backup create` backs up a running app.

    GET  /api/backups                  the finished backups, newest first
    POST /api/backups?name=…&to=DIR    queue the backup job; {"job": id} (follow it at /api/jobs/{id})

The snapshot is made inside this process (the only one that may open the database), as a DB job
with progress. A restore has no route: it replaces the database file, so it runs only while the
app is stopped. A refused request answers {"error": message, "kind": ErrorName}: 409 while a
backup is already being made, 400 for a bad folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from robustapp import bootstrap
from robustapp.errors import BackupBusyError, BackupError
from robustapp.server.answers import answer
from robustapp.services import backups

_STATUS = {BackupBusyError: 409}


def _list(_: Request) -> list[dict[str, Any]]:
    return [info.model_dump(mode="json") for info in backups.list_backups(bootstrap.services().paths)]


def _create(request: Request) -> dict[str, int]:
    query = request.query_params
    folder = query.get("to")
    if folder and not Path(folder).is_absolute():
        raise BackupError(f"to={folder!r}: the folder must be an absolute path")
    jobs = bootstrap.services().jobs
    return {"job": backups.queue_backup(jobs, name=query.get("name"), folder=Path(folder) if folder else None)}


def backup_routes() -> list[Route]:
    return [
        Route("/api/backups", answer(_list, base=BackupError, statuses=_STATUS), methods=["GET"]),
        Route("/api/backups", answer(_create, base=BackupError, statuses=_STATUS), methods=["POST"]),
    ]
