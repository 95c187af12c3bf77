"""The access gate: a pure-ASGI middleware in front of every request and websocket.

    /_stcore/health             open (reveals nothing; the launcher polls it)
    /api/…                      loopback clients with `Authorization: Bearer <token>` only
    GET …?token=<secret>        sets an HttpOnly SameSite=Strict cookie, redirects without it
    anything else               needs that cookie: 403 (http) or a closed websocket otherwise

The per-launch secret keeps other local users and web pages that probe localhost away
from the app and its data.
"""

from __future__ import annotations

import hmac
import ipaddress
from urllib.parse import parse_qsl, quote, urlencode

from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

COOKIE_NAME = "robustapp_session"
OPEN_PATHS = frozenset({"/_stcore/health", "/healthz"})
_FORBIDDEN_PAGE = (
    b"<!doctype html><title>robustapp</title><body style='font-family:sans-serif;padding:2em'>"
    b"<h1>Access denied</h1><p>This app opens only from its own window or from the URL that "
    b"<code>robustapp run --headless</code> printed.</p></body>"
)


def _headers(scope: Scope) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw_key, raw_value in scope.get("headers", []):
        key, value = raw_key.decode("latin-1").lower(), raw_value.decode("latin-1")
        # A client may split its cookies over several Cookie headers.
        headers[key] = f"{headers[key]}; {value}" if key == "cookie" and key in headers else value
    return headers


def cookie_name(scope: Scope) -> str:
    """The session cookie's name for this server: per port, since cookies ignore ports and two
    instances (e.g. two data homes) on one machine must not overwrite each other's cookie."""
    server = scope.get("server")
    return f"{COOKIE_NAME}_{server[1]}" if server else COOKIE_NAME


def _is_loopback(scope: Scope) -> bool:
    client = scope.get("client")
    if not client:
        return False
    try:
        return ipaddress.ip_address(client[0]).is_loopback
    except ValueError:
        return client[0] == "localhost"


class AccessGate:
    """Admit only requests that carry the per-launch secret (see the module docstring)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._token = token

    def _matches(self, candidate: str | None) -> bool:
        return bool(candidate) and hmac.compare_digest(candidate.encode(), self._token.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if path in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        if path.startswith("/api/"):
            await self._gate_api(scope, receive, send, headers)
            return
        # Lenient parsing: browsers send every localhost cookie (any port) here, and one
        # malformed cookie from another local app must not hide ours (SimpleCookie would).
        cookies = cookie_parser(headers.get("cookie", ""))
        if self._matches(cookies.get(cookie_name(scope))):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "http":
            query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
            token = next((v for k, v in query if k == "token"), None)
            if scope["method"] in ("GET", "HEAD") and self._matches(token):
                await self._admit(scope, send, [(k, v) for k, v in query if k != "token"])
                return
            await _respond(send, 403, _FORBIDDEN_PAGE, b"text/html; charset=utf-8")
            return
        await _close_websocket(receive, send)

    async def _gate_api(self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]) -> None:
        if not _is_loopback(scope):
            await _respond(send, 403, b'{"error": "the control API answers loopback clients only"}')
            return
        scheme, _, credential = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not self._matches(credential.strip()):
            await _respond(send, 401, b'{"error": "missing or wrong control token"}')
            return
        await self.app(scope, receive, send)

    async def _admit(self, scope: Scope, send: Send, query: list[tuple[str, str]]) -> None:
        path = scope.get("root_path", "") + scope.get("path", "/")
        # Percent-encode (header bytes are latin-1) and keep it on this host: "//x" is another site.
        location = "/" + quote(path, safe="/:@!$&'()*+,;=-._~").lstrip("/")
        if query:
            location += "?" + urlencode(query)
        cookie = f"{cookie_name(scope)}={self._token}; Path=/; HttpOnly; SameSite=Strict"
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [
                    (b"location", location.encode("latin-1")),
                    (b"set-cookie", cookie.encode("latin-1")),
                    (b"cache-control", b"no-store"),
                    (b"content-length", b"0"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})


async def _respond(send: Send, status: int, body: bytes, content_type: bytes = b"application/json") -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _close_websocket(receive: Receive, send: Send) -> None:
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close", "code": 1008, "reason": "access denied"})
