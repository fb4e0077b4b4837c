"""How much one request and one client may take: body sizes (413) and concurrent uploads (429).

:class:`BodyLimit` is ASGI middleware: a body whose Content-Length is over the limit is refused
before it is read, a body that grows past it while streaming (chunked) is cut off, and JSON nested
deeper than :data:`MAX_JSON_DEPTH` is refused, all with a 413 in OpenClaw's envelope. Uploads have their own (larger) limit, enforced where they are written.
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
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import anyio.to_thread
import numpy as np
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving import errors

MAX_JSON_DEPTH = 64
SMALL_BODY = 64 * 1024
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_OPEN = np.frombuffer(b"[{", dtype=np.uint8)
_CLOSE = np.frombuffer(b"]}", dtype=np.uint8)


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


def json_depth(body: bytes) -> int:
    """How deeply the arrays and objects of a JSON text nest (brackets inside strings do not count).

    >>> json_depth(b'{"a": [1, {"b": "[[["}]}'), json_depth(b"[" * 100000)
    (3, 100000)
    """
    if body.count(b"[") + body.count(b"{") <= 1:
        return body.count(b"[") + body.count(b"{")
    bare = _JSON_STRING.sub(b'""', body)
    codes = np.frombuffer(bare, dtype=np.uint8)
    steps = np.isin(codes, _OPEN).astype(np.int32) - np.isin(codes, _CLOSE).astype(np.int32)
    return int(np.cumsum(steps).max(initial=0))


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes, or JSON nested deeper than ``max_depth``, with 413.

    The body (at most ``limit`` bytes) is read before the app sees it, so the answer is the same
    whether the client announced its length or sent it chunked. ``exempt`` paths (uploads) stream
    and enforce their own limit.
    """

    def __init__(self, app: ASGIApp, limit: int, exempt: frozenset[str] = frozenset(),
                 max_depth: int = MAX_JSON_DEPTH) -> None:
        self.app = app
        self.limit = limit
        self.exempt = exempt
        self.max_depth = max_depth

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
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client left: let the app see it
                await self.app(scope, _replay([message], receive), send)
                return
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.limit:
                await send_error(send, self._error())
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        brackets = body.count(b"[") + body.count(b"{")
        if brackets <= self.max_depth:  # it cannot nest deeper than it has brackets
            depth = 0
        elif len(body) <= SMALL_BODY:
            depth = json_depth(body)
        else:  # up to a quarter second for megabytes: off the event loop
            depth = await anyio.to_thread.run_sync(json_depth, body)
        if depth > self.max_depth:
            await send_error(send, errors.TooLarge(
                f"the request JSON nests {depth} levels deep; at most {self.max_depth} are accepted"))
            return
        await self.app(scope, _replay([{"type": "http.request", "body": body, "more_body": False}], receive), send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that gives ``messages`` first, then whatever the client sends next."""
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed
