"""The embedded planner: offline, on CPU, no model server.

It reads the query with :func:`agent.query.parse_query` (the bundled sentence encoder is loaded
only for words the vocabulary does not list), then reasons over the tracks of the tools' one 1-FPS
pass over the whole video: which tracks are of the named kind (a class vote over each track's life;
close classes such as car / truck / bus accept each other; a cyclist is a person riding a bicycle),
which satisfy the query's action predicate (:mod:`agent.predicates`), its relation to the camera and
its attributes (colours measured on the track's crops, size), and how many the query asks for. Each
referent's interval follows the query's interval convention (:data:`agent.vocabulary.SPAN_OF`).

>>> from agent.config import GroundConfig
>>> planner = EmbeddedPlanner(GroundConfig())
>>> planner.name
'embedded'
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict

from agent.config import GroundConfig
from agent.intervals import longest, merge
from agent.kinematics import Motion, motion
from agent.plan import Decision, Pick, Scene, Window, class_matches, event, in_focus, last_second
from agent.predicates import Holds, Thresholds, evaluate, scene_speed
from agent.query import QueryPlan, parse_query
from agent.vocabulary import MUTUAL
from tools.track import Track
from verifier.result import TraceEvent, VideoInfo


class Candidate(BaseModel):
    """A track the query may mean: where its predicate holds, its interval and how well it fits."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    track: Track
    holds: Holds
    interval: tuple[int, int]
    score: float
    attribute: float = 1.0
    manner: bool = True


def _rank_value(rank_by: str, m: Motion, c: Candidate) -> float:
    s, e = c.holds.interval or c.interval
    sel = (m.seconds >= s) & (m.seconds <= e)
    if rank_by == "speed":
        return float(np.median(m.speed[sel])) if sel.any() else 0.0
    if rank_by == "size":
        return float(np.median(m.size[sel])) if sel.any() else 0.0
    if rank_by == "start":  # when the action happens: the first to leave is the one who leaves earliest
        return float(c.interval[1] if c.holds.reason.endswith(("leaves on the left", "leaves on the right"))
                     else c.interval[0])
    return float(e - s)


def riders(people: list[Track], tracks: list[Track], vehicles: list[str]) -> list[Track]:
    """People riding one of ``vehicles`` (a cyclist: a person on a bicycle), boxed with what they ride.

    A person rides when, in at least two seconds and in most of the seconds a vehicle of that kind is
    seen near them (the vehicle's tracks may be fragments: detectors see a bicycle from behind only
    now and then), a vehicle box lies under the person's centre and overlaps the person's box; one
    such second is enough where the person's own box already holds the vehicle (``>= 0.8`` of it:
    the detector boxed rider and bicycle as one). The rider's box then reaches down over the
    vehicle: the union where the vehicle is seen, elsewhere the person's box extended by the median reach.

    >>> rider = Track(id=1, label="person", boxes={42: (447, 132, 538, 334), 43: (394, 117, 476, 326)})
    >>> bike = Track(id=2, label="bicycle", boxes={42: (483, 271, 519, 321)})
    >>> [t.label for t in riders([rider], [rider, bike], ["bicycle"])]
    ['person on bicycle']
    """
    from verifier.boxes import box_iou

    mounts = [t for t in tracks if class_matches(t, vehicles)]
    out = []
    for p in people:
        near, on, reach, held = 0, {}, [], False
        for k, b in p.boxes.items():
            here = [m.boxes[k] for m in mounts if k in m.boxes and box_iou(b, m.boxes[k]) > 0.0]
            if not here:
                continue
            near += 1
            under = [v for v in here if v[0] <= (b[0] + b[2]) / 2 <= v[2] and v[3] >= b[1] + 0.5 * (b[3] - b[1])]
            if under:
                v = max(under, key=lambda v: box_iou(b, v))
                on[k] = (min(b[0], v[0]), min(b[1], v[1]), max(b[2], v[2]), max(b[3], v[3]))
                reach.append((on[k][3] - b[3]) / max(b[3] - b[1], 1.0))
                held = held or any(_inside_of(u, b) >= 0.8 for u in under)
        if len(on) < (1 if held else 2) or len(on) < 0.5 * near:
            continue
        ext = float(np.median(reach))
        boxes = {k: on.get(k, (b[0], b[1], b[2], b[3] + ext * (b[3] - b[1]))) for k, b in p.boxes.items()}
        mount = max(mounts, key=lambda m: len(set(m.boxes) & set(on))).label
        out.append(p.model_copy(update={"boxes": boxes, "label": f"{p.label} on {mount}"}))
    return out


