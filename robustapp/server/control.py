"""The control API: loopback-only, token-protected routes the CLI and the launcher use.

The AccessGate checks the token; these handlers only do the work.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from robustapp import bootstrap
from robustapp.logs import get_logger
from robustapp.server.backup_api import backup_routes
from robustapp.server.data_api import data_routes
from robustapp.server.jobs_api import jobs_routes
from robustapp.server.launcher_link import LauncherLink
from robustapp.services import activity, audit
from robustapp.services import health as health_service
from robustapp.services.audit import AuditFilter
from robustapp.services.instance import SHOW_EVENT

log = get_logger(__name__)


# Set when this process decides to stop: uvicorn's graceful shutdown waits for every open
# request, so pending long polls must end promptly instead of running out their timeout.
STOPPING = threading.Event()


def stop_this_process(reason: str) -> None:
    """Stop the server gracefully: uvicorn's signal path runs the lifespan's shutdown."""
    log.info("stopping the server", reason=reason)
    STOPPING.set()
    if sys.platform == "win32":
        signal.raise_signal(signal.SIGINT)
    else:
        os.kill(os.getpid(), signal.SIGTERM)


def request_shutdown(delay: float = 0.2) -> None:
    """Stop shortly after the current response has gone out."""
    STOPPING.set()
    asyncio.get_running_loop().call_later(delay, stop_this_process, "requested through the control API")


def control_routes(info: dict, link: LauncherLink) -> list[Route]:
    started = time.monotonic()

    async def status(_: Request) -> JSONResponse:
        services = bootstrap.services()
        body = await run_in_threadpool(health_service.status, services.db, services.paths)
        body.update(
            info,
            running=True,
            uptime_seconds=round(time.monotonic() - started, 1),
            activity=activity.snapshot(),
            jobs=services.jobs.counts(),
            cache={name: asdict(stats) for name, stats in services.cache.stats().items()},
        )
        return JSONResponse(body)

    async def health(_: Request) -> JSONResponse:
        services = bootstrap.services()
        report = await run_in_threadpool(health_service.health, services.db, services.paths)
        return JSONResponse(report.to_dict(), status_code=200 if report.ok else 503)

    async def seed(request: Request) -> JSONResponse:
        from robustapp.services import demo

        raw = request.query_params.get("rows", "1000")
        if not raw.isdigit() or not 1 <= int(raw) <= 10_000_000:
            return JSONResponse({"error": f"rows={raw!r}: expected a whole number from 1 to 10000000"}, 400)
        rows = int(raw)
        added = await run_in_threadpool(demo.seed, bootstrap.services().db, rows)
        return JSONResponse({"added": added})

    async def audit_verify(_: Request) -> JSONResponse:
        report = await run_in_threadpool(audit.verify, bootstrap.services().db)
        return JSONResponse(report.to_dict())

    async def audit_export(request: Request) -> JSONResponse:
        try:
            fmt, where = _export_params(request.query_params)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, 400)
        result = await run_in_threadpool(audit.render_export, bootstrap.services().db, fmt, where)
        return JSONResponse(result.to_dict())

    async def shutdown(_: Request) -> JSONResponse:
        request_shutdown()
        return JSONResponse({"stopping": True}, status_code=202)

    async def show(_: Request) -> JSONResponse:
        link.push(SHOW_EVENT)
        return JSONResponse({"queued": SHOW_EVENT}, status_code=202)

    async def desktop_events(request: Request) -> JSONResponse:
        timeout = min(float(request.query_params.get("timeout", 25)), 60.0)
        return JSONResponse({"events": await link.wait(timeout)})

    async def dialog_answer(request: Request) -> JSONResponse:
        try:
            body = await request.json()
            dialog_id, paths = str(body["id"]), body.get("paths")
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"error": 'expected {"id": …, "paths": [...] or null}'}, 400)
        if paths is not None and not (isinstance(paths, list) and all(isinstance(p, str) for p in paths)):
            return JSONResponse({"error": "paths: expected a list of strings or null"}, 400)
        taken = link.answer(dialog_id, paths)
        return JSONResponse({"taken": taken}, status_code=200 if taken else 404)

    return [
        Route("/api/status", status, methods=["GET"]),
        Route("/api/health", health, methods=["GET"]),
        Route("/api/db/seed", seed, methods=["POST"]),
        Route("/api/audit/verify", audit_verify, methods=["GET"]),
        Route("/api/audit/export", audit_export, methods=["GET"]),
        Route("/api/shutdown", shutdown, methods=["POST"]),
        Route("/api/desktop/show", show, methods=["POST"]),
        Route("/api/desktop/events", desktop_events, methods=["GET"]),
        Route("/api/desktop/dialog", dialog_answer, methods=["POST"]),
        *data_routes(),
        *jobs_routes(),
        *backup_routes(),
    ]


def _export_params(query: Mapping[str, str]) -> tuple[str, AuditFilter]:
    """?format=csv|json&scope=…&key=…&actor=…&since=…&until=… (naive-UTC ISO times, until exclusive)."""
    fmt = query.get("format", "csv")
    if fmt not in audit.FORMATS:
        raise ValueError(f"format={fmt!r}: expected one of {', '.join(audit.FORMATS)}")
    bounds: dict[str, datetime | None] = {}
    for name in ("since", "until"):
        raw = query.get(name)
        try:
            value = datetime.fromisoformat(raw) if raw else None
        except ValueError:
            raise ValueError(f"{name}={raw!r}: expected an ISO date-time in UTC, e.g. 2026-01-31T00:00:00") from None
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        bounds[name] = value
    return fmt, AuditFilter(scope=query.get("scope"), key=query.get("key"), actor=query.get("actor"), **bounds)
