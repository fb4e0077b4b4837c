"""The reasoning and tool-call trace as readable Markdown: one numbered line per step, with its
time, graph node, kind (plan, tool, model, decision, fallback, error, note) and compact details.

>>> from verifier.result import TraceEvent
>>> print(trace_markdown([
...     TraceEvent(step="plan_time", kind="plan", message="look at 0-10 s", elapsed=0.12),
...     TraceEvent(step="detect", kind="tool", message="found 4 people", data={"seconds": [0, 1]}),
... ]))
1. `0.1 s` **plan_time** _plan_ · look at 0-10 s
2. `0.0 s` **detect** _tool_ · found 4 people <br>`{"seconds": [0, 1]}`
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from verifier.result import TraceEvent


def _details(data: dict, limit: int) -> str:
    if not data:
        return ""
    text = json.dumps(data, ensure_ascii=False, default=str, separators=(", ", ": "))
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return " <br>`" + text.replace("`", "'") + "`"


def trace_markdown(trace: Sequence[TraceEvent], details_limit: int = 240) -> str:
    """Markdown list of the trace; each tool call's arguments/results shown compactly (truncated)."""
    if not trace:
        return "_No steps were recorded._"
    lines = []
    for i, event in enumerate(trace, 1):
        message = " ".join(event.message.split())
        lines.append(
            f"{i}. `{event.elapsed:.1f} s` **{event.step}** _{event.kind}_ · {message}"
            f"{_details(event.data, details_limit)}"
        )
    return "\n".join(lines)