def _inside_of(inner: tuple[float, ...], outer: tuple[float, ...]) -> float:
    """The fraction of box ``inner`` lying inside box ``outer``."""
    w = max(0.0, min(inner[2], outer[2]) - max(inner[0], outer[0]))
    h = max(0.0, min(inner[3], outer[3]) - max(inner[1], outer[1]))
    return w * h / max((inner[2] - inner[0]) * (inner[3] - inner[1]), 1e-9)


def colour_match(track: Track, colours: dict[str, str]) -> float:
    """How well a track's measured colours fit the query's (1 when none are asked): the smallest
    fraction of an asked colour on the asked half of the box, scaled so 40% counts as a full match."""
    if not colours:
        return 1.0
    fits = []
    for name, where in colours.items():
        upper, lower = track.upper_colors.get(name, 0.0), track.lower_colors.get(name, 0.0)
        value = upper if where == "upper" else lower if where == "lower" else max(upper, lower)
        fits.append(min(1.0, value / 0.4))
    return float(min(fits))


def camera_relation(m: Motion, relation: str, frame: tuple[int, int]) -> bool:
    """Relations to the camera of footage shot from a moving vehicle: *ahead* (in front of the camera,
    centred and low in the picture for most of its seconds) or *passing* (moving out past a side edge
    while growing or large)."""
    w, h = frame
    cx = m.centre[:, 0] / w
    if relation == "ahead":
        centred = (np.abs(cx - 0.5) <= 0.22) & (m.boxes[:, 3] >= 0.55 * h)
        return bool(centred.sum() >= max(2, 0.5 * len(cx)))
    if relation == "passing":
        last = m.boxes[-1]
        at_edge = last[0] <= 0.03 * w or last[2] >= 0.97 * w
        outward = np.sign(cx[-1] - 0.5) == np.sign(cx[-1] - cx[0]) and abs(cx[-1] - cx[0]) > 0.1
        return bool(at_edge and outward)
    return True


def _same_object(a: Candidate, b: Candidate, min_iou: float = 0.5) -> bool:
    """Whether two tracks' boxes overlap at ``min_iou`` or more in most of the seconds they share."""
    from verifier.boxes import box_iou

    shared = set(a.track.boxes) & set(b.track.boxes)
    return bool(shared) and sum(box_iou(a.track.boxes[s], b.track.boxes[s]) >= min_iou for s in shared) > len(shared) / 2


def distinct(cands: list[Candidate], min_iou: float = 0.5) -> list[Candidate]:
    """Candidates that are not the same object twice: of two tracks whose boxes overlap at
    ``min_iou`` or more in most of the seconds they share, only the better-scored one stays."""
    kept: list[Candidate] = []
    for c in sorted(cands, key=lambda c: -c.score):
        if not any(_same_object(c, k, min_iou) for k in kept):
            kept.append(c)
    return kept


