"""Stop signals (Ctrl+C, SIGTERM, a closed terminal) routed to one callback: the same path as closing the window.

Python runs signal handlers only between bytecodes of the main thread. While Qt's event loop owns that
thread, pywebview's Qt backend keeps a 500 ms timer calling into Python, so a handler runs within about
half a second. pywebview also installs its own SIGINT handler when its loop starts (it quits the loop
without closing the window); `install()` is called again from the GUI thread to take SIGINT back.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

STOP_SIGNALS: tuple[signal.Signals, ...] = (
    (signal.SIGINT, signal.SIGTERM)
    if sys.platform == "win32"
    else (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
)


class StopSignals:
    """While active, every stop signal calls `on_stop(signal_name)` instead of killing the process."""

    def __init__(self, on_stop: Callable[[str], None]) -> None:
        self._on_stop = on_stop
        self._previous: dict[signal.Signals, Any] = {}

    def install(self) -> None:
        """(Re)install the handlers; a no-op off the main thread, where Python refuses handlers."""
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in STOP_SIGNALS:
            previous = signal.signal(signum, self._handle)
            self._previous.setdefault(signum, previous)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self._on_stop(signal.Signals(signum).name)

    def __enter__(self) -> StopSignals:
        self.install()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, signal.SIG_DFL if previous is None else previous)
        self._previous.clear()
