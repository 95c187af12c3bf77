"""The server's end of the link to its launcher: requests queued for the launcher's long poll.

    push("show")                 a later launch asked the window to come forward
    request_restore(id)          "restore:<id>"   the launcher stops us, restores, starts a new server
    choose_file(kind, …)         "dialog:<json>"  the launcher shows its window's file dialog and posts
                                 the answer (`answer`); the asking script run waits for it

Pushes come from any thread (a Streamlit script run, a route handler); the launcher's poll (`wait`)
runs on the event loop.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from robustapp.logs import get_logger
from robustapp.services.instance import DIALOG_EVENT, RESTORE_EVENT
from robustapp.services.launcher import DIALOG_TIMEOUT, DialogKind, FileDialog

log = get_logger(__name__)

_WAIT_SLICE = 0.1


@dataclass
class _Pending:
    done: threading.Event = field(default_factory=threading.Event)
    paths: list[str] | None = None


class LauncherLink:
    """Requests for the launcher of this server (see the module docstring)."""

    def __init__(self, *, has_window: bool, stopping: threading.Event) -> None:
        self._has_window = has_window
        self._stopping = stopping  # set when this server stops: pending waits end
        self._queue: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._dialogs: dict[str, _Pending] = {}
        self._lock = threading.Lock()

    @property
    def has_window(self) -> bool:
        return self._has_window

    def push(self, event: str) -> None:
        self._queue.put(event)

    def request_restore(self, backup_id: str) -> None:
        log.info("restore requested from the app", backup=backup_id)
        self.push(f"{RESTORE_EVENT}{backup_id}")

    def choose_file(self, kind: DialogKind, *, file_name: str = "", file_types: tuple[str, ...] = ()) -> Path | None:
        if not self._has_window:
            return None
        dialog = FileDialog(id=uuid.uuid4().hex, kind=kind, file_name=file_name, file_types=list(file_types))
        pending = _Pending()
        with self._lock:
            self._dialogs[dialog.id] = pending
        try:
            self.push(DIALOG_EVENT + dialog.model_dump_json())
            deadline = time.monotonic() + DIALOG_TIMEOUT
            while not pending.done.wait(_WAIT_SLICE * 5):
                if self._stopping.is_set() or time.monotonic() > deadline:
                    return None
        finally:
            with self._lock:
                self._dialogs.pop(dialog.id, None)
        return Path(pending.paths[0]) if pending.paths else None

    def answer(self, dialog_id: str, paths: list[str] | None) -> bool:
        """The launcher's answer to a dialog; False when nobody waits for it (any more)."""
        with self._lock:
            pending = self._dialogs.get(dialog_id)
        if pending is None:
            return False
        pending.paths = paths
        pending.done.set()
        return True

    async def wait(self, timeout: float) -> list[str]:
        """The queued events, waiting up to `timeout` for one; ["stopping"] once the server stops."""
        deadline = time.monotonic() + timeout
        while not self._stopping.is_set():
            events = self._drain()
            if events:
                return events
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            await asyncio.sleep(min(_WAIT_SLICE, remaining))
        return ["stopping"]

    def _drain(self) -> list[str]:
        events: list[str] = []
        while not self._queue.empty():
            events.append(self._queue.get_nowait())
        return events
