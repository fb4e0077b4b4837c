"""Who a request comes from: bearer tokens name clients, and every route knows its client.

Each configured token is a client (``--token`` repeatable, or a tokens file mapping token -> client
name); an optional admin token sees every client's work. With tokens configured, each request must
carry ``Authorization: Bearer <token>``; anything else gets 401 in OpenClaw's envelope with a
``WWW-Authenticate`` header. Tokens are compared in constant time (every configured token is
compared, so the answer time does not say which one came close). Only ``/healthz`` stays open.
Without tokens (loopback only, see :mod:`serving.settings`) a client is its peer address.

The client is put in the ASGI scope (:func:`request_client` reads it) and, as an authenticated user,
where the MCP session manager binds each session to the client that opened it.

>>> bearer_token([(b"authorization", b"Bearer s3cret-s3cret-s3cret")])
's3cret-s3cret-s3cret'
>>> bearer_token([(b"authorization", b"Basic dXNlcg==")]) is None
True
>>> tokens = load_tokens_text('{"alice-token-0123456789": "alice"}')
>>> tokens
{'alice-token-0123456789': 'alice'}
>>> Clients(tokens, admin_token=None).identify("alice-token-0123456789")
Client(name='alice', admin=False)
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from serving import errors
from serving.limits import send_error

OPEN_PATHS = frozenset({"/healthz"})
SCOPE_KEY = "stag.client"
ADMIN_NAME = "admin"


class Client(BaseModel):
    """A caller of the endpoint: owns the jobs and uploads it makes; an admin sees everyone's."""

    model_config = ConfigDict(frozen=True)

    name: str
    admin: bool = False

    def may_see(self, owner: str) -> bool:
        """Whether this client may see (and act on) something owned by ``owner``.

        >>> Client(name="a").may_see("b"), Client(name="root", admin=True).may_see("b")
        (False, True)
        """
        return self.admin or owner == self.name


def token_client_name(token: str) -> str:
    """The client name of a token given without one (``--token``): stable across restarts, not the token.

    >>> token_client_name("alice-token-0123456789")
    'token-965b04f03a82'
    """
    return "token-" + hashlib.sha256(token.encode()).hexdigest()[:12]


def load_tokens_text(text: str) -> dict[str, str]:
    """Parse a tokens file: a JSON object ``{"<token>": "<client name>"}``, or lines ``TOKEN NAME``
    (``#`` starts a comment); ``ValueError`` with the line at fault otherwise."""
    if text.lstrip().startswith("{"):
        try:
            return TypeAdapter(dict[str, str]).validate_json(text)
        except ValidationError as exc:
            raise ValueError("the tokens file is not a JSON object of token -> client name strings") from exc
    tokens: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        if len(fields) != 2:
            raise ValueError(f"tokens file line {number}: want 'TOKEN CLIENT_NAME', got {len(fields)} field(s)")
        tokens[fields[0]] = fields[1]
    return tokens


def load_tokens_file(path: Path) -> dict[str, str]:
    """The token -> client name map of a tokens file (see :func:`load_tokens_text`)."""
    try:
        return load_tokens_text(path.read_text())
    except OSError as exc:
        raise ValueError(f"cannot read the tokens file {path}: {exc.strerror}") from exc


def bearer_token(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The token of an ``Authorization: Bearer`` header, if there is exactly that."""
    for name, value in headers:
        if name.lower() == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()


class Clients:
    """The configured tokens and the client each one names."""

    def __init__(self, tokens: dict[str, str], admin_token: str | None) -> None:
        self._by_digest = [(_digest(t), Client(name=name)) for t, name in tokens.items()]
        if admin_token:
            self._by_digest.append((_digest(admin_token), Client(name=ADMIN_NAME, admin=True)))

    @property
    def enabled(self) -> bool:
        return bool(self._by_digest)

    def identify(self, token: str) -> Client | None:
        """The client of ``token`` (compared against every token in constant time), or None."""
        given = _digest(token)
        found = None
        for digest, client in self._by_digest:
            if hmac.compare_digest(given, digest):
                found = client
        return found


def request_client(scope: Scope) -> Client:
    """The client :class:`Authenticate` found for this request (its peer address when tokens are off)."""
    client = scope.get(SCOPE_KEY)
    if isinstance(client, Client):
        return client
    peer = scope.get("client")
    return Client(name=peer[0] if peer else "unknown")


class Authenticate:
    """ASGI middleware: 401 unless the request carries a configured token; records who the client is."""

    def __init__(self, app: ASGIApp, clients: Clients) -> None:
        self.app = app
        self.clients = clients

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not self.clients.enabled or scope["path"] in OPEN_PATHS:
            client = request_client(scope)
        else:
            given = bearer_token(scope.get("headers", []))
            found = self.clients.identify(given) if given is not None else None
            if found is None:
                err = errors.Unauthorized(
                    "missing bearer token: send the header 'Authorization: Bearer <token>'" if given is None
                    else "wrong bearer token; check the token the server was started with")
                await send_error(send, err, headers=[(b"www-authenticate", b'Bearer realm="stag"')])
                return
            client = found
        scope[SCOPE_KEY] = client
        # The MCP session manager binds a session to the user that opened it (others get 404).
        scope["user"] = AuthenticatedUser(AccessToken(token="-", client_id=client.name, scopes=[]))
        await self.app(scope, receive, send)

