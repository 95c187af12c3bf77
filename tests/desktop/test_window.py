"""The window's shutdown: nothing pywebview left waiting on the closed window may keep the process alive."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any

from robustapp.desktop.window import _release_stranded_calls


class _QtBrowserView:
    """Just the part of pywebview's Qt BrowserView at stake: evaluate_js waits for the GUI thread's answer."""

    def __init__(self) -> None:
        self._js_results: dict[str, dict[str, Any]] = {}

    def evaluate_js(self, call_id: str) -> Any:
        semaphore = threading.Semaphore(0)
        self._js_results[call_id] = {"semaphore": semaphore, "result": "", "parse_json": False}
        semaphore.acquire()  # as pywebview does: no timeout
        result = self._js_results[call_id]["result"]
        del self._js_results[call_id]
        return result


def test_javascript_calls_left_waiting_by_a_closed_window_are_answered() -> None:
    native = _QtBrowserView()
    results: list[Any] = []

    def page_load_helper(delay: float, call_id: str) -> None:  # pywebview's generate_js_object thread
        time.sleep(delay)
        results.append(native.evaluate_js(call_id))

    helpers = [
        threading.Thread(target=page_load_helper, args=(0, "waiting")),
        # reached the window just before it closed: registers its call only after the first release
        threading.Thread(target=page_load_helper, args=(0.2, "late")),
    ]
    for helper in helpers:
        helper.start()
    time.sleep(0.05)

    started = time.monotonic()
    _release_stranded_calls(SimpleNamespace(native=native))  # type: ignore[arg-type]

    assert time.monotonic() - started < 1.5
    for helper in helpers:
        helper.join(timeout=1)
        assert not helper.is_alive(), "a helper thread still waits: the process would never exit"
    assert results == [None, None]
    assert native._js_results == {}
