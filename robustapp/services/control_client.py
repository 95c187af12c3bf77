"""Talk to a running app's control API (stdlib only, so the CLI starts fast)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from robustapp.errors import ControlAPIError
from robustapp.services.instance import RunningApp


class ControlClient:
    """Authenticated requests to `/api/…` of the running server."""

    def __init__(self, app: RunningApp, timeout: float = 10.0) -> None:
        self.app = app
        self.timeout = timeout

    def request(self, method: str, path: str, *, timeout: float | None = None, body: Any = None) -> tuple[int, Any]:
        """(status, the answer's JSON); `body`, if given, is sent as JSON."""
        headers = {"Authorization": f"Bearer {self.app.token}", "Accept": "application/json"}
        data = b"" if method == "POST" else None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        req = urllib.request.Request(self.app.base_url + path, method=method, headers=headers, data=data)
        try:
            with urllib.request.urlopen(req, timeout=timeout or self.timeout) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            body = exc.read()
            try:
                return exc.code, json.loads(body)
            except ValueError:
                raise ControlAPIError(f"{method} {path} answered {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise ControlAPIError(f"cannot reach the running app at {self.app.base_url}: {exc}") from None

    def get(self, path: str, **kwargs: Any) -> Any:
        status, body = self.request("GET", path, **kwargs)
        if status >= 400 and status != 503:
            raise ControlAPIError(f"GET {path} answered {status}: {body}")
        return body

    def post(self, path: str, **kwargs: Any) -> Any:
        status, body = self.request("POST", path, **kwargs)
        if status >= 400:
            raise ControlAPIError(f"POST {path} answered {status}: {body}")
        return body


def is_healthy(base_url: str, timeout: float = 2.0) -> bool:
    """True when the server answers its open health endpoint."""
    try:
        with urllib.request.urlopen(base_url + "/_stcore/health", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, TimeoutError, ConnectionError):
        return False
