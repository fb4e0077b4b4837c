"""The agent's public API: the only surface serving/, demo/ and other programs call.

>>> from agent.api import GroundConfig, ground            # doctest: +SKIP
>>> result = ground("street.mp4", "the people crossing from the left")   # doctest: +SKIP
>>> [(r.id, r.interval) for r in result.referents]         # doctest: +SKIP
[(3, (4, 17)), (7, (9, 22))]
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from verifier.result import GroundingResult

Stage = Literal["probe", "sample", "detect", "track", "plan", "reason", "refine", "smooth", "answer"]


class GroundConfig(BaseModel):
    """Everything a grounding run can be told; the defaults work offline on CPU."""

    planner: Literal["embedded", "model"] = "embedded"
    base_url: str | None = Field(default=None, description="OpenAI-compatible endpoint (model planner)")
    model: str | None = Field(default=None, description="model name at base_url")
    api_key: str = "EMPTY"
    model_mode: Literal["plan", "direct"] = Field(
        default="plan", description="plan: model plans, tools perceive; direct: model outputs per-second tracks"
    )
    sample_fps: float = Field(default=1.0, gt=0, le=30)
    detector: str = Field(default="coco", description="'coco' (bundled YOLOv3-tiny), 'person', or a .pt path")
    device: str = "cpu"
    conf: float = Field(default=0.25, ge=0, le=1)
    max_referents: int = Field(default=10, ge=1)
    max_model_retries: int = Field(default=1, ge=0)
    request_timeout: float = Field(default=60.0, gt=0)


class ProgressEvent(BaseModel):
    """Progress of a running job, streamed to the terminal bar, the demo and the endpoint."""

    stage: Stage
    fraction: float = Field(ge=0, le=1, description="overall progress of the run")
    message: str = ""


ProgressCallback = Callable[[ProgressEvent], None]


class Cancelled(RuntimeError):
    """Raised by :func:`ground` when its ``cancel`` event is set."""


def ground(
    video: str | Path,
    query: str,
    config: GroundConfig | None = None,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> GroundingResult:
    """Answer ``query`` about ``video``: every referent's interval and per-second boxes.

    Raises ``ValueError`` (bad query), ``tools.video.VideoError`` (unreadable video) or
    :class:`Cancelled`; model-endpoint failures fall back to the embedded planner and are recorded
    in the trace rather than raised.
    """
    raise NotImplementedError("agent.api.ground is being built (issue: agent)")
