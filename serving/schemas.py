"""The endpoint's boundary types: tool arguments and outputs, the REST envelope, jobs and uploads.

The MCP tools' input and output schemas and the REST twin's OpenAPI document are both generated
from these pydantic models, so the two surfaces cannot drift apart. ``ground_query`` returns the
agent's own :class:`verifier.result.GroundingResult`; the options a caller may set are the safe
subset of :class:`agent.api.GroundConfig` (no endpoint URL, no weights path, no device).

>>> args = TrackObjectsArgs(target="the cable car", video="clips/street.mp4")
>>> args.coords, args.prompt()
('norm1000', 'Output the object tracking results for the cable car in the video.')
>>> GroundQueryArgs(query="  ", video="a.mp4")
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for GroundQueryArgs
query
  Value error, the query is empty: describe what to find, e.g. 'the people crossing from the left' [type=value_error, input_value='  ', input_type=str]
    For further information visit https://errors.pydantic.dev/2.14/v/value_error
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agent.api import GroundConfig, Stage
from serving.errors import ErrorInfo
from verifier.result import Box, GroundingResult, VideoInfo

Coords = Literal["norm1000", "pixels"]
ToolName = Literal["track_objects", "ground_query"]
JobState = Literal["queued", "running", "succeeded", "failed", "cancelled", "interrupted"]
FINISHED_STATES: frozenset[str] = frozenset({"succeeded", "failed", "cancelled", "interrupted"})

VIDEO_HELP = (
    "the video: a path relative to one of the server's media roots (e.g. 'street/clip.mp4'), "
    "'upload:<id>' as returned by POST /uploads, or an http(s) URL when the server allows that host"
)


class GroundOptions(BaseModel):
    """Settings a caller may choose for one run: the safe subset of ``agent.api.GroundConfig``.

    Anything unset keeps the server's configuration (``stag serve`` flags). The result is
    validated again as a ``GroundConfig``, so its own bounds apply too.
    """

    model_config = ConfigDict(extra="forbid")

    sample_fps: float | None = Field(default=None, gt=0, le=4, description="samples per second (default 1)")
    detector: Literal["coco+person", "coco", "person"] | None = Field(
        default=None,
        description="'coco+person': people from the person model, the rest from YOLOv3-tiny; 'coco': YOLOv3-tiny "
        "only (faster); 'person': people only",
    )
    conf: float | None = Field(default=None, ge=0, le=1, description="detector confidence threshold")
    max_referents: int | None = Field(default=None, ge=1, le=50, description="most referents returned")

    def apply(self, base: GroundConfig) -> GroundConfig:
        """``base`` with these options laid over it.

        >>> GroundOptions(conf=0.5).apply(GroundConfig()).conf
        0.5
        """
        return GroundConfig.model_validate({**base.model_dump(), **self.model_dump(exclude_none=True)})


def _nonblank(text: str, what: str, example: str) -> str:
    text = " ".join(text.split())
    if not text:
        raise ValueError(f"the {what} is empty: describe what to find, e.g. {example!r}")
    return text


class TrackObjectsArgs(BaseModel):
    """Arguments of ``track_objects`` (paper 002, A.2: "Output the object tracking results for <target>
    in the video.")."""

    model_config = ConfigDict(extra="forbid")

    target: str = Field(max_length=300, description="what to track, e.g. 'the cable car' or 'people walking'")
    video: str = Field(min_length=1, max_length=2048, description=VIDEO_HELP)
    coords: Coords = Field(
        default="norm1000", description="box coordinates: 'norm1000' (0-1000, GLM-V convention) or 'pixels'"
    )
    options: GroundOptions = Field(default_factory=GroundOptions)

    @field_validator("target")
    @classmethod
    def _target(cls, value: str) -> str:
        return _nonblank(value, "target", "the cable car")

    def prompt(self) -> str:
        """The tracking request in paper 002's A.2 wording."""
        return f"Output the object tracking results for {self.target} in the video."

    def agent_query(self) -> str:
        """What the agent is asked to ground."""
        return self.target


class GroundQueryArgs(BaseModel):
    """Arguments of ``ground_query``: a typed query about a video."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(max_length=500, description="what to find, e.g. 'the people crossing from the left'")
    video: str = Field(min_length=1, max_length=2048, description=VIDEO_HELP)
    options: GroundOptions = Field(default_factory=GroundOptions)

    @field_validator("query")
    @classmethod
    def _query(cls, value: str) -> str:
        return _nonblank(value, "query", "the people crossing from the left")

    def agent_query(self) -> str:
        """What the agent is asked to ground."""
        return self.query


class GlmvDetection(BaseModel):
    """One object at one second in GLM-V's tracking JSON."""

    label: str = Field(description="globally consistent label, e.g. 'car-1'")
    bbox_2d: Box = Field(description="[x1, y1, x2, y2] in the requested coordinates")


class TrackedReferent(BaseModel):
    """A referent's identity and inclusive interval (its boxes are in ``tracks``)."""

    id: int
    label: str = Field(description="the label it carries in ``tracks``")
    interval: tuple[int, int] = Field(description="inclusive [start, end] in seconds")
    score: float


class TrackObjectsOutput(BaseModel):
    """GLM-V per-second tracking JSON plus each referent's interval."""

    prompt: str = Field(description="the request in paper 002's A.2 wording")
    coords: Coords
    tracks: dict[str, list[GlmvDetection]] = Field(
        description='GLM-V per-second JSON: {"<second>": [{"label": "car-1", "bbox_2d": [x1, y1, x2, y2]}]}'
    )
    referents: list[TrackedReferent]
    video: VideoInfo


ToolOutput = TrackObjectsOutput | GroundingResult
T = TypeVar("T")


class InvokeRequest(BaseModel):
    """OpenClaw's ``POST /tools/invoke`` body (other members OpenClaw may send are ignored)."""

    tool: str = Field(description="'track_objects' or 'ground_query'")
    args: dict[str, Any] = Field(default_factory=dict, description="the tool's arguments (see its schema)")


class Ok(BaseModel, Generic[T]):
    """A successful envelope."""

    ok: Literal[True] = True
    result: T


class Failed(BaseModel):
    """A failed envelope."""

    ok: Literal[False] = False
    error: ErrorInfo


class Progress(BaseModel):
    """Where a job is: the agent's last progress event."""

    stage: Stage | Literal["queued"] = "queued"
    fraction: float = Field(default=0.0, ge=0, le=1)
    message: str = ""


class JobView(BaseModel):
    """A job as clients see it."""

    id: str
    tool: ToolName
    args: dict[str, Any]
    state: JobState
    progress: Progress
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    attempts: int = Field(description="how many times it was started (resume adds one)")
    error: ErrorInfo | None = None


class UploadView(BaseModel):
    """A stored upload: pass ``video`` to a tool."""

    id: str
    video: str = Field(description="'upload:<id>', the value for a tool's video argument")
    size: int = Field(description="bytes")
    info: VideoInfo


class UploadSummary(BaseModel):
    """One of a client's stored uploads."""

    id: str
    video: str = Field(description="'upload:<id>', the value for a tool's video argument")
    size: int = Field(description="bytes")
    created_at: datetime
    used_at: datetime = Field(description="when a job last used it; unused uploads expire")


class UploadInfo(BaseModel):
    """A client's uploads and disk quota."""

    uploads: list[UploadSummary]
    used_bytes: int = Field(description="what this client's uploads take")
    quota_bytes: int = Field(description="this client's disk quota")


class Deleted(BaseModel):
    """What a DELETE removed."""

    id: str
    deleted: Literal[True] = True
