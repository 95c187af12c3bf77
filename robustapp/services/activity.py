"""Counts of what the UI did in this process, reported by `/api/status` (and read by tests)."""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass


@dataclass
class Activity:
    script_runs: int = 0
    last_page: str = ""
    last_run_at: float = 0.0


_activity = Activity()
_lock = threading.Lock()


def record_script_run(page: str) -> None:
    with _lock:
        _activity.script_runs += 1
        _activity.last_page = page
        _activity.last_run_at = time.time()


def snapshot() -> dict:
    with _lock:
        return asdict(_activity)
