"""Control API routes for datasets: the CLI's `robustapp data …` while the app owns the database.

    GET  /api/data                                          the live datasets
    POST /api/data/import?path=…&name=…&replace=1&options={json}   import (in this process), the DatasetInfo
    POST /api/data/rename?old=…&new=…   · /api/data/delete?name=…   · /api/data/restore?name=…

A refused request answers {"error": message, "kind": ErrorName} with 400 (bad input), 404 (no such
dataset) or 409 (the name is taken), so the CLI can show the same `ErrorName: message` as offline.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from robustapp import bootstrap
from robustapp.domain.datasets import ImportOptions
from robustapp.errors import DatasetError, DatasetNameTaken, DatasetNotFound
from robustapp.server.answers import answer
from robustapp.services import datasets

_STATUS = {DatasetNotFound: 404, DatasetNameTaken: 409}


def _answer(work: Callable[[Request], Any]) -> Callable[[Request], Awaitable[JSONResponse]]:
    return answer(work, base=DatasetError, statuses=_STATUS)


def _list(_: Request) -> list[dict]:
    return [info.model_dump(mode="json") for info in datasets.list_datasets(bootstrap.services().db)]


def _import(request: Request) -> dict:
    query = request.query_params
    options = ImportOptions.model_validate(json.loads(query.get("options") or "{}"))
    services = bootstrap.services()
    info = datasets.import_file(
        services.db,
        query["path"],
        options,
        name=query.get("name") or None,
        replace=query.get("replace") in ("1", "true"),
        temp_dir=services.paths.temp_dir,
    )
    return info.model_dump(mode="json")


def _rename(request: Request) -> dict:
    query = request.query_params
    return datasets.rename_dataset(bootstrap.services().db, query["old"], query["new"]).model_dump(mode="json")


def _delete(request: Request) -> dict:
    return datasets.delete_dataset(bootstrap.services().db, request.query_params["name"]).model_dump(mode="json")


def _restore(request: Request) -> dict:
    return datasets.restore_dataset(bootstrap.services().db, request.query_params["name"]).model_dump(mode="json")


def data_routes() -> list[Route]:
    return [
        Route("/api/data", _answer(_list), methods=["GET"]),
        Route("/api/data/import", _answer(_import), methods=["POST"]),
        Route("/api/data/rename", _answer(_rename), methods=["POST"]),
        Route("/api/data/delete", _answer(_delete), methods=["POST"]),
        Route("/api/data/restore", _answer(_restore), methods=["POST"]),
    ]
