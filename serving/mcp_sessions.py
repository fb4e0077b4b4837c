"""MCP sessions per client: one client cannot use up the server's sessions and lock others out.

The SDK's session manager caps sessions for the whole server (``max_sessions``) and closes idle
ones after ``session_idle_timeout``. :class:`SessionQuota` sits in front of it and counts the
sessions each client opened (with ``initialize``; protocol 2026-07-28 requests open none and pass
freely): a client at its limit gets 429 with ``Retry-After`` (a JSON-RPC error
body, as MCP clients expect) when it opens another, while other clients go on being served. The
REST routes never pass through here.

>>> quota = SessionQuota(app=None, is_open=lambda sid: sid == "s1", per_client=1, idle_s=60)
>>> quota._owners.update({"s1": "alice", "s2": "alice"})   # s2 has closed since
>>> quota.open_sessions("alice"), quota.open_sessions("bob")
(1, 0)
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.security import request_client

SESSION_HEADER = b"mcp-session-id"


def opens_session(body: bytes) -> bool:
    """Whether a POST body is an ``initialize`` request (alone or in a batch), which opens a session.

    >>> opens_session(b'{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}')
    True
    >>> opens_session(b'{"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "initialize"}}')
    False
    """
    if b"initialize" not in body:
        return False
    try:
        message = json.loads(body)
    except (ValueError, RecursionError):
        return False  # the transport answers it as a parse error
    batch = message if isinstance(message, list) else [message]
    return any(isinstance(m, dict) and m.get("method") == "initialize" for m in batch)


async def _read_body(receive: Receive) -> tuple[bytes, list[Message]]:
    """The whole request body (already bounded by :class:`serving.limits.BodyLimit`) and the messages read."""
    messages: list[Message] = []
    chunks: list[bytes] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks), messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


class SessionQuota:
    """ASGI wrapper for the MCP transport: at most ``per_client`` open sessions per client."""

    def __init__(self, app: ASGIApp, is_open: Callable[[str], bool], per_client: int, idle_s: float) -> None:
        self.app = app
        self.is_open = is_open
        self.per_client = per_client
        self.idle_s = idle_s
        self._owners: dict[str, str] = {}  # session id -> client name
        self._opening: Counter[str] = Counter()  # requests opening a session now, per client

    def open_sessions(self, client: str) -> int:
        """Sessions ``client`` has open (closed and expired ones are forgotten here)."""
        for sid in [s for s in self._owners if not self.is_open(s)]:
            del self._owners[sid]
        return sum(owner == client for owner in self._owners.values()) + self._opening[client]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", []))
        if scope["type"] != "http" or scope["method"] != "POST" or SESSION_HEADER in headers:
            await self.app(scope, receive, send)
            return
        body, messages = await _read_body(receive)
        receive = _replay(messages, receive)
        if not opens_session(body):  # e.g. a 2026-07-28 request: one self-contained exchange, no session
            await self.app(scope, receive, send)
            return
        client = request_client(scope).name
        held = self.open_sessions(client)
        if held >= self.per_client:
            await self._refuse(send, held)
            return

        async def note_session(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                for name, value in message.get("headers", []):
                    if name.lower() == SESSION_HEADER:
                        self._owners[value.decode("latin-1")] = client
            await send(message)

        self._opening[client] += 1
        try:
            await self.app(scope, receive, note_session)
        finally:
            self._opening[client] -= 1
            if self._opening[client] <= 0:
                del self._opening[client]

    async def _refuse(self, send: Send, held: int) -> None:
        message = (f"this client already has {held} MCP sessions open (limit {self.per_client}); close one "
                   f"(HTTP DELETE /mcp with its mcp-session-id) or reuse it; idle sessions close after "
                   f"{self.idle_s:g} s")
        body = json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": -32000, "message": message}}).encode()
        await send({"type": "http.response.start", "status": 429, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(max(1, int(self.idle_s))).encode())]})
        await send({"type": "http.response.body", "body": body})
