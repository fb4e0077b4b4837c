"""The grounding graph: a LangGraph ``StateGraph`` whose edges read like the algorithm.

    probe -> plan_time -> perceive -> choose_referents -> refine -> smooth -> answer
                             ^               |
                             +-- refocus: widen / narrow the windows (GroundConfig.max_rounds);
                                 the tools' one pass over the video is reused, never redone

:func:`run` executes it for one query, streams progress events to a callback, and, when the
configuration names a checkpoint file and a thread id, saves every step in SQLite so that a run
cut short (cancelled, killed) resumes where it stopped.

>>> sorted(build_graph().compile().get_graph().nodes)[:4]
['__end__', '__start__', 'answer', 'choose_referents']
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from langgraph.graph import END, START, StateGraph

from agent import nodes
from agent.config import Cancelled, GroundConfig, ProgressEvent
from agent.plan import Planner, event
from agent.state import STATE_TYPES, Deps, GroundState
from verifier.result import GroundingResult


def build_graph() -> StateGraph:
    """The uncompiled graph (compile it with or without a checkpointer)."""
    g = StateGraph(GroundState, context_schema=Deps)
    g.add_node("probe", nodes.probe)
    g.add_node("plan_time", nodes.plan_time)
    g.add_node("perceive", nodes.perceive)
    g.add_node("choose_referents", nodes.choose_referents)
    g.add_node("refine", nodes.refine)
    g.add_node("smooth", nodes.smooth)
    g.add_node("answer", nodes.answer)
    g.add_edge(START, "probe")
    g.add_edge("probe", "plan_time")
    g.add_edge("plan_time", "perceive")
    g.add_edge("perceive", "choose_referents")
    g.add_conditional_edges("choose_referents", nodes.route_after_choice, ["perceive", "refine"])
    g.add_edge("refine", "smooth")
    g.add_edge("smooth", "answer")
    g.add_edge("answer", END)
    return g


@contextlib.contextmanager
def checkpointer(path: str | Path) -> Iterator[object]:
    """A SQLite checkpointer whose serializer accepts exactly the state's types."""
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
    from langgraph.checkpoint.sqlite import SqliteSaver

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False)
    try:
        yield SqliteSaver(conn, serde=JsonPlusSerializer(allowed_msgpack_modules=STATE_TYPES))
    finally:
        conn.close()


def make_planner(config: GroundConfig) -> Planner:
    """The planner the configuration asks for."""
    from agent.embedded import EmbeddedPlanner

    if config.planner == "model":
        from agent.model_planner import ModelPlanner

        return ModelPlanner(config)
    return EmbeddedPlanner(config)


def run(
    video: str | Path,
    query: str,
    config: GroundConfig,
    on_progress: Callable[[ProgressEvent], None] | None = None,
    cancel: threading.Event | None = None,
    planner: Planner | None = None,
) -> GroundingResult:
    """Run the graph for one query (see :func:`agent.api.ground` for the contract)."""
    from agent.embedded import EmbeddedPlanner

    planner = planner or make_planner(config)
    deps = Deps(config=config, planner=planner, fallback=EmbeddedPlanner(config), cancel=cancel)
    inputs: dict | None = {"video": str(video), "query": query, "trace": [], "timings": {}}
    with contextlib.ExitStack() as stack:
        saver = None
        run_config: dict = {"recursion_limit": 50}
        if config.checkpoint and config.thread_id:
            saver = stack.enter_context(checkpointer(config.checkpoint))
            run_config["configurable"] = {"thread_id": config.thread_id}
        graph = build_graph().compile(checkpointer=saver)
        if saver is not None:
            snapshot = graph.get_state(run_config)
            values = snapshot.values or {}
            same = values.get("video") == str(video) and values.get("query") == query
            if values and not same:
                raise ValueError(
                    f"thread {config.thread_id!r} in {config.checkpoint} belongs to another run "
                    f"({values.get('query')!r} on {values.get('video')}); use a new thread id"
                )
            if same and not snapshot.next and values.get("result") is not None:
                return values["result"]
            if same and snapshot.next:
                inputs = None  # resume from the last completed step
                graph.update_state(run_config, {"trace": [event(
                    "resume", "note", f"resumed thread {config.thread_id!r} before {', '.join(snapshot.next)}")]})
        final: dict = {}
        # "sync": each step's checkpoint is written before the next step starts, so a run cancelled or
        # killed mid-step resumes after the last finished one (the default writes in the background).
        for mode, chunk in graph.stream(inputs, run_config, context=deps, stream_mode=["custom", "values"],
                                        durability="sync" if saver is not None else None):
            if mode == "custom" and isinstance(chunk, ProgressEvent):
                if on_progress is not None:
                    on_progress(chunk)
            elif mode == "values":
                final = chunk
        # A cancel is raised inside the running node (Deps.progress checks it), never here: stopping the
        # stream from outside can leave a checkpoint of a half-applied step that cannot be resumed.
        if cancel is not None and cancel.is_set():
            raise Cancelled("the grounding run was cancelled")
    result = final.get("result")
    if result is None:
        raise RuntimeError("the grounding graph ended without a result")
    return result
