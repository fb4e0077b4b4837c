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
    sample_fps: float = Field(default=1.0, gt=0, le=30, description="least rate the tools sample at (answers are one box per second)")
    track_fps: float | None = Field(
        default=None, gt=0, le=30,
        description="rate the tools sample at to track (answers stay per second); None: as dense as "
        "track_budget samples allow, between sample_fps and 4",
    )
    track_budget: int = Field(default=120, ge=1, description="samples the automatic track_fps may spend on a video")
    detector: str = Field(
        default="coco+person",
        description="'coco+person' (people from the bundled person model, the rest from YOLOv3-tiny), 'coco' "
        "(YOLOv3-tiny only, about 3x faster), 'person', or a .pt path",
    )
    coarse_detector: str = Field(default="coco", description="detector of the coarse look (plan_time)")
    device: str = "cpu"
    conf: float = Field(default=0.25, ge=0, le=1)
    max_referents: int = Field(default=10, ge=1)
    max_model_retries: int = Field(default=1, ge=0)
    request_timeout: float = Field(default=60.0, gt=0)
    coarse_fps: float = Field(default=0.5, gt=0, le=30, description="rate of the first, coarse look (plan_time)")
    max_rounds: int = Field(default=2, ge=0, le=5, description="how often the graph may widen/narrow and look again")
    thread_id: str | None = Field(
        default=None, description="name of a resumable run: with a checkpoint file, a run cut short resumes here"
    )
    checkpoint: str | None = Field(
        default=None, description="SQLite file for checkpoints (default: none; needs thread_id)"
    )
    model_coords: Literal["auto", "norm1000", "pixels"] = Field(
        default="auto", description="how the model writes boxes (auto: by model name; GLM-V and Qwen3-VL 0-1000)"
    )
    model_tools: Literal["auto", "json", "native"] = Field(
        default="auto", description="JSON actions (GLM-4.1V) or native tool calls (GLM-4.5V/4.6V, Qwen-VL); auto by name"
    )
    use_json_schema: bool = Field(default=True, description="constrain JSON answers with response_format json_schema")
    model_thinking: bool | None = Field(default=None, description="chat_template_kwargs.enable_thinking (None: model default)")
    model_max_tokens: int = Field(default=2048, ge=16, description="max_tokens of a planning call")
    model_direct_tokens: int = Field(default=8192, ge=16, description="max_tokens of a direct-mode tracking call")
    model_image_px: int = Field(default=896, ge=64, le=4096, description="longest side of an image sent to the model")
    model_frames: int = Field(default=32, ge=1, le=256, description="frames on the time step's contact sheet")
    model_video_seconds: int = Field(default=300, ge=1, description="seconds of video sent in direct mode")
    max_tool_steps: int = Field(default=3, ge=0, le=10, description="looks / tool calls before the model must answer")
    model_tool_names: list[str] | None = Field(
        default=None, description="tools offered to a native tool-calling model (None: all of tools.schemas)"
    )
    cache_dir: str | None = Field(
        default=None, description="folder caching what the tools saw, so later queries on a video reuse it"
    )


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
    from agent.graph import run

    return run(video, query, config or GroundConfig(), on_progress=on_progress, cancel=cancel)
