"""Bearer-token authentication for every route (MCP, REST, OpenAPI), and who a client is.

With a token configured, each request must carry ``Authorization: Bearer <token>``; anything
else gets 401 in OpenClaw's envelope with a ``WWW-Authenticate`` header. The comparison runs in
constant time. Only ``/healthz`` stays open so load balancers can probe. ``stag serve`` refuses to
start on a non-loopback address without a token (see :mod:`serving.settings`).

>>> bearer_token([(b"authorization", b"Bearer s3cret-s3cret-s3cret")])
's3cret-s3cret-s3cret'
>>> bearer_token([(b"authorization", b"Basic dXNlcg==")]) is None
True
"""

from __future__ import annotations

import hmac

from starlette.types import ASGIApp, Receive, Scope, Send

from serving import errors
from serving.limits import send_error

OPEN_PATHS = frozenset({"/healthz"})


def bearer_token(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The token of an ``Authorization: Bearer`` header, if there is exactly that."""
    for name, value in headers:
        if name.lower() == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


def client_id(scope: Scope) -> str:
    """Who is asking, for per-client limits: the peer address (never a header the client sets)."""
    client = scope.get("client")
    return client[0] if client else "unknown"


class BearerAuth:
    """ASGI middleware: 401 unless the request carries the configured bearer token."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token.encode() if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.token is None or scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        given = bearer_token(scope.get("headers", []))
        if given is None:
            err = errors.Unauthorized("missing bearer token: send the header 'Authorization: Bearer <token>'")
        elif not hmac.compare_digest(given.encode(), self.token):
            err = errors.Unauthorized("wrong bearer token; check the token the server was started with")
        else:
            await self.app(scope, receive, send)
            return
        await send_error(send, err, headers=[(b"www-authenticate", b'Bearer realm="stag"')])
