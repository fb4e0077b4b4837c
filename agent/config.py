"""The agent's configuration and run-time records: the bottom of the package, importing nothing of it.

A run is told three things, each in its own section: how to **perceive** (detector, device, the one
sampling rate), how to talk to a **model** (endpoint, coordinates, token budgets) and how to **run**
(planner, referent limit, checkpoints). :class:`GroundConfig` is all three in one flat object, so a
caller writes ``GroundConfig(detector="coco", base_url=...)`` and ``--ground NAME=VALUE`` works on
every surface; each part of the agent receives only its section (:meth:`GroundConfig.perception`,
:meth:`GroundConfig.model_settings`).

The sampling rate has one name, ``sample_fps``, and one meaning everywhere (CLI ``--fps``, the
endpoint's ``sample_fps``, the demo's rate): the frames per second the tools detect and track at.
It is 1 by default, the product's design (paper 002: second-level tracking); where association at
that rate is ambiguous the tools add a few frames inside that second by themselves (adaptive
temporal resolution, counted in ``GroundingResult.stats``). Answers are always one box per second.

>>> c = GroundConfig(detector="coco", max_referents=3)
>>> c.perception().detector, c.sample_fps, c.model_settings().model_max_tokens
('coco', 1.0, 2048)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, Field

Stage = Literal["probe", "sample", "detect", "track", "plan", "reason", "refine", "smooth", "answer"]


class PerceptionSettings(BaseModel):
    """How the tools look at the video."""

    detector: str = Field(
        default="coco+person",
        description="'coco+person' (people from the bundled person model, the rest from YOLOv3-tiny), 'coco' "
        "(YOLOv3-tiny only, faster), 'person', or a .pt path",
    )
    device: str = "cpu"
    conf: float = Field(default=0.25, ge=0, le=1, description="least detector confidence a track is built from")
    sample_fps: float = Field(
        default=1.0, gt=0, le=30,
        description="frames per second the tools detect and track at (1: the product's design; ambiguous "
        "seconds get extra frames automatically); answers are one box per second whatever the rate",
    )
    cache_dir: str | None = Field(
        default=None, description="folder caching what the tools saw, so later queries on a video reuse it"
    )


class ModelSettings(BaseModel):
    """How the model planner talks to an OpenAI-compatible multimodal endpoint."""

    base_url: str | None = Field(default=None, description="OpenAI-compatible endpoint (model planner)")
    model: str | None = Field(default=None, description="model name at base_url")
    api_key: str = "EMPTY"
    model_mode: Literal["plan", "direct"] = Field(
        default="plan", description="plan: model plans, tools perceive; direct: model outputs per-second tracks"
    )
    max_model_retries: int = Field(default=1, ge=0)
    request_timeout: float = Field(default=60.0, gt=0)
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


class RunSettings(BaseModel):
    """Which planner decides, how much it may answer, and where a resumable run keeps its steps."""

    planner: Literal["embedded", "model"] = "embedded"
    max_referents: int = Field(default=10, ge=1)
    max_rounds: int = Field(default=2, ge=0, le=5, description="how often the planner may refocus and choose again")
    thread_id: str | None = Field(
        default=None, description="name of a resumable run: with a checkpoint file, a run cut short resumes here"
    )
    checkpoint: str | None = Field(
        default=None, description="SQLite file for checkpoints (default: none; needs thread_id)"
    )


class GroundConfig(RunSettings, PerceptionSettings, ModelSettings):
    """Everything a grounding run can be told (the three sections in one flat object); defaults work
    offline on CPU."""

    def perception(self) -> PerceptionSettings:
        """The perception section (what the tools are given)."""
        return PerceptionSettings.model_validate(self.model_dump(include=set(PerceptionSettings.model_fields)))

    def model_settings(self) -> ModelSettings:
        """The model section (what the model planner is given)."""
        return ModelSettings.model_validate(self.model_dump(include=set(ModelSettings.model_fields)))


class ProgressEvent(BaseModel):
    """Progress of a running job, streamed to the terminal bar, the demo and the endpoint."""

    stage: Stage
    fraction: float = Field(ge=0, le=1, description="overall progress of the run")
    message: str = ""


ProgressCallback = Callable[[ProgressEvent], None]


class Cancelled(RuntimeError):
    """Raised by :func:`agent.api.ground` when its ``cancel`` event is set."""
