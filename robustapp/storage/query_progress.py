"""Report a running DuckDB statement's progress, and let the report stop it.

caller thread:  with watching(cursor, on_progress) as watcher:  cursor.execute(long statement)
helper thread:  every 0.1 s  on_progress(cursor.query_progress() / 100)
                on_progress raises (e.g. a cancelled job)  ──▶  cursor.interrupt(); the caller re-raises it
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import duckdb


class Watcher:
    """What the helper thread leaves for the caller: the exception a progress report raised."""

    def __init__(self) -> None:
        self.stopped = threading.Event()
        self.request: BaseException | None = None

    def raise_request(self) -> None:
        """Re-raise, in the caller's thread, what `on_progress` raised in the helper thread."""
        if self.request is not None:
            raise self.request


@contextmanager
def watching(
    cursor: duckdb.DuckDBPyConnection, on_progress: Callable[[float], None], interval: float = 0.1
) -> Iterator[Watcher]:
    """Report the running statement's progress every `interval` s from a helper thread."""
    cursor.execute("SET enable_progress_bar = true")  # what query_progress() reads; never printed:
    cursor.execute("SET enable_progress_bar_print = false")
    watcher = Watcher()

    def watch() -> None:
        while not watcher.stopped.wait(interval):
            try:
                percent = cursor.query_progress()
                if percent >= 0:
                    on_progress(min(percent, 100.0) / 100)
            except BaseException as exc:  # e.g. JobCancelled: stop the statement, re-raise in the caller
                watcher.request = exc
                cursor.interrupt()
                return

    thread = threading.Thread(target=watch, name="robustapp-import-progress", daemon=True)
    thread.start()
    try:
        yield watcher
    finally:
        watcher.stopped.set()
        thread.join()
