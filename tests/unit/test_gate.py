"""The access gate, driven with plain ASGI calls against a tiny app behind it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from robustapp.server.gate import COOKIE_NAME, AccessGate

SERVER_PORT = 8501
OUR_COOKIE = f"{COOKIE_NAME}_{SERVER_PORT}"

TOKEN = "per-launch-s3cret"
LOOPBACK = ("127.0.0.1", 50000)


@dataclass
class Reply:
    """What the client saw."""

    messages: list[dict] = field(default_factory=list)
    app_saw: list[dict] = field(default_factory=list)

    @property
    def status(self) -> int:
        return next(m["status"] for m in self.messages if m["type"] == "http.response.start")

    @property
    def headers(self) -> dict[str, str]:
        start = next(m for m in self.messages if m["type"] == "http.response.start")
        return {k.decode("latin-1"): v.decode("latin-1") for k, v in start["headers"]}

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.messages if m["type"] == "http.response.body")


def _call(
    path: str,
    *,
    query: str = "",
    method: str = "GET",
    headers: list[tuple[str, str]] = (),  # type: ignore[assignment]
    client: tuple[str, int] | None = LOOPBACK,
    kind: str = "http",
) -> Reply:
    reply = Reply()

    async def inner(scope, receive, send) -> None:
        reply.app_saw.append(scope)
        if scope["type"] == "websocket":
            await receive()
            await send({"type": "websocket.accept"})
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"inner app"})

    incoming = [{"type": "websocket.connect"}] if kind == "websocket" else [{"type": "http.request", "body": b""}]

    async def receive() -> dict:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        reply.messages.append(message)

    scope = {
        "type": kind,
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        "client": client,
        "server": ("127.0.0.1", SERVER_PORT),
        "scheme": "ws" if kind == "websocket" else "http",
    }
    if kind == "http":
        scope["method"] = method
    asyncio.run(AccessGate(inner, token=TOKEN)(scope, receive, send))
    return reply


def _cookie(value: str = TOKEN) -> tuple[str, str]:
    return ("cookie", f"{OUR_COOKIE}={value}")


def test_health_is_open_to_anyone() -> None:
    reply = _call("/_stcore/health", client=None)

    assert reply.status == 200
    assert reply.body == b"inner app"


def test_a_page_without_the_cookie_is_forbidden() -> None:
    reply = _call("/")

    assert reply.status == 403
    assert b"Access denied" in reply.body
    assert reply.app_saw == []


def test_the_token_in_the_url_becomes_a_strict_httponly_cookie_and_leaves_the_url() -> None:
    reply = _call("/", query=f"token={TOKEN}")

    assert reply.status == 303
    assert reply.headers["location"] == "/"
    cookie = reply.headers["set-cookie"]
    assert cookie.startswith(f"{OUR_COOKIE}={TOKEN};")
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Path=/" in cookie
    assert reply.app_saw == []


def test_the_redirect_keeps_the_other_query_parameters() -> None:
    reply = _call("/data", query=f"page=import&token={TOKEN}&q=a+b")

    assert reply.status == 303
    assert reply.headers["location"] == "/data?page=import&q=a+b"


def test_the_redirect_percent_encodes_a_non_ascii_path() -> None:
    reply = _call("/café", query=f"token={TOKEN}")

    assert reply.status == 303
    assert reply.headers["location"] == "/caf%C3%A9"


def test_the_redirect_never_leaves_this_host() -> None:
    reply = _call("//evil.example/x", query=f"token={TOKEN}")

    assert reply.status == 303
    assert not reply.headers["location"].startswith("//")
    assert reply.headers["location"] == "/evil.example/x"


def test_a_wrong_token_in_the_url_is_forbidden_and_sets_no_cookie() -> None:
    reply = _call("/", query="token=guess")

    assert reply.status == 403
    assert "set-cookie" not in reply.headers


def test_the_url_token_is_not_accepted_on_a_post() -> None:
    assert _call("/", query=f"token={TOKEN}", method="POST").status == 403


def test_the_cookie_admits_a_page_request() -> None:
    reply = _call("/some/page", headers=[_cookie()])

    assert reply.status == 200
    assert reply.app_saw[0]["path"] == "/some/page"


def test_a_wrong_cookie_is_forbidden() -> None:
    assert _call("/", headers=[_cookie("stale-token-from-last-launch")]).status == 403


@pytest.mark.parametrize(
    "header",
    [
        f'prefs={{"theme":"dark"}}; {OUR_COOKIE}={TOKEN}',  # JSON cookie from another localhost app
        f"greeting=hello world; {OUR_COOKIE}={TOKEN}",
        f"bad@name=1; {OUR_COOKIE}={TOKEN}",
        f'half="open; {OUR_COOKIE}={TOKEN}',
    ],
)
def test_other_local_apps_odd_cookies_do_not_hide_ours(header: str) -> None:
    assert _call("/", headers=[("cookie", header)]).status == 200


def test_cookies_split_over_two_headers_are_read() -> None:
    reply = _call("/", headers=[_cookie(), ("cookie", "other=1")])

    assert reply.status == 200


def test_a_websocket_without_the_cookie_is_closed_with_policy_violation() -> None:
    reply = _call("/_stcore/stream", kind="websocket")

    assert reply.messages == [{"type": "websocket.close", "code": 1008, "reason": "access denied"}]
    assert reply.app_saw == []


def test_a_websocket_with_the_token_only_in_its_url_is_closed() -> None:
    reply = _call("/_stcore/stream", query=f"token={TOKEN}", kind="websocket")

    assert reply.messages[0]["type"] == "websocket.close"
    assert reply.messages[0]["code"] == 1008


def test_a_websocket_with_the_cookie_is_admitted() -> None:
    reply = _call("/_stcore/stream", headers=[_cookie()], kind="websocket")

    assert reply.messages == [{"type": "websocket.accept"}]


def test_the_api_answers_a_loopback_client_with_the_bearer_token() -> None:
    reply = _call("/api/status", headers=[("authorization", f"Bearer {TOKEN}")])

    assert reply.status == 200
    assert reply.app_saw[0]["path"] == "/api/status"


def test_the_api_accepts_ipv6_loopback() -> None:
    reply = _call("/api/status", headers=[("authorization", f"Bearer {TOKEN}")], client=("::1", 50000))

    assert reply.status == 200


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [("authorization", "Bearer wrong-token")],
        [("authorization", f"Basic {TOKEN}")],
        [_cookie()],  # a browser's cookie does not open the control API
    ],
    ids=["no-token", "wrong-token", "wrong-scheme", "cookie-only"],
)
def test_the_api_refuses_a_missing_or_wrong_bearer_token(headers: list[tuple[str, str]]) -> None:
    reply = _call("/api/shutdown", method="POST", headers=headers)

    assert reply.status == 401
    assert b"control token" in reply.body
    assert reply.app_saw == []


@pytest.mark.parametrize("client", [("192.168.1.20", 40000), None], ids=["remote", "unknown"])
def test_the_api_refuses_a_client_that_is_not_loopback_even_with_the_token(
    client: tuple[str, int] | None,
) -> None:
    reply = _call("/api/status", headers=[("authorization", f"Bearer {TOKEN}")], client=client)

    assert reply.status == 403
    assert b"loopback" in reply.body
    assert reply.app_saw == []


def test_lifespan_events_pass_through() -> None:
    seen: list[str] = []

    async def inner(scope, receive, send) -> None:
        seen.append(scope["type"])

    async def nothing() -> dict:
        return {}

    async def ignore(_: dict) -> None:
        return None

    asyncio.run(AccessGate(inner, token=TOKEN)({"type": "lifespan"}, nothing, ignore))

    assert seen == ["lifespan"]


def test_a_cookie_set_by_an_instance_on_another_port_does_not_admit() -> None:
    reply = _call("/", headers=[("cookie", f"{COOKIE_NAME}_9999={TOKEN}")])

    assert reply.status == 403
    assert reply.app_saw == []
