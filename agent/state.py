"""The graph's typed state (checkpointed) and its run context (not checkpointed).

:class:`GroundState` holds only data: pydantic records from :mod:`agent.plan`, the tools' tracks and
the result type, all serialisable by the checkpointer (their modules are allow-listed in
:data:`STATE_TYPES`). :class:`Deps` carries what a run needs but must not persist: the
configuration, the planners and the cancel flag. Progress events go out on LangGraph's custom
stream (``stream_mode="custom"``).

>>> sorted(GroundState.__annotations__)[:4]
['decision', 'info', 'perceived', 'picks']
"""

from __future__ import annotations

import operator
import threading
import time
from dataclasses import dataclass, field
from typing import Annotated, TypedDict

from agent.config import Cancelled, GroundConfig, ProgressEvent, Stage
from agent.plan import Decision, Pick, Planner, Window
from agent.query import QueryPlan
from tools.track import Track
from verifier.result import GroundingResult, Referent, RunStats, TraceEvent, VideoInfo


def _add_timings(old: dict[str, float] | None, new: dict[str, float] | None) -> dict[str, float]:
    out = dict(old or {})
    for k, v in (new or {}).items():
        out[k] = round(out.get(k, 0.0) + v, 4)
    return out


class GroundState(TypedDict, total=False):
    """Everything one grounding run knows, node by node."""

    video: str
    query: str
    info: VideoInfo
    plan: QueryPlan
    windows: list[Window]  # still to perceive
    perceived: list[Window]
    tracks: list[Track]  # boxes keyed by second
    looked: bool  # the tools' one pass over the video is done
    stats: RunStats
    round: int
    decision: Decision
    picks: list[Pick]
    referents: list[Referent]
    planner: str
    trace: Annotated[list[TraceEvent], operator.add]
    timings: Annotated[dict[str, float], _add_timings]
    result: GroundingResult


STATE_TYPES: list[tuple[str, str]] = [
    (cls.__module__, cls.__name__)
    for cls in (VideoInfo, QueryPlan, Window, Decision, Pick, Track, Referent, TraceEvent, GroundingResult,
                RunStats)
]
"""(module, class) of every type stored in the state, for the checkpointer's allow-list."""


@dataclass
class Deps:
    """What nodes use but the checkpoint does not keep."""

    config: GroundConfig
    planner: Planner
    fallback: Planner
    cancel: threading.Event | None = None
    t0: float = field(default_factory=time.perf_counter)
    _last: float = 0.0

    def elapsed(self) -> float:
        """Seconds since the run (or its resumption) started."""
        return time.perf_counter() - self.t0

    def check(self) -> None:
        """Raise :class:`~agent.api.Cancelled` if the run was cancelled."""
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled("the grounding run was cancelled")

    def progress(self, stage: Stage, fraction: float, message: str = "") -> None:
        """Stream a progress event (never backwards) through the graph; honour a cancel request."""
        from langgraph.config import get_stream_writer

        self.check()
        self._last = max(self._last, min(1.0, max(0.0, fraction)))
        get_stream_writer()(ProgressEvent(stage=stage, fraction=self._last, message=message))
