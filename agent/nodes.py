"""The graph's nodes, one per step of the algorithm; each reads the state and returns an update.

probe -> plan_time -> perceive -> choose_referents (-> refocus and choose again, bounded) -> refine
-> smooth -> answer. Perception is one pass over the whole video (:mod:`agent.perception`); the
nodes only ask the planner and assemble its answers. Planner calls go through :func:`_ask`, which falls back to the embedded planner when the
configured one fails and records that in the trace.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from langgraph.runtime import Runtime

from agent.plan import PlannerFailure, Scene, event, last_second
from agent.state import Deps, GroundState
from verifier.result import GroundingResult, Referent, RunStats, TraceEvent

T = TypeVar("T")

# Overall progress given to each node (perceive fills most of the bar).
_SPAN = {"probe": (0.0, 0.03), "plan_time": (0.03, 0.15), "perceive": (0.15, 0.85),
         "choose_referents": (0.85, 0.9), "refine": (0.9, 0.93), "smooth": (0.93, 0.97), "answer": (0.97, 1.0)}


def _stamp(events: list[TraceEvent], deps: Deps) -> list[TraceEvent]:
    now = round(deps.elapsed(), 3)
    return [e.model_copy(update={"elapsed": now}) for e in events]


def _scene(state: GroundState) -> Scene:
    return Scene(
        query=state["query"], video=state["video"], info=state["info"], plan=state.get("plan"),
        tracks=state.get("tracks", []), windows=state.get("perceived", []), round=state.get("round", 0),
    )


def _ask(deps: Deps, state: GroundState, step: str, call: Callable[[Any], tuple[T, list[TraceEvent]]]
         ) -> tuple[T, list[TraceEvent], str]:
    """Run ``call(planner)``; on :class:`PlannerFailure` record why and ask the embedded planner."""
    planner = deps.planner
    if state.get("planner", planner.name) != planner.name:
        planner = deps.fallback  # an earlier step already fell back
    try:
        answer, events = call(planner)
        return answer, events, planner.name
    except PlannerFailure as exc:
        if planner is deps.fallback:
            raise
        answer, events = call(deps.fallback)
        note = event(step, "fallback", f"{planner.name} planner failed ({exc}); the embedded planner "
                     f"answered instead", error=str(exc))
        return answer, [*exc.events, note, *events], deps.fallback.name


def probe(state: GroundState, runtime: Runtime[Deps]) -> dict:
    """Read the video's facts (size, fps, frames, duration)."""
    from tools.video import probe as probe_video

    deps = runtime.context
    t = time.perf_counter()
    deps.progress("probe", 0.0, "reading the video")
    info = probe_video(state["video"]).model_copy(update={"sample_fps": deps.config.sample_fps})
    msg = (f"{info.width}x{info.height}, {info.fps:.2f} fps, {info.duration:.1f} s "
           f"({info.frame_count} frames)")
    deps.progress("probe", _SPAN["probe"][1], msg)
    return {"info": info, "round": 0, "perceived": [], "tracks": [], "planner": deps.planner.name,
            "trace": _stamp([event("probe", "tool", f"probe_video: {msg}", **info.model_dump())], deps),
            "timings": {"probe": time.perf_counter() - t}}


def plan_time(state: GroundState, runtime: Runtime[Deps]) -> dict:
    """Understand the query and choose the windows of the video the planner will focus on."""
    deps = runtime.context
    t = time.perf_counter()
    deps.progress("plan", _SPAN["plan_time"][0], "reading the query")
    plan, events, used = _ask(deps, state, "plan_time", lambda p: p.understand(state["query"], state["info"]))
    state = {**state, "plan": plan, "planner": used}
    windows, more, used = _ask(deps, state, "plan_time", lambda p: p.plan_time(_scene(state)))
    deps.progress("plan", _SPAN["plan_time"][1], f"{len(windows)} window(s) to look at")
    return {"plan": plan, "windows": windows, "planner": used,
            "trace": _stamp(events + more, deps), "timings": {"plan_time": time.perf_counter() - t}}


