"""Structured logging: JSON lines to a rotating file, readable lines on the console in dev.

Every log line carries the trace id bound for the current script run, job or CLI command
(`trace_context`), so one id finds everything one action did.
"""

from __future__ import annotations

import logging
import logging.handlers
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import structlog

_SHARED_PROCESSORS: list[structlog.typing.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]
_configured_file: Path | None = None


def new_trace_id() -> str:
    """A short random id that names one action in logs and error panels."""
    return secrets.token_hex(6)


def configure_logging(log_file: Path, *, level: str = "INFO", console: bool = False) -> None:
    """Send every log record (ours and the libraries') to `log_file` as JSON; idempotent."""
    global _configured_file
    root = logging.getLogger()
    if _configured_file == log_file:
        root.setLevel(level)
        return
    log_file.parent.mkdir(parents=True, exist_ok=True)
    for handler in list(root.handlers):
        if getattr(handler, "_robustapp", False):
            root.removeHandler(handler)
            handler.close()

    file_handler = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=5_000_000, backupCount=5, encoding="utf-8", delay=True
    )
    file_handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=_SHARED_PROCESSORS,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    handlers: list[logging.Handler] = [file_handler]
    if console:
        console_handler = logging.StreamHandler()
        console_handler.setFormatter(
            structlog.stdlib.ProcessorFormatter(
                foreign_pre_chain=_SHARED_PROCESSORS,
                processors=[
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.dev.ConsoleRenderer(colors=False),
                ],
            )
        )
        handlers.append(console_handler)
    for handler in handlers:
        handler._robustapp = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)

    structlog.configure(
        processors=[*_SHARED_PROCESSORS, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    _configured_file = log_file


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)


@contextmanager
def trace_context(trace_id: str | None = None, **values: object) -> Iterator[str]:
    """Bind a trace id (and any other values) to every log line in this block."""
    trace_id = trace_id or new_trace_id()
    with structlog.contextvars.bound_contextvars(trace_id=trace_id, **values):
        yield trace_id