def carriers(people: list[Track], tracks: list[Track], things: list[str]) -> list[Track]:
    """People who carry, hold or wear one of ``things`` ("a man with an umbrella"), most seconds first.

    A person carries in a second when a box of that kind, smaller than half of the person's box, has
    its centre inside the person's box widened by a fifth of its width (a bag hangs at the side, an
    umbrella is held above the head: the box also reaches up by half its height). Detectors see small
    things only now and then, so two such seconds are enough.

    >>> from tools.track import Track
    >>> man = Track(id=1, label="person", boxes={0: (100, 100, 150, 250), 1: (110, 100, 160, 250)})
    >>> bag = Track(id=2, label="handbag", boxes={0: (140, 170, 165, 200), 1: (150, 170, 175, 200)})
    >>> [t.id for t in carriers([man], [man, bag], ["handbag"])]
    [1]
    """
    held = [t for t in tracks if class_matches(t, things)]
    found = []
    for p in people:
        seconds = 0
        for k, (x0, y0, x1, y1) in p.boxes.items():
            w, h = x1 - x0, y1 - y0
            for o in (t.boxes[k] for t in held if k in t.boxes):
                cx, cy = (o[0] + o[2]) / 2, (o[1] + o[3]) / 2
                if ((o[2] - o[0]) * (o[3] - o[1]) < 0.5 * w * h and x0 - 0.2 * w <= cx <= x1 + 0.2 * w
                        and y0 - 0.5 * h <= cy <= y1):
                    seconds += 1
                    break
        if seconds >= 2:
            found.append((seconds, p))
    return [p for _, p in sorted(found, key=lambda f: (-f[0], f[1].id))]


def continues(a: Track, b: Track, max_gap: int = 2, max_error: float = 0.35, still_gap: int = 8) -> float | None:
    """How far ``b`` is from continuing ``a`` (one object's track cut in two where a second was missed
    or its box was cut by someone in front): ``a``'s pace carried over the gap to ``b``'s first second
    and ``b``'s pace carried back to ``a``'s last, mean centre error in box heights; None when ``b`` starts
    more than ``max_gap`` seconds after ``a`` ends (or before), the two move differently or the error
    exceeds ``max_error``. An object that stands (a parked car, a tram at its stop, seen now and then)
    continues across up to ``still_gap`` seconds where its boxes overlap at IoU 0.5 or more.

    >>> from tools.track import Track
    >>> a = Track(id=1, label="person", boxes={k: (40.0 * k, 100, 40.0 * k + 30, 180) for k in range(4)})
    >>> b = Track(id=2, label="person", boxes={k: (40.0 * k, 100, 40.0 * k + 30, 180) for k in range(5, 9)})
    >>> continues(a, b)
    0.0
    """
    from tools.associate import centre
    from tools.vocabulary import accepts
    from verifier.boxes import box_iou

    gap = b.first - a.last
    if not 0 < gap <= max(max_gap, still_gap) or not (accepts([a.label], b.label, b.class_counts)
                                                     or accepts([b.label], a.label, a.class_counts)):
        return None
    ka, kb = sorted(a.boxes), sorted(b.boxes)
    end, start = a.boxes[ka[-1]], b.boxes[kb[0]]
    h = max(end[3] - end[1], start[3] - start[1], 1.0)

    def pace(track: Track, seconds: list[int]) -> np.ndarray:
        if len(seconds) < 2:
            return np.zeros(2)
        step = centre(np.asarray(track.boxes[seconds[-1]])) - centre(np.asarray(track.boxes[seconds[0]]))
        return step / (seconds[-1] - seconds[0])

    va, vb = pace(a, ka[-3:]), pace(b, kb[:3])
    if max(np.linalg.norm(va), np.linalg.norm(vb)) <= 0.1 * h and box_iou(end, start) >= 0.5:
        return float(1.0 - box_iou(end, start)) * max_error  # standing where it stood
    if gap > max_gap or len(ka) < 2 or len(kb) < 2 or float(np.linalg.norm(va - vb)) > 0.5 * h:
        return None
    c_end, c_start = centre(np.asarray(end)), centre(np.asarray(start))
    error = np.linalg.norm(c_end + va * gap - c_start) + np.linalg.norm(c_start - vb * gap - c_end)
    error = float(error) / (2 * h)
    return error if error <= max_error else None