def _direct_tracks(state: GroundState, deps: Deps) -> dict | None:
    """Direct mode: the model writes the tracks itself; None if not in direct mode (or it failed)."""
    planner = deps.planner
    if not getattr(planner, "direct", False) or state.get("planner") != planner.name:
        return None
    t = time.perf_counter()
    deps.progress("reason", _SPAN["perceive"][0], "the model is tracking")
    try:
        tracks, events = planner.track(_scene(state))
    except PlannerFailure as exc:
        note = event("perceive", "fallback", f"{planner.name} planner failed ({exc}); the tools perceive and the "
                     "embedded planner decides instead", error=str(exc))
        return {"planner": deps.fallback.name, "trace": _stamp([*exc.events, note], deps),
                "timings": {"perceive": time.perf_counter() - t}, "_failed": True}
    deps.progress("track", _SPAN["perceive"][1], f"{len(tracks)} track(s) from the model")
    return {"tracks": tracks, "perceived": [*state.get("perceived", []), *state.get("windows", [])], "windows": [],
            "trace": _stamp(events, deps), "timings": {"perceive": time.perf_counter() - t}}


def perceive(state: GroundState, runtime: Runtime[Deps]) -> dict:
    """The tools' one pass over the whole video (1 FPS, cached per video); later rounds only refocus."""
    from agent.perception import look

    deps = runtime.context
    t = time.perf_counter()
    todo = state.get("windows", [])
    focus = event("perceive", "note", "focus on " + ", ".join(f"{w.start:g}-{w.end:g} s" for w in todo),
                  windows=[[w.start, w.end] for w in todo])
    if state.get("looked"):
        return {"perceived": [*state.get("perceived", []), *todo], "windows": [], "trace": _stamp([focus], deps)}
    direct = _direct_tracks(state, deps)
    if direct is not None and not direct.pop("_failed", False):
        return {**direct, "looked": True}
    head = direct or {}
    lo, hi = _SPAN["perceive"]
    settings = deps.config.perception()

    def on_progress(k: int, n: int) -> None:
        deps.progress("detect", lo + (hi - lo) * k / max(n, 1), f"sample {k}/{n}")

    seen = look(state["video"], settings, on_progress)
    st = seen.stats
    labels = sorted({tr.label for tr in seen.tracks})
    rate = st.frames_detected / max(state["info"].duration, 1e-9)
    message = (f"perceive the whole video at {settings.sample_fps:g} FPS{' (cached)' if st.cached else ''}: "
               f"{st.frames_detected} frames detected ({rate:.2f} per second of video)"
               + (f", {st.closer_looks} looked at closer (fixed camera)" if st.closer_looks else "")
               + f", {len(seen.tracks)} track(s)" + (f" ({', '.join(labels)})" if labels else ""))
    deps.progress("track", hi, f"{len(seen.tracks)} track(s)")
    return {"tracks": seen.tracks, "stats": st, "looked": True, "perceived": [*state.get("perceived", []), *todo],
            "windows": [], "trace": [*head.get("trace", []), *_stamp([event("perceive", "tool", message,
                                                                                **st.model_dump()), focus], deps)],
            "timings": {"perceive": time.perf_counter() - t},
            **({"planner": head["planner"]} if "planner" in head else {})}


def choose_referents(state: GroundState, runtime: Runtime[Deps]) -> dict:
    """Ask the planner which tracks the query means (or where to look again)."""
    deps = runtime.context
    t = time.perf_counter()
    deps.progress("reason", _SPAN["choose_referents"][0], "choosing referents")
    decision, events, used = _ask(deps, state, "choose_referents",
                                  lambda p: p.choose(_scene(state), deps.config.max_rounds))
    update: dict = {"decision": decision, "planner": used, "trace": _stamp(events, deps),
                    "timings": {"choose_referents": time.perf_counter() - t}}
    if decision.action != "accept" and state.get("round", 0) < deps.config.max_rounds and decision.windows:
        update.update(windows=decision.windows, round=state.get("round", 0) + 1)
    else:
        update["picks"] = decision.picks
    deps.progress("reason", _SPAN["choose_referents"][1], decision.message)
    return update


def route_after_choice(state: GroundState) -> str:
    """Look again (perceive) while the planner asks to and rounds remain; else refine."""
    return "perceive" if state.get("windows") else "refine"


