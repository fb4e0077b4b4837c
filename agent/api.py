"""The agent's public API: the only surface serving/, demo/ and other programs call.

>>> from agent.api import GroundConfig, ground            # doctest: +SKIP
>>> result = ground("street.mp4", "the people crossing from the left")   # doctest: +SKIP
>>> [(r.id, r.interval) for r in result.referents]         # doctest: +SKIP
[(3, (4, 17)), (7, (9, 22))]
"""

from __future__ import annotations

import threading
from pathlib import Path

from agent.config import Cancelled, GroundConfig, ProgressCallback, ProgressEvent, Stage
from verifier.result import GroundingResult

__all__ = ["Cancelled", "GroundConfig", "ProgressCallback", "ProgressEvent", "Stage", "ground"]


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
