"""The one result type every part of stag speaks.

A :class:`GroundingResult` answers one query about one video: every referent's inclusive interval
in seconds and one pixel box ``[x1, y1, x2, y2]`` per second, plus the reasoning / tool-call trace
and timings. The CLI prints it, the endpoint returns it, the demo draws it and the verifier scores
it. It lives in ``verifier`` because that is the package every other part may import.

>>> r = GroundingResult(
...     query="the person walking",
...     video=VideoInfo(path="v.mp4", width=640, height=360, fps=30.0, frame_count=90, duration=3.0),
...     referents=[Referent(id=1, label="person", interval=(0, 1),
...                         boxes={0: (10, 10, 50, 90), 1: (20, 10, 60, 90)}, score=0.9)],
... )
>>> r.referents[0].seconds
[0, 1]
>>> GroundingResult.model_validate_json(r.model_dump_json()) == r
True
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Box = tuple[float, float, float, float]
"""A box in pixels, ``(x1, y1, x2, y2)``, no +1 convention."""

TraceKind = Literal["plan", "tool", "model", "decision", "fallback", "error", "note"]


class VideoInfo(BaseModel):
    """Facts about the video a result refers to."""

    model_config = ConfigDict(frozen=True)

    path: str
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    fps: float = Field(gt=0, description="native frame rate")
    frame_count: int = Field(ge=0)
    duration: float = Field(ge=0, description="seconds")
    sample_fps: float = Field(default=1.0, gt=0, description="rate the tools sampled at")
    codec: str | None = None
    rotation: int = 0


class Referent(BaseModel):
    """One thing the query refers to: when (inclusive seconds) and where (a box per second)."""

    id: int = Field(description="stable id of the referent's track")
    label: str = Field(description="class or name, e.g. 'person'")
    interval: tuple[int, int] = Field(description="inclusive [start, end] in seconds")
    boxes: dict[int, Box] = Field(default_factory=dict, description="second -> pixel xyxy box")
    score: float = Field(default=1.0, ge=0.0, le=1.0)

    @field_validator("boxes")
    @classmethod
    def _finite_boxes(cls, boxes: dict[int, Box]) -> dict[int, Box]:
        for k, b in boxes.items():
            if not all(math.isfinite(v) for v in b):
                raise ValueError(f"box at second {k} has a non-finite coordinate: {b}")
        return dict(sorted(boxes.items()))

    @model_validator(mode="after")
    def _interval_covers_boxes(self) -> Referent:
        s, e = self.interval
        if s < 0 or e < s:
            raise ValueError(f"interval must be 0 <= start <= end, got {self.interval}")
        outside = [k for k in self.boxes if not s <= k <= e]
        if outside:
            raise ValueError(f"boxes at seconds {outside} fall outside interval {self.interval}")
        return self

    @property
    def seconds(self) -> list[int]:
        """Seconds that carry a box, ascending."""
        return list(self.boxes)


class TraceEvent(BaseModel):
    """One step of the reasoning / tool-call trace, in the order it happened."""

    step: str = Field(description="graph node, e.g. 'plan_time'")
    kind: TraceKind
    message: str = Field(description="one readable line")
    data: dict[str, Any] = Field(default_factory=dict)
    elapsed: float = Field(default=0.0, description="seconds since the run started")


class RunStats(BaseModel):
    """What a run cost: frames the tools decoded and detected, model calls, tracks, time per stage.

    ``frames_detected / video.duration`` is the detector's rate per second of video: 1 at the
    product's 1 FPS, plus the frames adaptive temporal resolution added where a second was ambiguous.
    """

    frames_decoded: int = Field(default=0, ge=0)
    frames_detected: int = Field(default=0, ge=0)
    closer_looks: int = Field(default=0, ge=0, description="frames of a fixed camera looked at again, enlarged "
                              "where something moved that no confident box explained (one more detector image each)")
    model_calls: int = Field(default=0, ge=0)
    tracks: int = Field(default=0, ge=0)
    cached: bool = Field(default=False, description="perception came from the cache (its figures are the original pass's)")
    timings: dict[str, float] = Field(default_factory=dict, description="stage -> seconds")


class GroundingResult(BaseModel):
    """WHEN and WHERE for every referent of one query in one video."""

    query: str
    video: VideoInfo
    referents: list[Referent] = Field(default_factory=list)
    others: list[Referent] = Field(
        default_factory=list, description="objects the tools tracked but the query does not mean (for display)"
    )
    trace: list[TraceEvent] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict, description="stage -> seconds")
    stats: RunStats = Field(default_factory=RunStats)
    planner: str = "embedded"

    def referent(self, rid: int) -> Referent:
        """The referent with id ``rid`` (KeyError if absent)."""
        for r in self.referents:
            if r.id == rid:
                return r
        raise KeyError(f"no referent with id {rid}; ids are {[r.id for r in self.referents]}")
