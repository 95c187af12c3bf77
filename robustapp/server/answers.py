"""How the control API's routes answer: the work runs on a thread, a refusal is JSON the CLI understands.

    handler = answer(work, refusals={DatasetNotFound: 404, DatasetNameTaken: 409}, base=DatasetError)
    work(request) ──▶ 200 {result}
                 ──▶ an error of `base` ──▶ {"error": message, "kind": ErrorName}, 404/409/…, else 400
                 ──▶ a missing or malformed parameter ──▶ 400 {"error": "bad request: …", "kind": "ControlAPIError"}
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse


def refusal(exc: Exception, statuses: Mapping[type[Exception], int]) -> JSONResponse:
    status = next((code for kind, code in statuses.items() if isinstance(exc, kind)), 400)
    return JSONResponse({"error": str(exc), "kind": type(exc).__name__}, status)


def answer(
    work: Callable[[Request], Any],
    *,
    base: type[Exception],
    statuses: Mapping[type[Exception], int],
) -> Callable[[Request], Awaitable[JSONResponse]]:
    """Run `work(request)` on a thread (it may write to DuckDB); an error of `base` becomes a refusal."""

    async def handler(request: Request) -> JSONResponse:
        try:
            return JSONResponse(await run_in_threadpool(work, request))
        except base as exc:
            return refusal(exc, statuses)
        except (KeyError, ValueError, ValidationError) as exc:  # a missing or malformed parameter
            return JSONResponse({"error": f"bad request: {exc}", "kind": "ControlAPIError"}, 400)

    return handler
