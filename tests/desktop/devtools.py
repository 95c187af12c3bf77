"""Look into the real window's page: Qt WebEngine's DevTools protocol (QTWEBENGINE_REMOTE_DEBUGGING).

Playwright cannot attach to Qt WebEngine (it refuses browser-context management), so this speaks the
protocol's one command the tests need, Runtime.evaluate, over the page's WebSocket: read what the window
shows, and click what a user would click.
"""

from __future__ import annotations

import itertools
import json
import socket
import urllib.request
from typing import Any

from websockets.sync.client import connect

from tests.integration.helpers import wait_until

ENV = "QTWEBENGINE_REMOTE_DEBUGGING"
_POLL = 0.2


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class WindowPage:
    """The page shown in the window whose DevTools listen on `port`."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._ids = itertools.count(1)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page shown now (None while there is none)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=5) as answer:
                targets = [t for t in json.load(answer) if t.get("type") == "page"]
        except OSError:
            return None
        if not targets:
            return None
        message_id = next(self._ids)
        request = {"id": message_id, "method": "Runtime.evaluate",
                   "params": {"expression": expression, "returnByValue": True}}  # fmt: skip
        try:
            with connect(targets[0]["webSocketDebuggerUrl"], open_timeout=5, close_timeout=2) as ws:
                ws.send(json.dumps(request))
                while True:
                    reply = json.loads(ws.recv(timeout=10))
                    if reply.get("id") == message_id:
                        return reply.get("result", {}).get("result", {}).get("value")
        except (OSError, TimeoutError, ValueError):
            return None

    def text(self) -> str:
        return self.evaluate("document.body ? document.body.innerText : ''") or ""

    def wait_for_text(self, wanted: str, timeout: float = 60.0) -> str:
        """The page's text once it contains `wanted`."""
        assert wait_until(lambda: wanted in self.text(), timeout, _POLL), (
            f"the window never showed {wanted!r}; it shows:\n{self.text()[:2000]}"
        )
        return self.text()

    def wait_for_element(self, selector: str, timeout: float = 60.0) -> None:
        """Wait until the page has an element matching the CSS `selector`."""
        found = f"!!document.querySelector({json.dumps(selector)})"
        assert wait_until(lambda: self.evaluate(found) is True, timeout, _POLL), (
            f"{selector} never appeared; the window shows:\n{self.text()[:1500]}"
        )

    def wait_for_value(self, selector: str, wanted: str, timeout: float = 30.0) -> None:
        """Wait until the input at the CSS `selector` holds `wanted` (as the user sees it)."""
        value = f"(e => e && e.value)(document.querySelector({json.dumps(selector)}))"
        assert wait_until(lambda: self.evaluate(value) == wanted, timeout, _POLL), (
            f"{selector} shows {self.evaluate(value)!r}, not {wanted!r}"
        )

    def click(self, selector: str) -> None:
        clicked = self.evaluate(f"(e => e ? (e.click(), true) : false)(document.querySelector({json.dumps(selector)}))")
        assert clicked, f"nothing to click at {selector} in the window"
