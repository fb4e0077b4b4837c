"""The graph's nodes, one per step of the algorithm; each reads the state and returns an update.

probe -> plan_time -> perceive -> choose_referents (-> perceive again, bounded) -> refine -> smooth
-> answer. Planner calls go through :func:`_ask`, which falls back to the embedded planner when the
configured one fails and records that in the trace.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from langgraph.runtime import Runtime

from agent.plan import PlannerFailure, Scene, event, last_second
from agent.state import Deps, GroundState
from tools.track import Track
from verifier.result import GroundingResult, Referent, TraceEvent

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
        tracks=state.get("tracks", []), sightings=state.get("sightings", {}),
        windows=state.get("perceived", []), round=state.get("round", 0),
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


def _cache(deps: Deps):
    from agent.cache import PerceptionCache

    return PerceptionCache(deps.config.cache_dir) if deps.config.cache_dir else None


def coarse_look(state: GroundState, deps: Deps) -> dict[str, list[int]]:
    """Detect every class (no tracking) at the coarse rate over the whole video: class -> seconds seen."""
    from tools.detect import load_detector
    from tools.video import iter_samples
    from verifier.timebase import sample_times

    info, cfg = state["info"], deps.config
    cache = _cache(deps)
    conf = max(cfg.conf, 0.3)
    key = (cache.key(state["video"], kind="coarse", fps=cfg.coarse_fps, detector=cfg.coarse_detector, conf=conf)
           if cache else "")
    if cache is not None and (hit := cache.get(key)) is not None:
        return hit
    detector = load_detector(cfg.coarse_detector, device=cfg.device, conf=conf)
    total = max(1, len(sample_times(info.frame_count, info.fps, cfg.coarse_fps)))
    lo, hi = _SPAN["plan_time"]
    seen: dict[str, set[int]] = {}
    for i, sample in enumerate(iter_samples(state["video"], cfg.coarse_fps)):
        det = detector.detect([sample.image])[0]
        for name in det.data.get("class_name", []):
            seen.setdefault(str(name), set()).add(round(sample.time))
        deps.progress("sample", lo + (hi - lo) * (i + 1) / total, f"coarse look {i + 1}/{total}")
    out = {k: sorted(v) for k, v in sorted(seen.items())}
    if cache is not None:
        cache.put(key, out)
    return out


def plan_time(state: GroundState, runtime: Runtime[Deps]) -> dict:
    """Understand the query, look coarsely at the whole video, and choose windows to perceive."""
    deps = runtime.context
    t = time.perf_counter()
    deps.progress("plan", _SPAN["plan_time"][0], "reading the query")
    plan, events, used = _ask(deps, state, "plan_time", lambda p: p.understand(state["query"], state["info"]))
    sightings = coarse_look(state, deps)
    wanted = {k: v for k, v in sightings.items() if not plan.classes or k in plan.classes}
    seen = ", ".join(f"{k} at {len(v)} s" for k, v in wanted.items()) or "no target object"
    events.append(event("plan_time", "tool", f"coarse look at {deps.config.coarse_fps:g} FPS: {seen}",
                        sightings=sightings))
    state = {**state, "plan": plan, "sightings": sightings, "planner": used}
    windows, more, used = _ask(deps, state, "plan_time", lambda p: p.plan_time(_scene(state)))
    deps.progress("plan", _SPAN["plan_time"][1], f"{len(windows)} window(s) to look at")
    return {"plan": plan, "sightings": sightings, "windows": windows, "planner": used,
            "trace": _stamp(events + more, deps), "timings": {"plan_time": time.perf_counter() - t}}


def _to_seconds(track: Track, sample_fps: float, new_id: int) -> Track | None:
    """The track with boxes keyed by second: each second takes its nearest sample (within half a second)."""
    boxes: dict[int, tuple] = {}
    scores: dict[int, float] = {}
    best: dict[int, float] = {}
    for idx, box in track.boxes.items():
        t = idx / sample_fps
        sec = round(t)
        off = abs(t - sec)
        if off < best.get(sec, 1e9):
            best[sec], boxes[sec], scores[sec] = off, box, track.scores.get(idx, 1.0)
    if not boxes:
        return None
    return Track(id=new_id, label=track.label, boxes=dict(sorted(boxes.items())), scores=dict(sorted(scores.items())))


def _same_object(a: Track, b: Track, min_iou: float = 0.3) -> bool:
    """True when two tracks of one class overlap well at some second they share."""
    from verifier.boxes import box_iou

    return a.label == b.label and any(box_iou(a.boxes[k], b.boxes[k]) >= min_iou for k in set(a.boxes) & set(b.boxes))


def _run_tools(video: str, w, deps: Deps, tracker, on_progress) -> tuple[list[Track], int, dict[str, float]]:
    """tools.perceive on one window (through the cache when configured): tracks, samples, timings."""
    from tools.perceive import perceive as run_tools

    cfg = deps.config
    cache = _cache(deps)
    key = cache.key(video, kind="perceive", start=w.start, end=w.end, fps=w.sample_fps, classes=w.classes,
                    detector=cfg.detector, tracker=tracker.model_dump() if tracker else None) if cache else ""
    if cache is not None and (hit := cache.get(key)) is not None:
        return [Track.model_validate(t) for t in hit["tracks"]], hit["samples"], {"cached": 1.0}
    seen = run_tools(video, sample_fps=w.sample_fps, detector=cfg.detector, classes=w.classes, start=w.start,
                     end=w.end, tracker=tracker, on_progress=on_progress, device=cfg.device)
    timings = {k: round(v, 3) for k, v in seen.timings.items()}
    if cache is not None:
        cache.put(key, {"tracks": [t.model_dump(mode="json") for t in seen.tracks], "samples": len(seen.times)})
    return seen.tracks, len(seen.times), timings


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
    """Run the tools (sample at the window's rate, detect, track) on every window not yet perceived."""
    from tools.track import TrackerConfig

    deps = runtime.context
    t = time.perf_counter()
    direct = _direct_tracks(state, deps)
    if direct is not None and not direct.pop("_failed", False):
        return direct
    head = direct or {}
    done = {w.key() for w in state.get("perceived", [])}
    todo = [w for w in state.get("windows", []) if w.key() not in done]
    tracks = list(state.get("tracks", []))
    next_id = max((tr.id for tr in tracks), default=0) + 1
    lo, hi = _SPAN["perceive"]
    if state.get("round", 0) > 0:
        lo = hi = _SPAN["perceive"][1]
    events: list[TraceEvent] = []
    for n, w in enumerate(todo):
        def on_progress(_stage: str, k: int, total: int, n: int = n) -> None:
            frac = lo + (hi - lo) * (n + k / max(total, 1)) / len(todo)
            deps.progress("detect", frac, f"window {n + 1}/{len(todo)}: sample {k}/{total}")

        classes = w.classes  # None: every class, so one look serves every query about this video
        tracker = TrackerConfig(min_seen_s=1.0) if w.sample_fps >= 2 else None
        seen_tracks, samples, timings = _run_tools(state["video"], w, deps, tracker, on_progress)
        new = [tr for tr in (_to_seconds(tr, w.sample_fps, next_id + i) for i, tr in enumerate(seen_tracks)) if tr]
        next_id += len(seen_tracks)
        if w.closer and new:
            # A denser look replaces the coarser tracks it saw again (same object at a shared second).
            tracks = [tr for tr in tracks if not any(_same_object(tr, nt) for nt in new)]
        tracks.extend(new)
        labels = sorted({tr.label for tr in new})
        events.append(event(
            "perceive", "tool",
            f"perceive {w.start:g}-{w.end:g} s at {w.sample_fps:g} FPS ({w.reason}): {samples} samples, "
            f"{len(new)} track(s)" + (f" ({', '.join(labels)})" if labels else ""),
            window=[w.start, w.end], sample_fps=w.sample_fps, classes=classes, tracks=len(new),
            timings=timings,
        ))
    deps.progress("track", hi, f"{len(tracks)} track(s)")
    return {"tracks": tracks, "perceived": [*state.get("perceived", []), *todo], "windows": [],
            "trace": [*head.get("trace", []), *_stamp(events, deps)], "timings": {"perceive": time.perf_counter() - t},
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
    """Inter-second smoothing of each referent's boxes inside its interval; short gaps filled."""
    from tools.smooth import fill_gaps, smooth_boxes

    deps = runtime.context
    t = time.perf_counter()
    by_id = {tr.id: tr for tr in state.get("tracks", [])}
    info = state["info"]
    last = last_second(info)
    referents = []
    for p in state.get("picks", []):
        tr = by_id[p.track_id]
        s, e = p.interval[0], min(p.interval[1], last)
        raw = {k: b for k, b in tr.boxes.items() if s <= k <= e}
        if not raw:
            continue
        boxes = fill_gaps(smooth_boxes(raw), max_gap=3)
        w, h = info.width, info.height
        boxes = {k: (min(max(b[0], 0.0), w), min(max(b[1], 0.0), h), min(max(b[2], 0.0), w), min(max(b[3], 0.0), h))
                 for k, b in boxes.items()}
        referents.append(Referent(id=tr.id, label=tr.label, interval=(min(boxes), max(boxes)), boxes=boxes,
                                  score=p.score))
    deps.progress("smooth", _SPAN["smooth"][1], "smoothed")
    return {"referents": referents,
            "trace": _stamp([event("smooth", "tool", f"smooth_boxes + fill_gaps on {len(referents)} referent(s)")],
                            deps),
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
    result = GroundingResult(query=state["query"], video=video, referents=referents, others=others,
                             trace=trace, timings=timings, planner=state.get("planner", deps.planner.name))
    deps.progress("answer", 1.0, summary)
    return {"result": result, "trace": [final]}

