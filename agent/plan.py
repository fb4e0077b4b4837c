"""The planner protocol and the small typed records that planners and graph nodes exchange.

A planner answers three questions the graph asks in order: *when* to look (:meth:`Planner.plan_time`
-> :class:`Window` list), *which* tracks the query means (:meth:`Planner.choose` -> a
:class:`Decision`: accept some :class:`Pick` s, or look again with wider or narrower windows), and
*exactly when* each referent does it (:meth:`Planner.refine`). The embedded planner
(:mod:`agent.embedded`) and the model planner (:mod:`agent.model_planner`) both implement it.

>>> Window(start=0, end=10).seconds
11
>>> Decision(action="accept", picks=[Pick(track_id=3, interval=(2, 5), score=0.8)]).picks[0].interval
(2, 5)
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from agent.query import QueryPlan
from tools.track import Track
from verifier.result import Box, TraceEvent, VideoInfo


class Window(BaseModel):
    """A span of the video the planner focuses on (the tools perceive the whole video once)."""

    start: float = Field(ge=0)
    end: float = Field(ge=0)
    reason: str = ""

    @property
    def seconds(self) -> int:
        """Whole seconds covered (inclusive)."""
        return int(self.end) - int(self.start) + 1

    def key(self) -> tuple[float, float]:
        """Identity of the window."""
        return (self.start, self.end)


class Pick(BaseModel):
    """A track chosen as a referent, with the interval where the query holds for it."""

    track_id: int
    interval: tuple[int, int]
    score: float = Field(default=1.0, ge=0, le=1)
    reason: str = ""
    label: str | None = Field(default=None, description="the referent's name when not the track's (a cyclist)")
    boxes: dict[int, Box] | None = Field(default=None, description="boxes when not the track's own (a rider "
                                                                   "boxed with what it rides)")


class Decision(BaseModel):
    """What the planner decided after looking at the tracks."""

    action: Literal["accept", "widen", "narrow"]
    picks: list[Pick] = Field(default_factory=list)
    windows: list[Window] = Field(default_factory=list, description="where to focus next (widen/narrow)")
    message: str = ""


class Scene(BaseModel):
    """What a planner may read: the query, the video facts and what the tools have seen so far."""

    query: str
    video: str
    info: VideoInfo
    plan: QueryPlan | None = None
    tracks: list[Track] = Field(default_factory=list, description="boxes keyed by second, the whole video")
    windows: list[Window] = Field(default_factory=list, description="windows focused on so far")
    round: int = 0


class PlannerFailure(RuntimeError):
    """The planner could not produce a valid answer (the graph falls back to the embedded planner)."""

    def __init__(self, message: str, events: list[TraceEvent] | None = None) -> None:
        super().__init__(message)
        self.events = events or []


class Planner(Protocol):
    """What the graph needs from a planner; every method returns its answer plus trace events."""

    name: str

    def understand(self, query: str, info: VideoInfo) -> tuple[QueryPlan, list[TraceEvent]]:
        """Read the query into classes, an action, a direction and a count."""
        ...

    def plan_time(self, scene: Scene) -> tuple[list[Window], list[TraceEvent]]:
        """The windows of the video to focus on (the tools perceive all of it once)."""
        ...

    def choose(self, scene: Scene, max_rounds: int) -> tuple[Decision, list[TraceEvent]]:
        """Which tracks the query means, or where to look again."""
        ...

    def refine(self, scene: Scene, picks: list[Pick]) -> tuple[list[Pick], list[TraceEvent]]:
        """Each referent's own interval."""
        ...


def last_second(info: VideoInfo) -> int:
    """The last whole second of the video that has a frame (the answer's seconds are 0..this).

    >>> last_second(VideoInfo(path="v", width=2, height=2, fps=30.0, frame_count=300, duration=10.0))
    9
    """
    return max(0, int((info.frame_count - 1) / info.fps))


def class_matches(track: Track, classes: list[str]) -> bool:
    """True when the track is of one of ``classes`` (its life's class vote and close classes count;
    an empty list accepts every track)."""
    from tools.vocabulary import accepts

    return accepts(classes, track.label, track.class_counts)


def in_focus(track: Track, windows: list[Window]) -> bool:
    """True when the track has a box inside one of ``windows`` (no windows: everywhere)."""
    return not windows or any(w.start <= k <= w.end for w in windows for k in track.boxes)


def event(step: str, kind: str, message: str, elapsed: float = 0.0, **data: Any) -> TraceEvent:
    """A trace event (``kind`` is one of the result's trace kinds)."""
    return TraceEvent(step=step, kind=kind, message=message, data=data, elapsed=round(elapsed, 3))
