"""The model planner's prompts, and the JSON schemas its answers must follow.

Time first (a contact sheet of timestamped frames -> intervals), then space (set-of-marks frames ->
track ids), as in paper 002's time-then-space reasoning; ``TRACKING`` is its appendix A.1 prompt
for the direct mode, in which the model writes the per-second tracks itself.

>>> "target" in TRACKING.format(target="the red car") or "the red car" in TRACKING.format(target="the red car")
True
>>> sorted(TimeAnswer.model_json_schema()["properties"])
['intervals', 'reason']
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

SYSTEM = (
    "You are the planner of a video grounding tool. You look at frames of a video and decide WHEN a "
    "query happens and WHICH tracked objects it refers to. Reason briefly, then answer with JSON only."
)

TIME = (
    "The image is a grid of frames from a {duration:.0f}-second video, read left to right, top to bottom; "
    "each frame shows its time in seconds in its top-left corner (t=...s).\n"
    "Query: \"{query}\"\n"
    "In which time intervals (whole seconds, 0 to {last}) can the query be seen happening? Give every "
    "interval, a little generous rather than too tight. If it never happens, give no interval.\n"
    'Answer with JSON only: {{"intervals": [[start, end], ...], "reason": "one sentence"}}'
)

SPACE = (
    "The image shows frames of the video at the seconds written in their corners; every tracked object is "
    "outlined and numbered with its track id.\n"
    "Query: \"{query}\"\n"
    "Tracks: {tracks}\n"
    "Which track ids does the query refer to (every one that matches; none if none does), and in which "
    "seconds does each do what the query says?\n"
    'Answer with JSON only: {{"action": "accept", "referents": [{{"id": 3, "interval": [start, end]}}], '
    '"reason": "one sentence"}}.\n'
    'If the answer is at other times than these, answer {{"action": "widen", "intervals": [[start, end]], '
    '"reason": "..."}} (or "narrow" to look closer at a short span). '
    '{look}'
)

LOOK_JSON = ('To see the marked objects at another second first, answer {"action": "look", "second": s, '
             '"reason": "..."}.')
LOOK_NATIVE = "You may call the tools to look closer before you answer; answer by calling `answer`."

TRACKING = (
    "Based on the description of the objects appearing in the video \"{target}\", please track the objects "
    "corresponding to this description at every second (tracks per second) of the given video, and provide "
    "the bounding box and a globally consistent label for each object. Note that the same object across "
    "different timestamp should be assigned the same label.\n\n"
    "Note: Please organize the output in valid JSON format, where each key is the time index (starting from "
    "0), and the value is a list of detected objects in current timestamp. Each element in the list "
    "corresponds to a detection result in JSON format, with keys label and bbox_2d, whose values are the "
    "object label and bounding box, respectively. For example:\n\n"
    '{{"0": [{{"label": "car-1", "bbox_2d": [1,2,3,4]}}, {{"label": "car-2", "bbox_2d": [2,3,4,5]}}], '
    '"1": [{{"label": "car-2", "bbox_2d": [4,5,6,7]}}, {{"label": "person-1", "bbox_2d": [10,20,30,40]}}]}}'
)
"""Paper 002, appendix A.1 (the evaluation prompt), with the target description filled in."""

RETRY = ("Your answer could not be used: {error}. Answer again, with JSON only, exactly in the format asked "
         "for.")


class TimeAnswer(BaseModel):
    """Intervals (inclusive whole seconds) where the query happens."""

    intervals: list[tuple[int, int]] = Field(default_factory=list)
    reason: str = ""


class ReferentAnswer(BaseModel):
    """One chosen track and the seconds it does what the query says."""

    id: int
    interval: tuple[int, int] | None = None


class SpaceAnswer(BaseModel):
    """The model's decision after seeing the marked tracks."""

    action: Literal["accept", "widen", "narrow", "look"]
    referents: list[ReferentAnswer] = Field(default_factory=list)
    intervals: list[tuple[int, int]] = Field(default_factory=list)
    second: int | None = None
    reason: str = ""


def answer_tool() -> dict[str, Any]:
    """The ``answer`` function offered to models with native tool calls (same fields as :class:`SpaceAnswer`)."""
    return {"type": "function", "function": {
        "name": "answer", "description": "Give the final decision: which track ids match and when.",
        "parameters": SpaceAnswer.model_json_schema()}}


def look_tool() -> dict[str, Any]:
    """The ``look`` function: see the marked tracks at another second."""
    return {"type": "function", "function": {
        "name": "look", "description": "See the frame at a second with every tracked object marked by its id.",
        "parameters": {"type": "object", "properties": {"second": {"type": "integer", "minimum": 0}},
                       "required": ["second"]}}}
