"""The embedded planner: offline, on CPU, no model server.

It reads the query with :func:`agent.query.parse_query` (the bundled sentence encoder matches
unlisted words), looks coarsely at the whole video with the detector to find *when* the named
objects are around, then chooses the tracks whose kinematics satisfy the query's action predicate
(:mod:`agent.predicates`) and gives each its own interval: where the predicate holds.

If nothing matches it asks the graph to look again: *narrow* (denser sampling where the target class
was glimpsed but never tracked, e.g. a carriage crossing in two seconds) or *widen* (the whole
video when the coarse look missed).

>>> from agent.api import GroundConfig
>>> planner = EmbeddedPlanner(GroundConfig())
>>> planner.name
'embedded'
"""

from __future__ import annotations

import numpy as np

from agent.api import GroundConfig
from agent.intervals import merge
from agent.kinematics import Motion, motion
from agent.plan import Decision, Pick, Scene, Window, event, last_second, tracking_fps
from agent.predicates import Holds, Thresholds, evaluate
from agent.query import QueryPlan, parse_query
from tools.track import Track
from verifier.result import TraceEvent, VideoInfo

NARROW_FPS = 4.0
"""Sampling rate of a narrowed look (where a class was glimpsed but not tracked at 1 FPS)."""


def _rank_value(rank_by: str, m: Motion, holds: Holds) -> float:
    s, e = holds.interval or (0, 0)
    sel = (m.seconds >= s) & (m.seconds <= e)
    if rank_by == "speed":
        return float(np.median(m.speed[sel])) if sel.any() else 0.0
    if rank_by == "size":
        return float(np.median(m.size[sel])) if sel.any() else 0.0
    if rank_by == "start":
        return float(s)
    return float(e - s)


