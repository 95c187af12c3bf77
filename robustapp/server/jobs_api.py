"""Control API routes for background jobs: what the CLI and the benchmarks use while the app runs.

    GET  /api/jobs?state=…&name=…&limit=…          the newest jobs, live
    POST /api/jobs?name=…&params={json}&timeout=…  queue a registered job; {"id": …}
    GET  /api/jobs/{id}                            one job
    POST /api/jobs/{id}/cancel · /api/jobs/{id}/rerun

A refused request answers {"error": message, "kind": ErrorName}: 404 for an unknown id, 409 for a
request the job's state does not allow, 400 for an unknown job name or bad parameters.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from robustapp import bootstrap
from robustapp.errors import JobError, JobNotFoundError, JobParamsError, UnknownJobError
from robustapp.server.answers import answer

_STATUS = {JobNotFoundError: 404, UnknownJobError: 400, JobParamsError: 400, JobError: 409}


def _list(request: Request) -> list[dict[str, Any]]:
    query = request.query_params
    jobs = bootstrap.services().jobs.list_jobs(
        state=query.getlist("state") or None, name=query.get("name"), limit=int(query.get("limit", 50))
    )
    return [info.model_dump(mode="json") for info in jobs]


def _enqueue(request: Request) -> dict[str, int]:
    query = request.query_params
    params = json.loads(query.get("params") or "{}")
    if not isinstance(params, dict):
        raise ValueError(f"params must be a JSON object, not {query.get('params')!r}")
    timeout = float(query["timeout"]) if query.get("timeout") else None
    return {"id": bootstrap.services().jobs.enqueue(query["name"], job_timeout=timeout, **params)}


def _job_id(request: Request) -> int:
    return int(request.path_params["job_id"])


def _get(request: Request) -> dict[str, Any]:
    return bootstrap.services().jobs.poll(_job_id(request)).model_dump(mode="json")


def _cancel(request: Request) -> dict[str, Any]:
    return bootstrap.services().jobs.cancel(_job_id(request)).model_dump(mode="json")


def _rerun(request: Request) -> dict[str, int]:
    return {"id": bootstrap.services().jobs.rerun(_job_id(request))}


def jobs_routes() -> list[Route]:
    def route(path: str, work: Any, method: str) -> Route:
        return Route(path, answer(work, base=JobError, statuses=_STATUS), methods=[method])

    return [
        route("/api/jobs", _list, "GET"),
        route("/api/jobs", _enqueue, "POST"),
        route("/api/jobs/{job_id:int}", _get, "GET"),
        route("/api/jobs/{job_id:int}/cancel", _cancel, "POST"),
        route("/api/jobs/{job_id:int}/rerun", _rerun, "POST"),
    ]