def paired(cands: list[Candidate], tracks: list[Track], count: int | None) -> list[Candidate]:
    """Candidates of a mutual relation (walking together, meeting) whose partner is a candidate too,
    group by group, the best group first; then, for a counted query only, the rest. A candidate
    whose partner does not do the same is how a duplicate box or a passer-by looks, not a pair.
    Where no two candidates pair up, all stay.

    >>> from agent.predicates import Holds
    >>> def cand(i, partner, score):
    ...     t = Track(id=i, label="person", boxes={0: (i * 50.0, 0.0, i * 50.0 + 30, 90.0)})
    ...     return Candidate(track=t, holds=Holds(interval=(0, 0), partner=partner), interval=(0, 0), score=score)
    >>> cs = [cand(1, 2, 0.6), cand(2, 1, 0.5), cand(3, 9, 0.9)]
    >>> [c.track.id for c in paired(cs, [c.track for c in cs], None)]
    [1, 2]
    >>> [c.track.id for c in paired(cs, [c.track for c in cs], 3)]
    [1, 2, 3]
    """
    owner: dict[int, int] = {}  # a track id -> the candidate holding it (fragments joined on included)
    for i, c in enumerate(cands):
        owner.setdefault(c.track.id, i)
        for t in tracks:
            if t.boxes and all(c.track.boxes.get(k) == b for k, b in t.boxes.items()):
                owner.setdefault(t.id, i)
    group = list(range(len(cands)))

    def root(i: int) -> int:
        while group[i] != i:
            i = group[i]
        return i

    for i, c in enumerate(cands):
        j = owner.get(c.holds.partner) if c.holds.partner is not None else None
        if j is not None and j != i:
            group[root(i)] = root(j)
    members: dict[int, list[int]] = {}
    for i in range(len(cands)):
        members.setdefault(root(i), []).append(i)
    pairs = sorted((g for g in members.values() if len(g) >= 2), key=lambda g: -max(cands[i].score for i in g))
    if not pairs:
        return cands
    out = [cands[i] for g in pairs for i in sorted(g, key=lambda i: -cands[i].score)]
    alone = [c for i, c in enumerate(cands) if len(members[root(i)]) < 2]
    return out + alone if count else out


def joined(cands: list[Candidate], tracks: list[Track], whole: bool) -> list[Candidate]:
    """Candidates with the fragments of their own track joined on (:func:`continues`, the best-scored
    candidate first); a fragment that was a candidate too is no longer one. ``whole``: the interval is
    the joined track's (the query names the object by an event); else it stays where the query holds."""
    used: set[int] = set()
    out = []
    for c in sorted(cands, key=lambda c: -c.score):
        if c.track.id in used:
            continue
        used.add(c.track.id)
        parts = [c.track]
        for forward in (True, False):
            while True:
                edge = parts[-1] if forward else parts[0]
                links = [(e, t) for t in tracks if t.id not in used
                         and (e := continues(edge, t) if forward else continues(t, edge)) is not None]
                if not links:
                    break
                t = min(links, key=lambda x: x[0])[1]
                used.add(t.id)
                parts.insert(len(parts) if forward else 0, t)
        if len(parts) == 1:
            out.append(c)
            continue
        boxes = {k: b for t in parts for k, b in t.boxes.items()}
        track = c.track.model_copy(update={"boxes": boxes, "scores": {k: v for t in parts for k, v in t.scores.items()}})
        out.append(c.model_copy(update={"track": track, "interval": (min(boxes), max(boxes)) if whole else c.interval}))
    return out