def refine(state: GroundState, runtime: Runtime[Deps]) -> dict:
    """Each referent's own interval."""
    deps = runtime.context
    t = time.perf_counter()
    picks = state.get("picks", [])
    refined, events, used = _ask(deps, state, "refine", lambda p: p.refine(_scene(state), picks))
    deps.progress("refine", _SPAN["refine"][1], f"{len(refined)} referent(s)")
    return {"picks": refined, "planner": used, "trace": _stamp(events, deps),
            "timings": {"refine": time.perf_counter() - t}}


def smooth(state: GroundState, runtime: Runtime[Deps]) -> dict:
    """Each referent's boxes inside its interval, short gaps filled; boxes a model wrote are smoothed
    over the seconds (detector boxes are not: measured, smoothing them lowers their IoU with the truth,
    ``bench/smooth_compare.py``)."""
    from agent.kinematics import GAP_FILL
    from tools.smooth import fill_gaps, smooth_boxes

    deps = runtime.context
    t = time.perf_counter()
    model_boxes = getattr(deps.planner, "direct", False) and state.get("planner") == deps.planner.name
    by_id = {tr.id: tr for tr in state.get("tracks", [])}
    info = state["info"]
    last = last_second(info)
    referents = []
    for p in state.get("picks", []):
        tr = by_id[p.track_id]
        s, e = p.interval[0], min(p.interval[1], last)
        raw = {k: b for k, b in (p.boxes or tr.boxes).items() if s <= k <= e}
        if not raw:
            continue
        boxes = fill_gaps(smooth_boxes(raw) if model_boxes else raw, max_gap=GAP_FILL)
        w, h = info.width, info.height
        boxes = {k: (min(max(b[0], 0.0), w), min(max(b[1], 0.0), h), min(max(b[2], 0.0), w), min(max(b[3], 0.0), h))
                 for k, b in boxes.items()}
        referents.append(Referent(id=tr.id, label=p.label or tr.label, interval=(min(boxes), max(boxes)), boxes=boxes,
                                  score=p.score))
    deps.progress("smooth", _SPAN["smooth"][1], "smoothed")
    return {"referents": referents,
            "trace": _stamp([event("smooth", "tool", f"{'smooth_boxes + ' if model_boxes else ''}fill_gaps on "
                                   f"{len(referents)} referent(s)")], deps),
            "timings": {"smooth": time.perf_counter() - t}}


def answer(state: GroundState, runtime: Runtime[Deps]) -> dict:
    """Assemble the result."""
    deps = runtime.context
    referents = state.get("referents", [])
    decision = state.get("decision")
    summary = (f"{len(referents)} referent(s): " + "; ".join(
        f"#{r.id} {r.label} {r.interval[0]}-{r.interval[1]} s" for r in referents)) if referents else (
        decision.message if decision else "nothing found")
    final = event("answer", "decision", summary, elapsed=deps.elapsed())
    trace = [*state.get("trace", []), final]
    timings = dict(state.get("timings", {}))
    timings["total"] = round(sum(v for k, v in timings.items() if k != "total"), 4)
    # Referent boxes are keyed by second whatever rate the tools sampled at, so the result says 1 per second.
    video = state["info"].model_copy(update={"sample_fps": 1.0})
    chosen = {r.id for r in referents}
    others = [Referent(id=t.id, label=t.label, interval=(min(t.boxes), max(t.boxes)), boxes=t.boxes,
                       score=min(1.0, max(0.0, sum(t.scores.values()) / max(1, len(t.scores)))))
              for t in state.get("tracks", []) if t.id not in chosen and t.boxes]
    calls = sum(1 for e in trace if e.kind == "model")
    stats = state.get("stats") or RunStats()
    stats = stats.model_copy(update={"model_calls": calls, "tracks": len(state.get("tracks", [])),
                                     "timings": {**stats.timings, **timings}})
    result = GroundingResult(query=state["query"], video=video, referents=referents, others=others,
                             trace=trace, timings=timings, stats=stats,
                             planner=state.get("planner", deps.planner.name))
    deps.progress("answer", 1.0, summary)
    return {"result": result, "trace": [final]}

