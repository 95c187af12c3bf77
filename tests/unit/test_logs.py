"""Logging: JSON lines in the log file, each carrying the trace id of the action that wrote it."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from robustapp.logs import configure_logging, get_logger, new_trace_id, trace_context


@pytest.fixture(autouse=True)
def _restore_root_level() -> Iterator[None]:
    level = logging.getLogger().level
    yield
    logging.getLogger().setLevel(level)


def _lines(log_file: Path) -> list[dict]:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return [json.loads(line) for line in log_file.read_text(encoding="utf-8").splitlines()]


def test_log_lines_are_json_and_carry_the_trace_id(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "robustapp.log"
    configure_logging(log_file, level="INFO")

    with trace_context(command="test") as trace_id:
        get_logger("robustapp.test").info("imported rows", rows=3)
    get_logger("robustapp.test").info("outside")

    inside, outside = _lines(log_file)[-2:]
    assert inside["event"] == "imported rows"
    assert inside["rows"] == 3
    assert inside["trace_id"] == trace_id
    assert inside["command"] == "test"
    assert inside["level"] == "info"
    assert "trace_id" not in outside


def test_library_log_records_reach_the_file_and_the_level_filters(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "robustapp.log"
    configure_logging(log_file, level="WARNING")
    configure_logging(log_file, level="WARNING")  # idempotent: one handler, one line per record

    logging.getLogger("some.library").info("too chatty")
    logging.getLogger("some.library").warning("disk is slow")

    lines = _lines(log_file)
    assert [line["event"] for line in lines] == ["disk is slow"]
    assert lines[0]["logger"] == "some.library"


def test_trace_ids_are_short_and_distinct() -> None:
    ids = {new_trace_id() for _ in range(100)}

    assert len(ids) == 100
    assert all(len(trace_id) == 12 for trace_id in ids)
