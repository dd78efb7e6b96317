"""Request guards: the access token, same-origin POSTs, allowed hosts and body size.

One pure ASGI middleware runs before any route, so static files, pages and the JSON
API are all covered.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "spillover_token"
HEADER = "x-spillover-token"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (``127.0.0.0/8``, ``::1``).

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to listen beyond this machine without a token (``ValueError``, one line).

    >>> check_bind("0.0.0.0", None)
    Traceback (most recent call last):
    ...
    ValueError: serving on 0.0.0.0 makes the app reachable from other machines: give --token SECRET (every request must then carry it)
    """  # noqa: E501 - the error in the example is one line
    if not is_loopback(host) and not token:
        raise ValueError(f"serving on {host} makes the app reachable from other machines: "
                         "give --token SECRET (every request must then carry it)")


class Guard:
    """ASGI middleware enforcing the token, the origin of unsafe requests, hosts and body size.

    Parameters
    ----------
    app
        The wrapped application.
    token
        When set, every request must carry it: header ``X-Spillover-Token``,
        ``Authorization: Bearer``, or the cookie set by a first visit with ``?token=``.
    allowed_hosts
        Host names the ``Host`` header may name (any port). ``None``: loopback names
        only, unless a token is set (then any host), which defeats DNS rebinding.
    max_body
        Largest request body in bytes (413 beyond).
    """

    def __init__(self, app: ASGIApp, token: str | None = None,
                 allowed_hosts: Sequence[str] | None = None, max_body: int = 2_000_000) -> None:
        self.app, self.token, self.max_body = app, token, max_body
        self.hosts = None if allowed_hosts is None else {h.lower() for h in allowed_hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self._refuse(scope, headers)
        if refusal is not None:
            await _answer(send, *refusal)
            return
        if self.token and self._query_token(scope) is not None:
            await self._set_cookie(scope, send)
            return
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body:
            await _answer(send, 413, f"request body over {self.max_body} bytes")
            return
        await self._limited(scope, receive, send)

    def _refuse(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str] | None:
        host = urlsplit("//" + headers.get("host", "")).hostname or ""
        if not self._host_ok(host):
            return 421, f"host '{host}' is not served here"
        if self.token and not self._token_ok(scope, headers):
            return 401, "this server needs its token: open the address printed by spillover serve"
        if scope["method"] in UNSAFE:
            origin = headers.get("origin")
            site = headers.get("sec-fetch-site", "")
            scheme = scope.get("scheme", "http")
            if origin is not None and origin != f"{scheme}://{headers.get('host', '')}":
                return 403, "cross-origin request refused"
            if site in ("cross-site", "same-site"):
                return 403, "cross-site request refused"
        return None

    def _host_ok(self, host: str) -> bool:
        if self.hosts is not None:
            return host.lower() in self.hosts or is_loopback(host)
        return bool(self.token) or is_loopback(host)

    def _token_ok(self, scope: Scope, headers: dict[str, str]) -> bool:
        assert self.token is not None
        given = headers.get(HEADER) or ""
        auth = headers.get("authorization", "")
        if not given and auth.lower().startswith("bearer "):
            given = auth[7:].strip()
        if not given and "cookie" in headers:
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(headers["cookie"])
            except Exception:  # a malformed cookie header is no token
                jar = SimpleCookie()
            given = jar[COOKIE].value if COOKIE in jar else ""
        if not given:
            given = self._query_token(scope) or ""
        return hmac.compare_digest(given.encode(), self.token.encode())

    @staticmethod
    def _query_token(scope: Scope) -> str | None:
        pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"))
        return next((v for k, v in pairs if k == "token"), None)

    async def _set_cookie(self, scope: Scope, send: Send) -> None:
        """First visit with ``?token=``: keep it in a cookie and drop it from the address."""
        rest = [(k, v) for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1"))
                if k != "token"]
        location = scope.get("root_path", "") + scope["path"] + (f"?{urlencode(rest)}" if rest else "")
        cookie = f"{COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict"
        await send({"type": "http.response.start", "status": 303,
                    "headers": [(b"location", location.encode()), (b"set-cookie", cookie.encode()),
                                (b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})

    async def _limited(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; a body of unstated length is read first, up to the limit."""
        headers = {k.lower() for k, _ in scope["headers"]}
        if b"content-length" in headers or b"transfer-encoding" not in headers:
            await self.app(scope, receive, send)
            return
        chunks: list[Message] = []
        size = 0
        while True:
            msg = await receive()
            chunks.append(msg)
            size += len(msg.get("body", b""))
            if size > self.max_body:
                await _answer(send, 413, f"request body over {self.max_body} bytes")
                return
            if msg["type"] != "http.request" or not msg.get("more_body", False):
                break

        async def replay() -> Message:
            return chunks.pop(0) if chunks else await receive()

        await self.app(scope, replay, send)


async def _answer(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