class EmbeddedPlanner:
    """Rule-and-kinematics planner; see the module docstring."""

    name = "embedded"

    def __init__(self, config: GroundConfig, thresholds: Thresholds | None = None) -> None:
        self.config = config
        self.thresholds = thresholds or Thresholds()

    # -- understanding ---------------------------------------------------------------------------
    def understand(self, query: str, info: VideoInfo) -> tuple[QueryPlan, list[TraceEvent]]:
        """Parse the query (the encoder is loaded only if a word is not in the vocabulary)."""
        from agent.encoder import load_encoder

        plan = parse_query(query, load_encoder)
        return plan, [event("plan_time", "plan", note) for note in plan.notes]

    # -- time ------------------------------------------------------------------------------------
    def plan_time(self, scene: Scene) -> tuple[list[Window], list[TraceEvent]]:
        """The whole video: the tools perceive all of it once, and the predicates find the seconds."""
        end = float(last_second(scene.info))
        return [Window(start=0, end=end, reason="the whole video")], [
            event("plan_time", "plan", f"looking at the whole video (0-{end:g} s) at 1 FPS; the action "
                                       "predicates decide the seconds")]

    # -- space -----------------------------------------------------------------------------------
    def _targets(self, scene: Scene, plan: QueryPlan) -> tuple[list[Track], list[TraceEvent]]:
        targets = [t for t in scene.tracks if class_matches(t, plan.classes) and in_focus(t, scene.windows)]
        if plan.carrying:
            holding = carriers(targets, scene.tracks, plan.carrying)
            what = "/".join(plan.carrying)
            what = f"{'an' if what[0] in 'aeiou' else 'a'} {what}"
            if not holding:
                return targets, [event("choose_referents", "note", f"nobody is seen with {what} (small things "
                                       f"are often missed by the detector): best effort, answering from every "
                                       f"{'/'.join(plan.classes) or 'object'} track")]
            targets = holding
            if not plan.riding:
                return targets, [event("choose_referents", "note", f"{len(holding)} track(s) seen with {what}")]
        if not plan.riding:
            return targets, []
        mounted = riders(targets, scene.tracks, plan.riding)
        if mounted:
            return mounted, [event("choose_referents", "note", f"{len(mounted)} of {len(targets)} "
                                   f"{'/'.join(plan.classes)} track(s) ride a {'/'.join(plan.riding)}")]
        vehicles = [t for t in scene.tracks if class_matches(t, plan.riding)]
        return vehicles, [event("choose_referents", "note", f"nobody is seen riding a {'/'.join(plan.riding)}: "
                                f"answering the {'/'.join(plan.riding)} track(s) themselves")]

    def _interval(self, plan: QueryPlan, t: Track, holds: Holds, by_id: dict[int, Track]) -> tuple[int, int]:
        """The referent's interval by the query's convention (see agent.vocabulary.SPAN_OF)."""
        if plan.span == "track":
            return (t.first, t.last)
        if plan.span == "pair" and holds.partner in by_id:
            other = by_id[holds.partner]
            s, e = max(t.first, other.first), min(t.last, other.last)
            if s <= e:
                return (s, e)
        if plan.span == "state" and holds.spans:
            return longest(merge(holds.spans, gap=2)) or holds.interval
        return holds.interval

    def _candidates(self, scene: Scene, plan: QueryPlan) -> tuple[list[Candidate], list[TraceEvent]]:
        frame = (scene.info.width, scene.info.height)
        targets, events = self._targets(scene, plan)
        motions = {t.id: motion(t) for t in scene.tracks}
        by_id = {t.id: t for t in scene.tracks}
        others = [motions[t.id] for t in scene.tracks
                  if plan.other_classes is None or class_matches(t, plan.other_classes)]
        peers = [motions[t.id] for t in scene.tracks if class_matches(t, plan.classes)]
        typical = scene_speed(peers, self.thresholds)
        window = (int(min((w.start for w in scene.windows), default=0)),
                  int(max((w.end for w in scene.windows), default=scene.info.duration)))
        out = []
        for t in targets:
            m = motion(t)
            holds = evaluate(plan.predicate, m, frame=frame, direction=plan.direction, others=others,
                             window=window, th=self.thresholds, typical_speed=typical)
            if holds.interval is None or (plan.camera and not camera_relation(m, plan.camera, frame)):
                continue
            interval = self._interval(plan, t, holds, by_id)
            s, e = interval
            det = float(np.mean([v for k, v in t.scores.items() if s <= k <= e] or [0.0]))
            attribute = colour_match(t, plan.colours)
            exact = 1.0 if not plan.classes or t.label.split(" on ")[0] in plan.classes else 0.7
            salience = min(1.0, float(np.median(m.size)) / (0.35 * frame[1])) * min(1.0, len(t.boxes) / 6)
            # the longer it holds, the surer; but a pass is over in a second or two at 1 FPS
            held = 1.0 if plan.predicate == "overtakes" else min(1.0, sum(b - a + 1 for a, b in holds.spans) / 4)
            # an action decides by how clearly and how long it holds; a bare object by how much it is seen
            fit = 0.45 * held if plan.predicate != "present" else 0.2 * held + 0.25 * salience
            score = float(np.clip((0.3 * holds.strength + 0.25 * det + fit) * (0.4 + 0.6 * attribute) * exact, 0, 1))
            manner = plan.manner is None or evaluate(plan.manner, m, frame=frame, others=others, window=window,
                                                     th=self.thresholds, typical_speed=typical).interval is not None
            out.append(Candidate(track=t, holds=holds, interval=interval, score=score, attribute=attribute,
                                 manner=manner))
        return out, events

    def _select(self, plan: QueryPlan, cands: list[Candidate], frame_width: int, tracks: list[Track]
                ) -> tuple[list[Candidate], int]:
        """The candidates the query means, best first; and how many matched before counting."""
        cands = distinct(cands)
        if plan.manner:  # "sprinting across": those who also run, else every one who crosses
            cands = [c for c in cands if c.manner] or cands
        if plan.position and cands:
            x = {c.track.id: float(np.mean([(b[0] + b[2]) / 2 for b in c.track.boxes.values()])) / frame_width
                 for c in cands}
            key = {"left": lambda c: x[c.track.id], "right": lambda c: -x[c.track.id],
                   "centre": lambda c: abs(x[c.track.id] - 0.5)}[plan.position]
            cands = sorted(cands, key=key)
            if plan.count is None:
                side = {"left": lambda v: v < 0.4, "right": lambda v: v > 0.6, "centre": lambda v: 0.3 <= v <= 0.7}
                cands = [c for c in cands if side[plan.position](x[c.track.id])] or cands[:1]
            limit = min(plan.count or self.config.max_referents, self.config.max_referents)
            return cands[:limit], len(cands)
        if plan.colours:
            good = [c for c in cands if c.attribute >= 0.5]
            cands = good or sorted(cands, key=lambda c: -c.attribute)[:1]
        if plan.size and cands:
            heights = [c.track.height_px or float(np.median([b[3] - b[1] for b in c.track.boxes.values()]))
                       for c in cands]
            order = np.argsort(heights)
            cands = [cands[i] for i in (order[::-1] if plan.size == "large" else order)]
            if plan.count is None:
                cut = np.median(heights)
                cands = [c for c, h in zip(cands, sorted(heights, reverse=plan.size == "large"))
                         if (h >= cut if plan.size == "large" else h <= cut)]
        elif plan.rank_by:
            cands = sorted(cands, key=lambda c: _rank_value(plan.rank_by, motion(c.track), c),
                           reverse=plan.rank_descending)
            cands = cands[plan.rank_index - 1:]
        else:
            cands = sorted(cands, key=lambda c: (-c.score, c.track.id))
        if plan.predicate in MUTUAL:
            cands = paired(cands, tracks, plan.count)
        limit = min(plan.count or self.config.max_referents, self.config.max_referents)
        return cands[:limit], len(cands)

    def choose(self, scene: Scene, max_rounds: int) -> tuple[Decision, list[TraceEvent]]:
        """Tracks whose predicate holds; ranked, counted; a message saying why when none does."""
        plan = scene.plan
        assert plan is not None
        cands, events = self._candidates(scene, plan)
        cands = joined(cands, scene.tracks, whole=plan.span == "track")
        chosen, matched = self._select(plan, cands, scene.info.width, scene.tracks) if cands else ([], 0)
        if plan.count is not None and plan.predicate != "present" and len(chosen) < plan.count:
            # Fewer tracks do all the query says than it asks for (a singular query: none): the best
            # effort adds objects of the named kind moving the said way, else the most salient ones
            # (an answer short of its count scores nothing for the missing ones), and the trace says so.
            extra, what = self._best_effort(scene, plan, chosen, plan.count - len(chosen))
            if extra:
                chosen += extra
                events.append(event("choose_referents", "note", f"{len(extra)} of the {plan.count} asked "
                                    f"{', '.join(plan.classes) or 'object'}(s) not seen doing '{plan.predicate}' "
                                    f"in full: best effort, {what}"))
        if not chosen:
            what = ", ".join(plan.classes) or "object"
            seen = sorted({t.label for t in scene.tracks})
            if plan.classes and not any(class_matches(t, plan.classes) for t in scene.tracks):
                msg = f"no {what} was found in the video (the detector saw: {', '.join(seen) or 'nothing'})"
            else:
                msg = f"no {what} does what the query says ({plan.predicate}" + (
                    f", {plan.direction}" if plan.direction else "") + (
                    f", {plan.camera} the camera" if plan.camera else "") + ")"
            return Decision(action="accept", message=msg), [*events, event("choose_referents", "decision", msg)]
        by_id = {t.id: t for t in scene.tracks}
        picks = [Pick(track_id=c.track.id, interval=c.interval, score=round(c.score, 3), reason=c.holds.reason,
                      **({"label": c.track.label, "boxes": c.track.boxes} if c.track is not by_id.get(c.track.id)
                         else {}))
                 for c in chosen]
        for p in picks:
            events.append(event("choose_referents", "decision", f"referent #{p.track_id}: {p.reason}; interval "
                                f"{p.interval[0]}-{p.interval[1]} s ({plan.span})", track_id=p.track_id,
                                interval=list(p.interval), score=p.score))
        if matched > len(picks):
            events.append(event("choose_referents", "note", f"{matched - len(picks)} more matching track(s) "
                                f"left out (the query asks for {len(picks)})"))
        msg = f"chose {len(picks)} referent(s) of {len(cands)} matching track(s)"
        return Decision(action="accept", picks=picks, message=msg), events

    def _best_effort(self, scene: Scene, plan: QueryPlan, chosen: list[Candidate], need: int
                     ) -> tuple[list[Candidate], str]:
        """Up to ``need`` candidates besides ``chosen`` on a looser reading of ``plan``: moving the said
        way (when the query gives a direction), then the most salient; and how they were read."""
        ladder = [("moving", plan.direction)] if plan.direction and plan.predicate != "moving" else []
        extra: list[Candidate] = []
        whats: list[str] = []
        for predicate, direction in [*ladder, ("present", None)]:
            loose = plan.model_copy(update={"predicate": predicate, "direction": direction, "span": "track",
                                            "camera": None, "count": need - len(extra)})
            cands = self._candidates(scene, loose)[0]
            fresh = [c for c in cands if not any(c.track.id == k.track.id or _same_object(c, k)
                                                 for k in [*chosen, *extra])]
            picked = self._select(loose, fresh, scene.info.width, scene.tracks)[0] if fresh else []
            if picked:
                extra += picked
                whats.append(f"moving {direction}" if predicate == "moving" else "the most salient")
            if len(extra) >= need:
                break
        return extra, " then ".join(whats)

    # -- refine ----------------------------------------------------------------------------------
    def refine(self, scene: Scene, picks: list[Pick]) -> tuple[list[Pick], list[TraceEvent]]:
        """Trim each interval to seconds where its track has a box (the predicate already set it)."""
        by_id = {t.id: t for t in scene.tracks}
        out, events = [], []
        for p in picks:
            secs = [s for s in (p.boxes or by_id[p.track_id].boxes) if p.interval[0] <= s <= p.interval[1]]
            if not secs:
                continue
            interval = (min(secs), max(secs))
            if interval != p.interval:
                events.append(event("refine", "decision", f"referent #{p.track_id}: interval "
                                    f"{p.interval[0]}-{p.interval[1]} trimmed to {interval[0]}-{interval[1]} s"))
            out.append(p.model_copy(update={"interval": interval}))
        return out, events
