"""Everything ``stag serve`` can be told, in one typed object passed to every part of the endpoint.

There is no global configuration: :func:`serving.app.create_app` takes a :class:`ServeSettings`
and hands the pieces it needs to each module.

>>> s = ServeSettings(media_roots=["/srv/videos"], db="/var/lib/stag/jobs.sqlite3")
>>> s.requires_token, s.upload_dir.name, s.limits.max_active_per_client
(False, 'uploads', 4)
>>> ServeSettings(host="0.0.0.0", tokens={"x" * 32: "alice"}).requires_token
True
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from agent.api import GroundConfig
from tools.offline import is_loopback as is_loopback_host

MiB = 1024 * 1024



class Limits(BaseModel):
    """Sizes, counts and times the endpoint enforces (all answered with a clear 4xx/5xx)."""

    model_config = ConfigDict(extra="forbid")

    max_request_bytes: int = Field(default=2 * MiB, gt=0, description="JSON request bodies (MCP and REST)")
    max_upload_bytes: int = Field(default=512 * MiB, gt=0, description="one uploaded video")
    max_url_bytes: int = Field(default=512 * MiB, gt=0, description="one video fetched from a URL")
    max_video_seconds: float = Field(default=3 * 3600, gt=0, description="longest video accepted")
    max_active_per_client: int = Field(default=4, ge=1, description="queued + running jobs of one client")
    max_queued: int = Field(default=32, ge=0, description="jobs waiting for a worker, all clients")
    max_uploads_per_client: int = Field(default=2, ge=1, description="concurrent uploads of one client")
    workers: int = Field(default=1, ge=1, description="grounding runs in parallel (threads)")
    call_timeout_s: float = Field(
        default=600.0, gt=0, description="a synchronous tool call waits this long, then answers 504 with the job id"
    )
    job_timeout_s: float = Field(default=3600.0, gt=0, description="a job running longer is stopped")
    url_timeout_s: float = Field(default=60.0, gt=0, description="fetching one video URL")
    upload_idle_timeout_s: float = Field(default=30.0, gt=0, description="an upload sending nothing this long is dropped")
    max_client_bytes: int = Field(default=4 * 1024 * MiB, gt=0, description="disk quota of one client's uploads")
    upload_ttl_s: float = Field(default=24 * 3600.0, gt=0, description="an upload unused this long is deleted")
    result_ttl_s: float = Field(default=7 * 24 * 3600.0, gt=0,
                                description="a finished job (and its result) older than this is deleted")
    sweep_interval_s: float = Field(default=60.0, gt=0, description="how often expired uploads and jobs are swept")
    max_mcp_sessions_per_client: int = Field(default=8, ge=1, description="open MCP sessions of one client")
    max_mcp_sessions: int = Field(default=256, ge=1, description="open MCP sessions, all clients")
    mcp_session_idle_s: float = Field(default=120.0, gt=0, description="an MCP session idle this long is closed")


def _strong(token: str) -> str:
    if len(token) < 16 or token != token.strip():
        raise ValueError("a bearer token must be at least 16 characters without surrounding spaces (e.g. "
                         "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`)")
    return token


class ServeSettings(BaseModel):
    """The tool endpoint's configuration (``stag serve`` flags map one to one)."""

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65535)
    tokens: dict[str, str] = Field(
        default_factory=dict, description="bearer token -> client name; required when host is not loopback"
    )
    admin_token: str | None = Field(default=None, description="a bearer token that sees every client's work")
    media_roots: list[Path] = Field(default_factory=list, description="folders videos may be read from")
    allow_url_hosts: list[str] = Field(
        default_factory=list, description="hosts videos may be fetched from (empty: URLs refused)"
    )
    db: Path = Field(default=Path("stag-serve/jobs.sqlite3"), description="SQLite file for jobs and results")
    uploads_dir: Path | None = Field(default=None, description="uploads and fetched URLs (default: next to db)")
    ground: GroundConfig = Field(default_factory=GroundConfig, description="agent settings for every run")
    limits: Limits = Field(default_factory=Limits)

    @field_validator("allow_url_hosts")
    @classmethod
    def _lower_hosts(cls, hosts: list[str]) -> list[str]:
        return sorted({h.strip().lower() for h in hosts if h.strip()})

    @field_validator("tokens")
    @classmethod
    def _strong_tokens(cls, tokens: dict[str, str]) -> dict[str, str]:
        for token, name in tokens.items():
            _strong(token)
            if not name.strip() or len(name) > 100:
                raise ValueError(f"client names are 1-100 characters, got {name[:120]!r}")
            if name.strip() == "admin":
                raise ValueError("the client name 'admin' is the admin token's; give --admin-token instead")
        return {token: name.strip() for token, name in tokens.items()}

    @field_validator("admin_token")
    @classmethod
    def _strong_admin(cls, token: str | None) -> str | None:
        return None if token is None else _strong(token)

    @model_validator(mode="after")
    def _token_off_loopback(self) -> ServeSettings:
        if self.admin_token is not None and self.admin_token in self.tokens:
            raise ValueError("the admin token must differ from every client token")
        if self.requires_token and not self.tokens and not self.admin_token:
            raise ValueError(
                f"binding {self.host!r} exposes the endpoint beyond this machine: give a bearer token "
                "with --token (or STAG_TOKEN), or bind 127.0.0.1"
            )
        return self

    @property
    def auth_on(self) -> bool:
        """Whether requests must carry a bearer token (any token or an admin token is configured)."""
        return bool(self.tokens) or self.admin_token is not None

    @property
    def requires_token(self) -> bool:
        """A token is mandatory whenever the server is reachable from other machines."""
        return not is_loopback_host(self.host)

    @property
    def checkpoints(self) -> Path:
        """The agent's step checkpoints (next to the database): a resumed job continues where it stopped."""
        return self.db.parent / "checkpoints.sqlite3"

    @property
    def upload_dir(self) -> Path:
        """Where uploads and fetched URLs are kept (next to the database unless set)."""
        return self.uploads_dir or self.db.parent / "uploads"