class EmbeddedPlanner:
    """Rule-and-kinematics planner; see the module docstring."""

    name = "embedded"

    def __init__(self, config: GroundConfig, thresholds: Thresholds | None = None) -> None:
        self.config = config
        self.thresholds = thresholds or Thresholds()

    # -- understanding ---------------------------------------------------------------------------
    def understand(self, query: str, info: VideoInfo) -> tuple[QueryPlan, list[TraceEvent]]:
        """Parse the query (the encoder is loaded on first use)."""
        from agent.encoder import load_encoder

        plan = parse_query(query, load_encoder())
        return plan, [event("plan_time", "plan", note) for note in plan.notes]

    # -- time ------------------------------------------------------------------------------------
    def plan_time(self, scene: Scene) -> tuple[list[Window], list[TraceEvent]]:
        """Windows around the seconds where the coarse look saw a target class (else the whole video)."""
        info, plan = scene.info, scene.plan
        end = float(last_second(info))
        whole = Window(start=0, end=end, sample_fps=tracking_fps(self.config, end + 1), reason="the whole video")
        seen = sorted({s for c in (plan.classes if plan and plan.classes else scene.sightings)
                       for s in scene.sightings.get(c, [])})
        if not seen:
            return [whole], [event("plan_time", "plan", "the coarse look saw no target object: looking at "
                                   "the whole video")]
        pad = max(3.0, 2.0 / max(self.config.coarse_fps, 1e-6))
        spans = merge([(max(0.0, s - pad), min(end, s + pad)) for s in seen], gap=2 * pad)
        covered = sum(e - s + 1 for s, e in spans)
        if covered >= 0.7 * (end + 1):
            return [whole], [event("plan_time", "plan", f"target objects seen across the video "
                                   f"({len(seen)} coarse sightings): looking at all of it")]
        rate = tracking_fps(self.config, covered)
        windows = [Window(start=s, end=e, sample_fps=rate, reason="target objects seen here in the coarse look")
                   for s, e in spans]
        text = ", ".join(f"{w.start:g}-{w.end:g} s" for w in windows)
        return windows, [event("plan_time", "plan", f"coarse look: target objects around {text}",
                               windows=[list(w.key()[:2]) for w in windows])]

    # -- space -----------------------------------------------------------------------------------
    def _candidates(self, scene: Scene) -> list[tuple[Track, Holds, float]]:
        plan = scene.plan
        assert plan is not None
        frame = (scene.info.width, scene.info.height)
        targets = [t for t in scene.tracks if not plan.classes or t.label in plan.classes]
        if plan.other_classes is not None:
            other_tracks = [t for t in scene.tracks if t.label in plan.other_classes]
        else:
            other_tracks = list(scene.tracks)
        others = [motion(t) for t in other_tracks]
        window = (int(min((w.start for w in scene.windows), default=0)),
                  int(max((w.end for w in scene.windows), default=scene.info.duration)))
        out = []
        for t in targets:
            m = motion(t)
            holds = evaluate(plan.predicate, m, frame=frame, direction=plan.direction, others=others,
                             window=window, th=self.thresholds)
            if holds.interval is None:
                continue
            s, e = holds.interval
            det = float(np.mean([v for k, v in t.scores.items() if s <= k <= e] or [0.0]))
            out.append((t, holds, det))
        return out

    def choose(self, scene: Scene, max_rounds: int) -> tuple[Decision, list[TraceEvent]]:
        """Tracks whose predicate holds; ranked, counted; or a wider/narrower look if none."""
        plan = scene.plan
        assert plan is not None
        cands = self._candidates(scene)
        events: list[TraceEvent] = []
        if not cands:
            retry = self._look_again(scene, max_rounds)
            if retry is not None:
                return retry, [event("choose_referents", "decision", retry.message)]
            what = ", ".join(plan.classes) or "object"
            seen = sorted({t.label for t in scene.tracks})
            if not any(t.label in plan.classes for t in scene.tracks) and plan.classes:
                msg = (f"no {what} was found in the video (the detector saw: {', '.join(seen) or 'nothing'})")
            else:
                msg = f"no {what} does what the query says ({plan.predicate}" + (
                    f", {plan.direction}" if plan.direction else "") + ")"
            return Decision(action="accept", message=msg), [event("choose_referents", "decision", msg)]

        scored = []
        for t, holds, det in cands:
            s, e = holds.interval
            length = e - s + 1
            score = float(np.clip(0.45 * holds.strength + 0.35 * det + 0.2 * min(1.0, length / 5), 0, 1))
            scored.append((t, holds, score))
        if plan.rank_by:
            scored.sort(key=lambda x: _rank_value(plan.rank_by, motion(x[0]), x[1]),
                        reverse=plan.rank_descending)
        else:
            scored.sort(key=lambda x: (-x[2], x[0].id))
        limit = min(plan.count or self.config.max_referents, self.config.max_referents)
        chosen = scored[:limit]
        picks = [Pick(track_id=t.id, interval=h.interval, score=round(sc, 3), reason=h.reason)
                 for t, h, sc in chosen]
        for p in picks:
            events.append(event("choose_referents", "decision", f"referent #{p.track_id}: {p.reason}",
                                track_id=p.track_id, interval=list(p.interval), score=p.score))
        if len(scored) > limit:
            events.append(event("choose_referents", "note", f"{len(scored) - limit} more matching track(s) "
                                f"left out (the query asks for {limit})"))
        msg = f"chose {len(picks)} referent(s) of {len(scored)} matching track(s)"
        return Decision(action="accept", picks=picks, message=msg), events

    def _look_again(self, scene: Scene, max_rounds: int) -> Decision | None:
        """A narrower, denser look where a target class was glimpsed, or the whole video if unseen."""
        plan = scene.plan
        if scene.round >= max_rounds or plan is None:
            return None
        end = float(last_second(scene.info))
        looked = {w.key() for w in scene.windows}
        classes = plan.classes or None
        tracked = {s for t in scene.tracks if not classes or t.label in classes for s in t.boxes}
        glimpses = sorted({s for c in (classes or list(scene.sightings)) for s in scene.sightings.get(c, [])}
                          - tracked)
        if glimpses:
            spans = merge([(max(0.0, s - 2.0), min(end, s + 2.0)) for s in glimpses], gap=1.0)
            windows = [Window(start=s, end=e, sample_fps=max(NARROW_FPS, tracking_fps(self.config, end + 1)),
                              classes=classes, reason="glimpsed but not tracked: a denser look", closer=True)
                       for s, e in spans[:4]]
            windows = [w for w in windows if w.key() not in looked]
            if windows:
                text = ", ".join(f"{w.start:g}-{w.end:g} s" for w in windows)
                return Decision(action="narrow", windows=windows,
                                message=f"no track satisfies the query; the target was glimpsed at "
                                        f"{glimpses[:6]} s: looking again at {text} at {windows[0].sample_fps:g} FPS")
        covered = sum(w.end - w.start + 1 for w in scene.windows if w.sample_fps >= self.config.sample_fps)
        if covered < end + 1 - 1e-6:
            whole = Window(start=0, end=end, sample_fps=tracking_fps(self.config, end + 1),
                           reason="widened to the whole video")
            if whole.key() not in looked:
                return Decision(action="widen", windows=[whole],
                                message="no track satisfies the query in the windows looked at: widening to "
                                        "the whole video")
        return None

    # -- refine ----------------------------------------------------------------------------------
    def refine(self, scene: Scene, picks: list[Pick]) -> tuple[list[Pick], list[TraceEvent]]:
        """Trim each interval to seconds where its track has a box (the predicate already set it)."""
        by_id = {t.id: t for t in scene.tracks}
        out, events = [], []
        for p in picks:
            secs = [s for s in by_id[p.track_id].boxes if p.interval[0] <= s <= p.interval[1]]
            if not secs:
                continue
            interval = (min(secs), max(secs))
            if interval != p.interval:
                events.append(event("refine", "decision", f"referent #{p.track_id}: interval "
                                    f"{p.interval[0]}-{p.interval[1]} trimmed to {interval[0]}-{interval[1]} s"))
            out.append(p.model_copy(update={"interval": interval}))
        return out, events
