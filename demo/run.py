"""One demo run without the page: check the endpoint, ground the query, render, write the downloads.

Progress from the agent (``ProgressEvent``) and from rendering is reported as one overall fraction
with a short stage name ("sampling", "detecting", ...), which the page shows in its progress bar.

>>> stage_label("detect"), overall_fraction("agent", 0.5), overall_fraction("render", 1.0)
('detecting', 0.425, 1.0)
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from agent.api import Cancelled, ProgressEvent, ground
from demo.downloads import write_downloads
from demo.endpoint import check_endpoint
from demo.request import DemoRequest
from tools.render import render_video
from verifier.result import GroundingResult

Report = Callable[[float, str], None]
"""Called with (overall fraction in [0, 1], what is happening now)."""

STAGE_LABELS: dict[str, str] = {
    "probe": "reading the video",
    "sample": "sampling",
    "detect": "detecting",
    "track": "tracking",
    "plan": "reasoning",
    "reason": "reasoning",
    "refine": "refining",
    "smooth": "smoothing",
    "answer": "answering",
    "render": "rendering the video",
}

AGENT_SHARE = 0.85
"""Part of the progress bar given to the agent; rendering the annotated video takes the rest."""


def stage_label(stage: str) -> str:
    """The word the page shows for an agent stage."""
    return STAGE_LABELS.get(stage, stage)


def overall_fraction(phase: Literal["agent", "render"], fraction: float) -> float:
    """Map a phase's own fraction onto the whole run's progress bar."""
    fraction = min(1.0, max(0.0, fraction))
    if phase == "agent":
        return round(AGENT_SHARE * fraction, 6)
    return round(AGENT_SHARE + (1 - AGENT_SHARE) * fraction, 6)


class DemoOutcome(BaseModel):
    """What a finished run hands to the page."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    result: GroundingResult
    annotated_video: Path
    downloads: list[Path]
    notices: list[str]
    seconds: float


def notices_of(result: GroundingResult) -> list[str]:
    """Plain-word warnings the person should see: fallbacks and errors the agent recorded, nothing found."""
    notices = [
        f"{event.message}" for event in result.trace if event.kind in ("fallback", "error")
    ]
    if not result.referents:
        notices.append(
            f"Nothing matching “{result.query}” was found in this video. Try other words "
            "(e.g. “person”, “car”, “horse”), a higher sampling rate, or another video."
        )
    return notices


def run_demo(
    request: DemoRequest,
    out_dir: str | os.PathLike[str],
    report: Report | None = None,
    cancel: threading.Event | None = None,
) -> DemoOutcome:
    """Run the agent on the request and produce everything the page shows.

    Raises ``DemoError`` (unusable endpoint), ``tools.video.VideoError`` (unreadable video),
    ``ValueError`` (query refused) or ``agent.api.Cancelled``.
    """
    started = time.monotonic()
    say = report or (lambda fraction, text: None)
    config = request.config
    if config.planner == "model":
        say(0.0, f"checking the model endpoint {config.base_url}")
        check_endpoint(config.base_url or "", config.model or "", api_key=config.api_key)

    def on_agent(event: ProgressEvent) -> None:
        text = stage_label(event.stage) + (f": {event.message}" if event.message else "")
        say(overall_fraction("agent", event.fraction), text)

    result = ground(request.video, request.query, config, on_progress=on_agent, cancel=cancel)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    annotated = out / "annotated.mp4"

    def on_render(stage: str, done: int, total: int) -> None:
        if cancel is not None and cancel.is_set():
            raise Cancelled("stopped while rendering the annotated video")
        say(overall_fraction("render", done / max(total, 1)), stage_label("render"))

    say(overall_fraction("render", 0.0), stage_label("render"))
    render_video(request.video, result, annotated, on_progress=on_render)
    downloads = write_downloads(result, out, annotated)
    return DemoOutcome(
        result=result,
        annotated_video=annotated,
        downloads=downloads,
        notices=notices_of(result),
        seconds=time.monotonic() - started,
    )
