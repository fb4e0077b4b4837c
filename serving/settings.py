"""Everything ``stag serve`` can be told, in one typed object passed to every part of the endpoint.

There is no global configuration: :func:`serving.app.create_app` takes a :class:`ServeSettings`
and hands the pieces it needs to each module.

>>> s = ServeSettings(media_roots=["/srv/videos"], db="/var/lib/stag/jobs.sqlite3")
>>> s.requires_token, s.upload_dir.name, s.limits.max_active_per_client
(False, 'uploads', 4)
>>> ServeSettings(host="0.0.0.0", token="x" * 32).requires_token
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


class ServeSettings(BaseModel):
    """The tool endpoint's configuration (``stag serve`` flags map one to one)."""

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65535)
    token: str | None = Field(default=None, description="bearer token; required when host is not loopback")
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

    @field_validator("token")
    @classmethod
    def _strong_token(cls, token: str | None) -> str | None:
        if token is not None and len(token) < 16:
            raise ValueError("the bearer token must be at least 16 characters (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)")
        return token

    @model_validator(mode="after")
    def _token_off_loopback(self) -> ServeSettings:
        if self.requires_token and not self.token:
            raise ValueError(
                f"binding {self.host!r} exposes the endpoint beyond this machine: give a bearer token "
                "with --token (or STAG_TOKEN), or bind 127.0.0.1"
            )
        return self

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
