"""How much one request and one client may take: body sizes (413) and concurrent uploads (429).

:class:`BodyLimit` is ASGI middleware: a body whose Content-Length is over the limit is refused
before it is read, and a body that grows past it while streaming is cut off, both with a 413 in
OpenClaw's envelope. Uploads have their own (larger) limit, enforced where they are written.
:class:`ClientSlots` counts what each client has in flight; jobs are counted by the job queue.

>>> slots = ClientSlots(limit=1, what="uploads")
>>> with slots.hold("10.0.0.7"):
...     slots.hold("10.0.0.7").__enter__()
Traceback (most recent call last):
...
serving.errors.TooManyRequests: this client already has 1 uploads in progress (limit 1); wait for it to finish
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving import errors


class ClientSlots:
    """A per-client count of things in flight, refusing the one over ``limit`` with 429."""

    def __init__(self, limit: int, what: str) -> None:
        self.limit = limit
        self.what = what
        self._held: Counter[str] = Counter()

    @contextmanager
    def hold(self, client: str) -> Iterator[None]:
        if self._held[client] >= self.limit:
            raise errors.TooManyRequests(
                f"this client already has {self._held[client]} {self.what} in progress (limit {self.limit}); "
                "wait for it to finish", retry_after=2,
            )
        self._held[client] += 1
        try:
            yield
        finally:
            self._held[client] -= 1
            if self._held[client] <= 0:
                del self._held[client]


class BodyTooLarge(errors.TooLarge):
    """Raised from ``receive`` when a streamed body passes the limit (rendered as 413)."""


def error_response_body(err: errors.ServeError) -> bytes:
    """OpenClaw's failed envelope as JSON bytes."""
    return json.dumps({"ok": False, "error": err.info().model_dump()}).encode()


async def send_error(send: Send, err: errors.ServeError, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """Answer a raw ASGI request with ``err`` in the envelope."""
    body = error_response_body(err)
    await send({
        "type": "http.response.start",
        "status": err.status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                    *(headers or [])],
    })
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes (``exempt`` paths enforce their own limit)."""

    def __init__(self, app: ASGIApp, limit: int, exempt: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.limit = limit
        self.exempt = exempt

    def _error(self) -> errors.TooLarge:
        return errors.TooLarge(
            f"the request body is larger than {self.limit} bytes; send a smaller request "
            "(videos go through POST /uploads)"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await send_error(send, self._error())
                return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge(self._error().message)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge as exc:
            if not started:
                await send_error(send, exc)
