"""Action predicates computed from track kinematics, and the interval where each holds.

Every predicate turns one track's :class:`~agent.kinematics.Motion` (and, for relations, the other
tracks') into a per-second signal; :mod:`agent.intervals` turns the signal into spans with
hysteresis. A referent's interval is where its predicate holds, not merely where it is visible.

>>> from tools.track import Track
>>> from agent.kinematics import motion
>>> walker = Track(id=1, label="person", boxes={k: (30.0 * k, 100, 30.0 * k + 40, 200) for k in range(8)})
>>> evaluate("moving", motion(walker), frame=(640, 360)).interval
(0, 7)
>>> evaluate("stationary", motion(walker), frame=(640, 360)).interval is None
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, Field

from agent.intervals import hysteresis, longest, runs
from agent.kinematics import Motion
from agent.vocabulary import Direction


class Thresholds(BaseModel):
    """Predicate thresholds; speeds in box sizes per second, growth in ln(height) per second."""

    move_on: float = 0.16
    move_off: float = 0.09
    fast_on: float = 1.0
    fast_off: float = 0.8
    fast_relative: float = Field(1.7, description="also fast: this many times the scene's typical moving speed")
    fast_floor: float = Field(0.55, description="never fast below this speed (box sizes per second)")
    slow_below: float = 0.5
    still_on: float = 0.10
    still_off: float = 0.20
    direction_on: float = 0.15
    direction_off: float = 0.07
    growth_on: float = 0.05
    growth_off: float = 0.02
    edge_px: float = 4.0
    edge_zone: float = Field(0.12, description="a box this close to a side (fraction of the width) is at that edge")
    near_sizes: float = Field(1.5, description="two objects 'meet' within this many box sizes")
    follow_gap: tuple[float, float] = Field((0.4, 2.5), description="a follower keeps this many heights behind")
    follow_pace: float = Field(1.4, description="... at a speed within this ratio of the leader's")
    together_sizes: float = Field(0.6, description="people walking together stay within this many heights")
    together_rows: float = Field(0.2, description="... with their feet rows within this many heights")
    together_apart: float = Field(0.15, description="... and at least this many heights apart (two boxes "
                                  "nearer are one person seen twice, not two people)")
    approach_rate: float = Field(0.15, description="closing speed, box sizes per second")
    meet_rows: float = Field(0.3, description="who meet stand with their feet rows within this many heights")
    pass_gap: float = Field(1.2, description="overtaking: within this many heights of the one passed ...")
    pass_rows: float = Field(0.4, description="... with the feet rows within this many heights ...")
    pass_pace: float = Field(1.25, description="... at this many times its speed")
    min_len: int = Field(2, description="shortest action span, seconds")
    max_gap: int = Field(1, description="longest hole bridged inside a span, seconds")


class Holds(BaseModel):
    """Where a predicate holds for one track."""

    spans: list[tuple[int, int]] = Field(default_factory=list)
    interval: tuple[int, int] | None = None
    strength: float = Field(0.0, description="mean signal inside the interval, 0..1")
    partner: int | None = Field(default=None, description="the other track of a relation (followed, approached)")
    reason: str = ""


def _spans(m: Motion, mask: Sequence[bool], th: Thresholds, min_len: int | None = None) -> list[tuple[int, int]]:
    return runs(m.seconds.tolist(), list(mask), max_gap=th.max_gap, min_len=th.min_len if min_len is None else min_len)


def _result(m: Motion, spans: list[tuple[int, int]], signal: np.ndarray, what: str) -> Holds:
    best = longest(spans)
    if best is None:
        return Holds(reason=f"track {m.track_id} is never {what}")
    sel = (m.seconds >= best[0]) & (m.seconds <= best[1])
    strength = float(np.clip(np.nanmean(signal[sel]) if sel.any() else 0.0, 0.0, 1.0))
    return Holds(spans=spans, interval=best, strength=strength,
                 reason=f"track {m.track_id} {what} during {best[0]}-{best[1]} s")


def _direction_signal(m: Motion, direction: Direction) -> np.ndarray:
    return {
        "right": m.vx, "left": -m.vx, "down": m.vy, "up": -m.vy, "toward": m.growth, "away": -m.growth,
    }[direction]


def _moving_mask(m: Motion, th: Thresholds, direction: Direction | None) -> list[bool]:
    mask = hysteresis(m.speed, th.move_on, th.move_off)
    if direction is None:
        return mask
    sig = _direction_signal(m, direction)
    on, off = ((th.growth_on, th.growth_off) if direction in ("toward", "away")
               else (th.direction_on, th.direction_off))
    dmask = hysteresis(sig, on, off)
    if direction in ("toward", "away"):
        return dmask
    return [a and b for a, b in zip(mask, dmask)]


def _touches_edge(box: np.ndarray, frame: tuple[int, int], px: float) -> bool:
    w, h = frame
    return bool(box[0] <= px or box[1] <= px or box[2] >= w - px or box[3] >= h - px)


def _nearest(m: Motion, others: Sequence[Motion]) -> tuple[np.ndarray, list[Motion | None]]:
    """Per second: distance (in the target's sizes) to the nearest other track, and which one."""
    dist = np.full(len(m.seconds), np.inf)
    who: list[Motion | None] = [None] * len(m.seconds)
    for o in others:
        if o.track_id == m.track_id:
            continue
        for i, sec in enumerate(m.seconds):
            j = o.index(int(sec))
            if j is None:
                continue
            d = np.linalg.norm(m.centre[i] - o.centre[j]) / max(np.sqrt(m.size[i] * o.size[j]), 1.0)
            if d < dist[i]:
                dist[i], who[i] = d, o
    return dist, who


def _partner(m: Motion, others: Sequence[Motion], interval: tuple[int, int] | None) -> int | None:
    """The other track nearest ``m`` most often inside ``interval``."""
    if interval is None:
        return None
    _, who = _nearest(m, others)
    ids = [o.track_id for sec, o in zip(m.seconds, who) if o is not None and interval[0] <= sec <= interval[1]]
    return max(set(ids), key=ids.count) if ids else None


def scene_speed(motions: Sequence[Motion], th: Thresholds | None = None) -> float:
    """The typical speed of the moving objects in a scene (median over moving seconds; 0 if none)."""
    th = th or Thresholds()
    speeds = np.concatenate([m.speed[m.speed >= th.move_on] for m in motions] or [np.zeros(0)])
    return float(np.median(speeds)) if len(speeds) else 0.0


def _edge_event(predicate: str, m: Motion, frame: tuple[int, int], direction: Direction | None,
                window: tuple[int, int], th: Thresholds) -> Holds:
    """Enters: from the first second until a second after the body is wholly inside; leaves: the mirror.

    ``direction`` is the direction of motion (entering *from the left* moves right), so the edge
    crossed is the left one for an entry moving right and for an exit moving left.
    """
    n = len(m.seconds)
    w = frame[0]
    near = 0.15 * w
    entering = predicate == "enters"
    box = m.boxes[0 if entering else n - 1]
    if direction in ("left", "right"):
        side = ("left" if direction == "right" else "right") if entering else direction
    else:
        side = "left" if (box[0] + box[2]) / 2 < w / 2 else "right"
    # The edge box: of the first two seconds (the last two when leaving), the one nearest the side. A
    # track often begins a second early on a box that doubles someone near the edge.
    gap = m.boxes[:, 0] if side == "left" else w - m.boxes[:, 2]
    order = range(min(n, 2)) if entering else range(n - 1, max(n - 3, -1), -1)
    i0 = min(order, key=lambda i: gap[i])
    at_edge = gap[i0] <= th.edge_px
    close = gap[i0] <= near
    appears = (m.seconds[0] > window[0]) if entering else (m.seconds[-1] < window[1])
    # It must move away from the edge after entering (towards it before leaving): someone standing
    # at the edge neither enters nor leaves.
    k = min(n, 3)
    part = m.centre[i0:i0 + k, 0] if entering else m.centre[max(0, i0 + 1 - k):i0 + 1, 0]
    inward = (part[-1] - part[0]) * (1 if side == "left" else -1) * (1 if entering else -1)
    sizes = m.size[i0:i0 + k] if entering else m.size[max(0, i0 + 1 - k):i0 + 1]
    moves = len(part) >= 2 and inward >= 0.3 * float(np.median(sizes))
    # First seen a step inside (the entering second went to another track): one second of its own
    # pace back (forward when leaving) reaches the edge zone.
    pace = inward / max(len(part) - 1, 1)
    if not close and appears and moves and gap[i0] - pace <= near:
        close = True
    if not ((at_edge or (appears and close)) and moves):
        return Holds(reason=f"track {m.track_id} does not {'enter' if entering else 'leave'} on the {side}")
    inside = [not _touches_edge(b, frame, th.edge_px) for b in m.boxes]
    if entering:
        j = next((i for i in range(n) if inside[i]), n - 1)
        span = (int(m.seconds[0]), int(m.seconds[min(j + 1, n - 1)]))
    else:
        j = next((i for i in range(n - 1, -1, -1) if inside[i]), 0)
        span = (int(m.seconds[max(j - 1, 0)]), int(m.seconds[-1]))
    if span[1] - span[0] + 1 < th.min_len:
        span = (span[0], min(int(m.seconds[-1]), span[0] + th.min_len - 1)) if entering else (
            max(int(m.seconds[0]), span[1] - th.min_len + 1), span[1])
    what = f"{'enters' if entering else 'leaves'} on the {side}"
    return _result(m, [span], np.ones(n), what)


def _gap(m: Motion, i: int, o: Motion, j: int) -> float:
    """Centre distance of ``m`` at index ``i`` and ``o`` at index ``j``, in their mean box size."""
    return float(np.linalg.norm(o.centre[j] - m.centre[i])) / max(float(np.sqrt(m.size[i] * o.size[j])), 1.0)


def _still(m: Motion, i: int, th: Thresholds) -> bool:
    """Standing at index ``i``: a still step (at most ``still_off``) into or out of that second."""
    return bool(m.rest[i] <= th.still_off)


def _stopped_at(m: Motion, i: int, th: Thresholds) -> int:
    """Index of the first second of the standing run of ``m`` that holds index ``i``."""
    while i > 0 and m.seconds[i] - m.seconds[i - 1] == 1 and _still(m, i - 1, th):
        i -= 1
    return i


def _closing_from(m: Motion, i: int, o: Motion, th: Thresholds) -> int:
    """Index where the run of one-second steps of ``m`` towards ``o`` that ends at index ``i`` begins
    (``i`` itself when the step into ``i`` did not close in). A step closes in when ``m``'s own
    displacement towards where ``o`` stands is at least ``approach_rate`` box sizes."""
    k = i
    while k > 0 and m.seconds[k] - m.seconds[k - 1] <= 1 + th.max_gap:
        j = o.index(int(m.seconds[k]))
        if j is None:
            break
        gap = o.centre[j] - m.centre[k - 1]
        norm = float(np.linalg.norm(gap))
        step = float((m.centre[k] - m.centre[k - 1]) @ gap) / norm if norm > 0 else 0.0
        if step / max(float(m.size[k]), 1.0) < th.approach_rate * (m.seconds[k] - m.seconds[k - 1]):
            break
        k -= 1
    return k


def _settled(m: Motion, i: int, th: Thresholds) -> bool:
    """The step into index ``i`` is a still one on the ground (the box moved under ``still_off`` sizes;
    its height may change, a box's top is the noisy side), after a step that was not: who arrived
    the second before and only settled.

    >>> from tools.track import Track
    >>> from agent.kinematics import motion
    >>> m = motion(Track(id=1, label="person", boxes={0: (0, 0, 40, 100), 1: (60, 0, 100, 100), 2: (58, 10, 96, 100)}))
    >>> _settled(m, 2, Thresholds()), _settled(m, 1, Thresholds())
    (True, False)
    """
    if i < 2 or m.seconds[i] - m.seconds[i - 1] != 1:
        return False
    step = float(np.linalg.norm(m.centre[i] - m.centre[i - 1])) / max(float(m.size[i]), 1.0)
    return step < th.still_off and float(m.rest[i - 1]) > th.still_off


def _last_walking(m: Motion, k: int, i: int) -> int:
    """The last second of a walk over indices ``k`` .. ``i`` that ends standing at ``i``: when it
    stopped, at its walking pace, the step into ``i`` and any drift out of it having been walked
    after the second before ``i``.

    >>> from tools.track import Track
    >>> from agent.kinematics import motion
    >>> m = motion(Track(id=1, label="person", boxes={s: (x, 0, x + 40, 100) for s, x in enumerate([0, 60, 120, 170, 170])}))
    >>> _last_walking(m, 0, 3)  # the last step was short: stopped before second 3
    2
    """
    steps = np.linalg.norm(np.diff(m.centre[k:i + 1], axis=0), axis=1)
    way = (m.centre[i] - m.centre[i - 1]) / max(float(steps[-1]), 1e-6)
    after = max(float((m.centre[i + 1] - m.centre[i]) @ way), 0.0) if i + 1 < len(m.seconds) else 0.0
    pace = max(float(np.mean(steps[:-1] if len(steps) > 1 else steps)), 1e-6)
    stop = float(m.seconds[i - 1]) + (float(steps[-1]) + after) / pace
    return int(np.clip(np.floor(stop), m.seconds[i - 1], m.seconds[i]))


def _side_by_side(m: Motion, i: int, o: Motion, j: int, th: Thresholds) -> bool:
    """Close in the scene, not just in the picture: within ``near_sizes`` and about as far from the
    camera (feet rows within ``meet_rows`` heights)."""
    rows = abs(float(m.boxes[i][3] - o.boxes[j][3])) / max(float(np.sqrt(m.size[i] * o.size[j])), 1.0)
    return _gap(m, i, o, j) <= th.near_sizes and rows <= th.meet_rows


def _arrivals(m: Motion, o: Motion, th: Thresholds) -> list[tuple[int, int]]:
    """(index in ``m``, index in ``o``) of each second both are first seen standing side by side
    (the first of each such run)."""
    out, before = [], False
    for i, sec in enumerate(m.seconds):
        j = o.index(int(sec))
        here = j is not None and _still(m, i, th) and _still(o, j, th) and _side_by_side(m, i, o, j, th)
        if here and not before:
            out.append((i, j))
        before = here
    return out


def _approach(m: Motion, others: Sequence[Motion], th: Thresholds, end: int) -> Holds:
    """Walking up to someone who waits: ``m`` stops close to another track that stands there, after
    seconds of walking towards it, both standing at the same distance from the camera (passing by is
    no approach). The answer runs from the first step towards them to the second they stop (read
    from the walking pace, :func:`_last_walking`); of several approaches, the longest. Seen to the
    window's ``end`` still closing in, see :func:`_still_closing`."""
    best: tuple[int, tuple[int, int] | None, int | None] = (0, None, None)
    for o in others:
        if o.track_id == m.track_id:
            continue
        for i, j in _arrivals(m, o, th):
            i = _stopped_at(m, i, th)
            k = _closing_from(m, i, o, th)
            if k == i and _settled(m, i, th):  # the walk ended a second earlier: start from there
                i -= 1
                k = _closing_from(m, i, o, th)
            span = (int(m.seconds[k]), _last_walking(m, k, i)) if k < i else None
            if span is None or span[1] - span[0] + 1 < th.min_len:
                continue
            waits = (o.seconds >= span[0]) & (o.seconds <= span[1])
            if not waits.any() or float(np.median(o.activity[waits])) > th.move_on * 2:
                continue
            if span[1] - span[0] + 1 > best[0]:
                best = (span[1] - span[0] + 1, span, o.track_id)
    if best[1] is None:
        return _still_closing(m, others, th, end) or Holds(reason=f"track {m.track_id} walks up to nobody who waits")
    out = _result(m, [best[1]], np.ones(len(m.seconds)), "walks up to someone who waits")
    return out.model_copy(update={"partner": best[2]})


def _still_closing(m: Motion, others: Sequence[Motion], th: Thresholds, end: int) -> Holds | None:
    """Walking up to someone who waits when the video ends before they arrive: ``m`` is seen to the
    last second (``end``), its last three seconds or more all close in on a track that stands there
    to the end, about as far from the camera (feet rows within ``meet_rows`` heights). Half as sure
    as an arrival seen."""
    i = len(m.seconds) - 1
    if i < 2 or int(m.seconds[i]) < end:
        return None
    best: tuple[int, int | None, int | None] = (0, None, None)
    for o in others:
        j = o.index(int(m.seconds[i]))
        if o.track_id == m.track_id or j is None:
            continue
        k = _closing_from(m, i, o, th)
        waits = (o.seconds >= m.seconds[k]) & (o.seconds <= m.seconds[i])
        rows = abs(float(m.boxes[i][3] - o.boxes[j][3])) / max(float(np.sqrt(m.size[i] * o.size[j])), 1.0)
        if (i - k + 1 >= 3 and i - k + 1 > best[0] and rows <= th.meet_rows
                and float(np.median(o.activity[waits])) <= th.move_on * 2):
            best = (i - k + 1, k, o.track_id)
    if best[1] is None:
        return None
    out = _result(m, [(int(m.seconds[best[1]]), int(m.seconds[i]))], np.full(len(m.seconds), 0.5),
                  "walks up to someone who waits (the video ends first)")
    return out.model_copy(update={"partner": best[2]})


def _together_with(m: Motion, others: Sequence[Motion], th: Thresholds) -> list[int | None]:
    """Per second: the track walking side by side with ``m`` (None: nobody): the same way at a similar
    speed, about as far from the camera (feet rows within ``together_rows`` heights) and close
    (``together_apart`` to ``together_sizes`` heights)."""
    moving = _moving_mask(m, th, None)
    out: list[int | None] = []
    for i, sec in enumerate(m.seconds):
        who = None
        v1 = np.array([m.vx[i], m.vy[i]])
        for o in others if moving[i] else ():
            if o.track_id == m.track_id or (j := o.index(int(sec))) is None:
                continue
            v2 = np.array([o.vx[j], o.vy[j]])
            n1, n2 = float(np.linalg.norm(v1)), float(np.linalg.norm(v2))
            if n2 < th.move_off or min(n1, n2) * 1.5 < max(n1, n2):
                continue
            h = max(float(np.sqrt(m.size[i] * o.size[j])), 1.0)
            rows = abs(float(m.boxes[i][3] - o.boxes[j][3])) / h
            apart = float(np.linalg.norm(o.centre[j] - m.centre[i])) / h
            if (float(v1 @ v2) / (n1 * n2) >= 0.8 and rows <= th.together_rows
                    and th.together_apart <= apart <= th.together_sizes):
                who = o.track_id
                break
        out.append(who)
    return out


def _pair_holds(predicate: str, m: Motion, i: int, o: Motion, j: int, th: Thresholds) -> bool:
    """At one second: ``m`` follows ``o`` (``o`` ahead, the same way at a similar pace, about as far from
    the camera) or leads it (the mirror)."""
    v1, v2 = np.array([m.vx[i], m.vy[i]]), np.array([o.vx[j], o.vy[j]])
    n1, n2 = float(np.linalg.norm(v1)), float(np.linalg.norm(v2))
    if n1 <= 0 or n2 < th.move_off or float(v1 @ v2) / (n1 * n2) < 0.8:
        return False
    h = max(float(np.sqrt(m.size[i] * o.size[j])), 1.0)
    ahead = float((o.centre[j] - m.centre[i]) @ v1) / (n1 * h)  # > 0: the other is ahead, in heights
    rows = abs(float(m.boxes[i][3] - o.boxes[j][3])) / h
    pace = max(n1, n2) <= th.follow_pace * min(n1, n2)
    lo, hi = th.follow_gap
    gap = ahead if predicate == "follows" else -ahead
    return pace and rows <= th.together_rows and lo <= gap <= hi


def _passes(m: Motion, o: Motion, th: Thresholds) -> list[tuple[int, int]]:
    """The overtakes of ``o`` by ``m``: spans of seconds both walk the same way (``o`` walking into and
    out of the second, not just blurred by a stop) on about the same row, ``m`` faster and within
    ``pass_gap`` heights of ``o``, inside which ``o`` goes from ahead of ``m`` to behind it. The two
    seconds either side of the pass always count: a runner gains more than a height a second, so at
    1 FPS no second may find the two level. Where ``o`` is unseen for one second next to seconds it
    was seen walking (the one who passes hides it just then), it is where its pace takes it."""
    moving = _moving_mask(m, th, None)
    same, ahead = [], []
    for i, sec in enumerate(m.seconds):
        j, dt = o.index(int(sec)), 0.0
        for near in (-1, 1):
            if j is None and (j := o.index(int(sec) + near)) is not None:
                dt = float(-near)
        if j is None or not moving[i] or o.rest[j] <= th.move_on:
            same.append(False)
            ahead.append(np.nan)
            continue
        v1, v2 = np.array([m.vx[i], m.vy[i]]), np.array([o.vx[j], o.vy[j]])
        step = v2 * float(o.size[j]) * dt  # pixels walked since (or until) seen
        h = max(float(np.sqrt(m.size[i] * o.size[j])), 1.0)
        ahead.append(float((o.centre[j] + step - m.centre[i]) @ v1) / (float(m.speed[i]) * h))
        same.append(float(v1 @ v2) >= 0.8 * float(m.speed[i] * o.speed[j]) and m.speed[i] >= th.pass_pace * o.speed[j]
                    and abs(float(m.boxes[i][3] - o.boxes[j][3] - step[1])) / h <= th.pass_rows)
    mask = [ok and abs(a) <= th.pass_gap for ok, a in zip(same, ahead)]
    for i in range(len(ahead) - 1):
        if same[i] and same[i + 1] and ahead[i] > 0 > ahead[i + 1] and m.seconds[i + 1] - m.seconds[i] == 1:
            mask[i] = mask[i + 1] = True
    return [(s, e) for s, e in _spans(m, mask, th)
            if any(x > 0 for x in _window(m, ahead, s, e)) and any(x < 0 for x in _window(m, ahead, s, e))]


def _window(m: Motion, values: list[float], start: int, end: int) -> list[float]:
    """``values`` (aligned on ``m.seconds``) inside ``[start, end]``, the order kept, NaN dropped."""
    return [v for sec, v in zip(m.seconds, values) if start <= sec <= end and not np.isnan(v)]


def _overtakes(q: _Ask, _name: str) -> Holds:
    """Passing a slower one going the same way; the partner is the one passed (the longest pass)."""
    best: tuple[int, tuple[int, int] | None, int | None] = (0, None, None)
    for o in q.others:
        if o.track_id == q.m.track_id:
            continue
        for s, e in _passes(q.m, o, q.th):
            if e - s + 1 > best[0]:
                best = (e - s + 1, (s, e), o.track_id)
    if best[1] is None:
        return Holds(reason=f"track {q.m.track_id} overtakes nobody")
    out = _result(q.m, [best[1]], q.speed_signal, "overtakes another object")
    return out.model_copy(update={"partner": best[2]})


def _pair_mask(predicate: str, m: Motion, others: Sequence[Motion], th: Thresholds) -> list[bool]:
    """Per second: follows (someone ahead) or leads (someone behind)."""
    moving = _moving_mask(m, th, None)
    return [bool(moving[i]) and any(_pair_holds(predicate, m, i, o, j, th) for o in others
                                    if o.track_id != m.track_id and (j := o.index(int(sec))) is not None)
            for i, sec in enumerate(m.seconds)]


class _Ask(BaseModel):
    """One predicate question about one track: its motion and the scene around it."""

    model_config = {"arbitrary_types_allowed": True}

    m: Motion
    frame: tuple[int, int]
    direction: Direction | None
    others: Sequence[Motion]
    window: tuple[int, int]
    th: Thresholds
    typical_speed: float

    @property
    def speed_signal(self) -> np.ndarray:
        return np.clip(self.m.speed / max(self.th.fast_on, 1e-6), 0, 1)


def _with_partner(q: _Ask, out: Holds) -> Holds:
    return out.model_copy(update={"partner": _partner(q.m, q.others, out.interval)})


def _present(q: _Ask, _name: str) -> Holds:
    n = len(q.m.seconds)
    return _result(q.m, _spans(q.m, [True] * n, q.th, min_len=1), np.ones(n), "visible")


def _moving(q: _Ask, _name: str) -> Holds:
    m, th = q.m, q.th
    signal = (np.clip(np.abs(m.growth) / (2 * th.growth_on), 0, 1) if q.direction in ("toward", "away")
              else np.clip(m.speed / max(th.move_on * 2, 1e-6), 0, 1))  # in depth, the box grows or shrinks
    mask = _moving_mask(m, th, q.direction)
    if q.direction in ("toward", "away"):  # a box cut by a side edge grows (shrinks) as the body steps in (out)
        cut = [bool(b[0] <= th.edge_px or b[2] >= q.frame[0] - th.edge_px) for b in m.boxes]
        mask = [ok and not any(cut[max(i - 1, 0):i + 2]) for i, ok in enumerate(mask)]
    return _result(m, _spans(m, mask, th), signal, "moving" + (f" {q.direction}" if q.direction else ""))


def _crosses(q: _Ask, _name: str) -> Holds:
    """All the way across: in from one side edge, out at the other (the road or the picture)."""
    m, th, w = q.m, q.th, q.frame[0]
    zone = th.edge_zone * w
    first, last = m.boxes[0], m.boxes[-1]
    rightwards = last[0] + last[2] > first[0] + first[2]
    if q.direction in ("left", "right") and rightwards != (q.direction == "right"):
        return Holds(reason=f"track {m.track_id} does not cross towards the {q.direction}")
    # a track that starts (ends) inside the video and the picture may have been missed at the edge by a
    # second: its first (last) box then counts if it is in the outer quarter.
    z_in = zone if m.seconds[0] <= q.window[0] else 0.25 * w
    z_out = zone if m.seconds[-1] >= q.window[1] else 0.25 * w
    ends = ((first[0] <= z_in and last[2] >= w - z_out) if rightwards else
            (first[2] >= w - z_in and last[0] <= z_out))
    if not ends or abs(m.dx_pixels(int(m.seconds[0]), int(m.seconds[-1]))) < 0.5 * w:
        return Holds(reason=f"track {m.track_id} does not cross the whole picture")
    return _result(m, [(int(m.seconds[0]), int(m.seconds[-1]))], q.speed_signal, "crosses the frame")


def _fast(q: _Ask, _name: str) -> Holds:
    """Running: fast in body heights per second, or relative to the scene's typical speed."""
    m, th = q.m, q.th
    on = (min(th.fast_on, max(th.fast_floor, th.fast_relative * q.typical_speed)) if q.typical_speed
          else th.fast_on)
    mask = hysteresis(m.speed, on, on * th.fast_off / th.fast_on)
    if q.direction is not None:
        mask = [a and b for a, b in zip(mask, _moving_mask(m, th, q.direction))]
    short = len(m.seconds) <= 3  # a runner crosses the picture in a few seconds
    return _result(m, _spans(m, mask, th, min_len=1 if short else None), q.speed_signal, "moving fast")


def _slow(q: _Ask, _name: str) -> Holds:
    moving = _moving_mask(q.m, q.th, q.direction)
    mask = [a and s < q.th.slow_below for a, s in zip(moving, q.m.speed)]
    return _result(q.m, _spans(q.m, mask, q.th), 1 - q.speed_signal, "moving slowly")


def _stationary(q: _Ask, _name: str) -> Holds:
    mask = _stood_through(q.m, hysteresis(-q.m.rest, -q.th.still_on, -q.th.still_off), q.th)
    spans = [sp for sp in _spans(q.m, mask, q.th) if not _turn_at(q.m, sp, q.th)]
    return _result(q.m, spans, 1 - q.speed_signal, "stationary")


def _turn_at(m: Motion, span: tuple[int, int], th: Thresholds, longest_s: int = 2) -> bool:
    """Whether a short still ``span`` (up to ``longest_s`` seconds) is the slow moment of a turn: the
    walk into it and the walk out of it go opposite ways (each at least ``still_off`` heights a second)."""
    s, e = span
    if e - s + 1 > longest_s:
        return False
    before = [i for i, sec in enumerate(m.seconds) if s - 2 <= sec <= s]
    after = [i for i, sec in enumerate(m.seconds) if e <= sec <= e + 2]
    if len(before) < 2 or len(after) < 2:
        return False
    h = max(float(np.median(m.size[before + after])), 1.0)
    into = (m.centre[before[-1], 0] - m.centre[before[0], 0]) / h / max(m.seconds[before[-1]] - m.seconds[before[0]], 1)
    out = (m.centre[after[-1], 0] - m.centre[after[0], 0]) / h / max(m.seconds[after[-1]] - m.seconds[after[0]], 1)
    return bool(into * out < 0 and min(abs(into), abs(out)) >= th.still_off)


def _stood_through(m: Motion, still: list[bool], th: Thresholds, longest_s: int = 3) -> list[bool]:
    """``still`` with a break of up to ``longest_s`` seconds between two standing runs filled in where
    the box is back where it stood (within ``still_off`` heights): someone walking by in front hid or
    cut the box, the person did not move."""
    out = list(still)
    runs_at = [i for i in range(len(out)) if out[i] and (i + 1 == len(out) or not out[i + 1])]  # run ends
    for i in runs_at:
        j = next((k for k in range(i + 1, len(out)) if out[k]), None)
        if j is None or m.seconds[j] - m.seconds[i] - 1 > longest_s:
            continue
        h = max(float(np.sqrt(m.size[i] * m.size[j])), 1.0)
        if float(np.linalg.norm(m.centre[j] - m.centre[i])) / h <= th.still_off:
            out[i + 1:j] = [True] * (j - i - 1)
    return out


def _start_or_stop(q: _Ask, name: str) -> Holds:
    """A start is the second either side of the first moving second after standing; a stop runs from
    a second before it to the end of the stand (as the synthetic ground truth defines them)."""
    m, th = q.m, q.th
    still = hysteresis(-m.rest, -th.still_on, -th.still_off)
    moving = [mv and not st for mv, st in zip(_moving_mask(m, th, q.direction), still)]
    # one second of walking counts when it is a clear step (a track often starts or ends a step
    # from the stand: the person walked in, or out, at the edge of what was seen)
    move_spans = [(s, e) for s, e in _spans(m, moving, th, min_len=1)
                  if e > s or m.speed[m.index(s)] >= 2 * th.move_on]
    still_spans = _spans(m, still, th, min_len=1)
    spans, clear = [], {}
    for ms, me in move_spans:
        for ss, se in still_spans:
            if se - ss + 1 < th.min_len and me == ms:
                continue  # one second of each is too little to tell
            span = None
            if name == "starts_moving" and 0 <= ms - se <= th.max_gap + 1:
                span = (max(ss, ms - 1), min(me, ms + 1))
            if name == "stops" and 0 <= ss - me <= th.max_gap + 1:
                span = (max(ms, ss - 1), se)
            if span is not None:
                spans.append(span)
                # how sure: a stand of three seconds or more next to a walk of three or more
                clear[span] = max(clear.get(span, 0.0), min(1.0, (se - ss + 1) / 3) * min(1.0, (me - ms + 1) / 3))
    out = _result(m, spans, q.speed_signal, "starts moving" if name == "starts_moving" else "stops")
    return out if out.interval is None else out.model_copy(update={"strength": clear[out.interval]})


def _edges(q: _Ask, name: str) -> Holds:
    return _edge_event(name, q.m, q.frame, q.direction, q.window, q.th)


def _turns_back(q: _Ask, _name: str) -> Holds:
    """Moving one way, then the other: the reversal, a second and a half either side."""
    m, th = q.m, q.th
    axis = m.vx if q.direction in (None, "left", "right") else m.growth
    on, off = (th.direction_on, th.direction_off) if axis is m.vx else (th.growth_on, th.growth_off)
    pos = _spans(m, hysteresis(axis, on, off), th)
    neg = _spans(m, hysteresis(-axis, on, off), th)
    pairs = [(a, b) for a in pos + neg for b in pos + neg
             if (a in pos) != (b in pos) and 0 <= b[0] - a[1] <= th.max_gap + 2]
    out = _result(m, [(max(a[0], a[1] - 1), min(b[1], b[0] + 1)) for a, b in pairs], q.speed_signal, "turns back")
    if out.interval is None:
        return out
    # How sure: someone who turns walks back at about the pace they came (a track that jumps onto
    # another person looks like a turn at a pace no one keeps).
    a, b = next((a, b) for a, b in pairs if (max(a[0], a[1] - 1), min(b[1], b[0] + 1)) == out.interval)
    pace = [float(np.mean(m.speed[(m.seconds >= s) & (m.seconds <= e)])) for s, e in (a, b)]
    return out.model_copy(update={"strength": out.strength * min(pace) / max(max(pace), 1e-6)})


def _approaches(q: _Ask, _name: str) -> Holds:
    return _approach(q.m, q.others, q.th, q.window[1])


def _meets(q: _Ask, _name: str) -> Holds:
    """Two walking towards each other until both stand close together: from the first second both
    close in to the second the later of the two stops (the same interval for both)."""
    m, th = q.m, q.th
    best: tuple[int, tuple[int, int] | None, int | None] = (0, None, None)
    for o in q.others:
        if o.track_id == m.track_id:
            continue
        for span in _Pair(m, o, th).meetings():
            if span[1] - span[0] + 1 >= th.min_len and span[1] - span[0] + 1 > best[0]:
                best = (span[1] - span[0] + 1, span, o.track_id)
    if best[1] is None:
        return Holds(reason=f"track {m.track_id} meets nobody")
    out = _result(m, [best[1]], np.ones(len(m.seconds)), "meets another object")
    return out.model_copy(update={"partner": best[2]})


class _Pair:
    """Two tracks seen as a pair, second by second, in quantities that do not change when the two
    swap boxes (as trackers do when two people come together): the distance between them and the
    steps they take, each box paired with the nearer of the two a second before."""

    def __init__(self, m: Motion, o: Motion, th: Thresholds) -> None:
        self.m, self.o, self.th = m, o, th

    def _at(self, sec: int) -> tuple[int, int] | None:
        a, b = self.m.index(sec), self.o.index(sec)
        return None if a is None or b is None else (a, b)

    def gap(self, sec: int) -> float:
        a, b = self._at(sec)  # type: ignore[misc]
        return _gap(self.m, a, self.o, b)

    def steps(self, sec: int) -> tuple[float, float] | None:
        """The two steps (box sizes) from ``sec - 1`` to ``sec``, the cheaper way of pairing the boxes."""
        now, before = self._at(sec), self._at(sec - 1)
        if now is None or before is None:
            return None
        m, o = self.m, self.o
        size = max(float(np.sqrt(m.size[now[0]] * o.size[now[1]])), 1.0)
        pm, po, qm, qo = m.centre[now[0]], o.centre[now[1]], m.centre[before[0]], o.centre[before[1]]
        straight = (float(np.linalg.norm(pm - qm)) / size, float(np.linalg.norm(po - qo)) / size)
        crossed = (float(np.linalg.norm(pm - qo)) / size, float(np.linalg.norm(po - qm)) / size)
        return min(straight, crossed, key=sum)

    def still(self, sec: int) -> bool:
        """Both standing: both steps into or out of ``sec`` at most ``still_off``."""
        return any(st is not None and max(st) <= self.th.still_off for st in (self.steps(sec), self.steps(sec + 1)))

    def meetings(self) -> list[tuple[int, int]]:
        """Each mutual approach: the seconds both step at least ``move_on`` and the distance between
        them shrinks by twice ``approach_rate`` or more, ending with both standing side by side; it
        ends the second the shrinking stopped (read at the pace it shrank)."""
        th, out, before = self.th, [], False
        for sec in (int(s) for s in self.m.seconds):
            now = self._at(sec)
            here = now is not None and self.still(sec) and _side_by_side(self.m, now[0], self.o, now[1], th)
            if here and not before:
                stand = sec
                while self._at(stand - 1) is not None and self.still(stand - 1):
                    stand -= 1
                if (span := self._approach_to(stand)) is not None:
                    out.append(span)
            before = here
        return out

    def _approach_to(self, stand: int) -> tuple[int, int] | None:
        th, shrink, sec = self.th, [], stand
        while (st := self.steps(sec)) is not None and min(st) >= th.move_on \
                and (closer := self.gap(sec - 1) - self.gap(sec)) >= 2 * th.approach_rate:
            shrink.append(closer)
            sec -= 1
        if not shrink:
            return None
        after = max(self.gap(stand) - self.gap(stand + 1), 0.0) if self._at(stand + 1) is not None else 0.0
        pace = max(float(np.mean(shrink[1:] if len(shrink) > 1 else shrink)), 1e-6)
        return sec, int(np.clip(np.floor(stand - 1 + (shrink[0] + after) / pace), stand - 1, stand))


def _together(q: _Ask, _name: str) -> Holds:
    """Walking side by side with someone; the partner is the one walked with in most seconds."""
    who = _together_with(q.m, q.others, q.th)
    out = _result(q.m, _spans(q.m, [w is not None for w in who], q.th), q.speed_signal,
                  "moves together with another object")
    if out.interval is None:
        return out
    ids = [w for sec, w in zip(q.m.seconds, who) if w is not None and out.interval[0] <= sec <= out.interval[1]]
    return out.model_copy(update={"partner": max(set(ids), key=lambda k: (ids.count(k), -k))}) if ids else out


def _pairs(q: _Ask, name: str) -> Holds:
    """Follows, leads; the partner is the other track the relation holds with in the most seconds of
    the interval (the nearest one would be whoever walks alongside)."""
    what = {"follows": "follows another object", "leads": "is followed by another object"}[name]
    m, th = q.m, q.th
    out = _result(m, _spans(m, _pair_mask(name, m, q.others, th), th), q.speed_signal, what)
    if out.interval is None:
        return out
    seconds: dict[int, int] = {}
    for i, sec in enumerate(m.seconds):
        if not out.interval[0] <= sec <= out.interval[1]:
            continue
        for o in q.others:
            if o.track_id != m.track_id and (j := o.index(int(sec))) is not None and _pair_holds(name, m, i, o, j, th):
                seconds[o.track_id] = seconds.get(o.track_id, 0) + 1
    if not seconds:
        return _with_partner(q, out)
    return out.model_copy(update={"partner": max(seconds, key=lambda k: (seconds[k], -k))})


PREDICATE_RULES = {
    "present": _present, "moving": _moving, "crosses": _crosses, "fast": _fast, "slow": _slow,
    "stationary": _stationary, "starts_moving": _start_or_stop, "stops": _start_or_stop, "enters": _edges,
    "leaves": _edges, "turns_back": _turns_back, "approaches": _approaches, "meets": _meets,
    "together": _together, "follows": _pairs, "leads": _pairs, "overtakes": _overtakes,
}
"""Predicate name -> the rule that finds where it holds (one small function each)."""


def evaluate(
    predicate: str,
    m: Motion,
    *,
    frame: tuple[int, int],
    direction: Direction | None = None,
    others: Sequence[Motion] = (),
    window: tuple[int, int] | None = None,
    th: Thresholds | None = None,
    typical_speed: float = 0.0,
) -> Holds:
    """Where ``predicate`` holds for track motion ``m`` (``window`` = the seconds that were looked at).

    ``typical_speed`` is the scene's typical moving speed (:func:`scene_speed`): running is fast in
    absolute terms (``fast_on`` box sizes per second) or relative to the others.

    >>> from tools.track import Track
    >>> from agent.kinematics import motion
    >>> stop = Track(id=2, label="car", boxes={k: (min(k, 4) * 40.0, 100, min(k, 4) * 40.0 + 60, 140)
    ...                                         for k in range(10)})
    >>> evaluate("stops", motion(stop), frame=(640, 360)).interval
    (3, 9)
    """
    if predicate not in PREDICATE_RULES:
        raise ValueError(f"unknown predicate {predicate!r}")
    if len(m.seconds) == 0:
        return Holds(reason=f"track {m.track_id} has no boxes")
    ask = _Ask(m=m, frame=frame, direction=direction, others=others, th=th or Thresholds(),
               window=window or (int(m.seconds[0]), int(m.seconds[-1])), typical_speed=typical_speed)
    return PREDICATE_RULES[predicate](ask, predicate)
