"""The control API: loopback-only, token-protected routes the CLI and the launcher use.

The AccessGate checks the token; these handlers only do the work.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from robustapp import bootstrap
from robustapp.logs import get_logger
from robustapp.services import activity
from robustapp.services import health as health_service

log = get_logger(__name__)


class DesktopEvents:
    """Requests for the desktop window (e.g. "show" from a second launch), long-polled by the launcher."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[str] = asyncio.Queue()

    def push(self, event: str) -> None:
        self._queue.put_nowait(event)

    async def wait(self, timeout: float) -> list[str]:
        try:
            events = [await asyncio.wait_for(self._queue.get(), timeout)]
        except TimeoutError:
            return []
        while not self._queue.empty():
            events.append(self._queue.get_nowait())
        return events


def request_shutdown(delay: float = 0.2) -> None:
    """Stop the server gracefully (uvicorn's signal path runs the lifespan's shutdown)."""

    def _signal() -> None:
        log.info("shutdown requested through the control API")
        if sys.platform == "win32":
            signal.raise_signal(signal.SIGINT)
        else:
            os.kill(os.getpid(), signal.SIGTERM)

    asyncio.get_running_loop().call_later(delay, _signal)


def control_routes(info: dict, events: DesktopEvents) -> list[Route]:
    started = time.monotonic()

    async def status(_: Request) -> JSONResponse:
        services = bootstrap.services()
        body = await run_in_threadpool(health_service.status, services.db, services.paths)
        body.update(
            info,
            running=True,
            uptime_seconds=round(time.monotonic() - started, 1),
            activity=activity.snapshot(),
        )
        return JSONResponse(body)

    async def health(_: Request) -> JSONResponse:
        services = bootstrap.services()
        report = await run_in_threadpool(health_service.health, services.db, services.paths)
        return JSONResponse(report.to_dict(), status_code=200 if report.ok else 503)

    async def seed(request: Request) -> JSONResponse:
        from robustapp.services import demo

        rows = int(request.query_params.get("rows", 1000))
        added = await run_in_threadpool(demo.seed, bootstrap.services().db, rows)
        return JSONResponse({"added": added})

    async def shutdown(_: Request) -> JSONResponse:
        request_shutdown()
        return JSONResponse({"stopping": True}, status_code=202)

    async def show(_: Request) -> JSONResponse:
        events.push("show")
        return JSONResponse({"queued": "show"}, status_code=202)

    async def desktop_events(request: Request) -> JSONResponse:
        timeout = min(float(request.query_params.get("timeout", 25)), 60.0)
        return JSONResponse({"events": await events.wait(timeout)})

    return [
        Route("/api/status", status, methods=["GET"]),
        Route("/api/health", health, methods=["GET"]),
        Route("/api/db/seed", seed, methods=["POST"]),
        Route("/api/shutdown", shutdown, methods=["POST"]),
        Route("/api/desktop/show", show, methods=["POST"]),
        Route("/api/desktop/events", desktop_events, methods=["GET"]),
    ]
