"""The endpoint's tools: name, description, argument and output models, and how a result is shown.

Both surfaces read this table: the MCP server registers each tool with its argument model's
JSON schema as ``inputSchema`` and its output model's as ``outputSchema``; the REST twin validates
``args`` with the same model and returns the same output. Every tool runs the agent once and keeps
its full :class:`~verifier.result.GroundingResult`; ``render`` makes the tool's answer from it.

>>> sorted(TOOLS)
['ground_query', 'track_objects']
>>> tool_def("track_objects").output_model.__name__
'TrackObjectsOutput'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from serving import errors
from serving.schemas import GroundQueryArgs, TrackedReferent, TrackObjectsArgs, TrackObjectsOutput
from verifier.exports import to_glmv_json
from verifier.result import GroundingResult

ToolArgs = TrackObjectsArgs | GroundQueryArgs


@dataclass(frozen=True)
class ToolDef:
    """One tool of the endpoint."""

    name: str
    title: str
    description: str
    args_model: type[TrackObjectsArgs | GroundQueryArgs]
    output_model: type[BaseModel]
    render: Callable[[GroundingResult, Any], BaseModel]


def render_tracks(result: GroundingResult, args: TrackObjectsArgs) -> TrackObjectsOutput:
    """GLM-V per-second JSON in the requested coordinates, plus each referent's interval."""
    tracks = to_glmv_json(result, coords=args.coords)
    labels = {r.id: f"{r.label}-{r.id}" for r in result.referents}  # to_glmv_json's label rule
    return TrackObjectsOutput(
        prompt=args.prompt(),
        coords=args.coords,
        tracks=tracks,
        referents=[TrackedReferent(id=r.id, label=labels[r.id], interval=r.interval, score=r.score)
                   for r in result.referents],
        video=result.video,
    )


def render_result(result: GroundingResult, args: GroundQueryArgs) -> GroundingResult:
    """The agent's full result, unchanged."""
    return result


TOOLS: dict[str, ToolDef] = {
    "track_objects": ToolDef(
        name="track_objects",
        title="Track objects in a video",
        description=(
            "Output the object tracking results for <target> in the video. Returns GLM-V's per-second "
            'tracking JSON {"<second>": [{"label": "car-1", "bbox_2d": [x1, y1, x2, y2]}]} with boxes in '
            "0-1000 coordinates ('norm1000', default) or pixels, plus each tracked referent's inclusive "
            "interval in seconds. Long videos can take minutes; POST /jobs runs it in the background."
        ),
        args_model=TrackObjectsArgs,
        output_model=TrackObjectsOutput,
        render=render_tracks,
    ),
    "ground_query": ToolDef(
        name="ground_query",
        title="Ground a query in a video",
        description=(
            "Answer a typed query about a video ('the people crossing from the left'): for every "
            "referent, its inclusive interval in seconds and one pixel box [x1, y1, x2, y2] per second, "
            "with the agent's reasoning and tool-call trace and timings."
        ),
        args_model=GroundQueryArgs,
        output_model=GroundingResult,
        render=render_result,
    ),
}


def tool_def(name: str) -> ToolDef:
    """The tool called ``name``; 404 ``unknown_tool`` listing the tools otherwise."""
    try:
        return TOOLS[name]
    except KeyError:
        raise errors.UnknownTool(f"no tool {name[:100]!r}; the tools are {', '.join(sorted(TOOLS))}") from None
