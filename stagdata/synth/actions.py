"""Action labels computed from where the actors actually are, for every actor and every pair.

A query's ground truth must include *every* object doing what it says, not only the one the
scene was written for: the person leaving on the left also walks left. So labels are not copied
from the script but derived from the per-frame placement, with the definitions below (all
intervals are inclusive frame ranges while the actor is visible; ``h`` is the body height, speeds
are in body heights per second so a far, small walker and a near, tall one are alike):

- ``walk`` / ``run`` (left / right): moving sideways at >= 0.1 h/s, for >= 1.5 s; a run is >= 1 h/s
  (walkers go 0.45-0.65 h/s, runners 1.3-1.65 h/s). ``run`` without a direction: any run.
- ``walk`` (toward / away): the body grows (shrinks) by >= 5% a second (walking in depth), >= 1.5 s.
- ``stand``: not moving (neither sideways nor in depth) for >= 2 s.
- ``stop``: 1 s of motion, then standing for >= 1.5 s: from 1 s before the stop to the end of the stand.
- ``start``: standing for >= 1.5 s, then moving: 1 s either side of the first moving frame.
- ``turn_back``: moving one way, then (after at most 1 s still) the other way: 1.5 s either side
  of the reversal.
- ``enter`` (side): from the first visible frame, crossing a side edge, until 1.5 s after the body
  is wholly inside. ``leave`` (side): from 1.5 s before the body starts crossing a side edge to the
  last visible frame. ``cross`` (direction): enters on one side and leaves on the other; the whole
  visible span.
- ``follow`` / ``lead``: both moving the same way at similar speed (ratio <= 1.33), feet rows
  within 0.15 h, the follower 0.6-2.2 h behind the leader, for >= 2 s.
- ``together``: two people side by side: moving the same way at similar speed, feet rows within
  0.15 h and centres within 0.5 h, for >= 2 s (both get the label).
- ``overtake``: moving the same way at >= 1.3x the other's speed (body heights per second), feet
  rows within 0.4 h (about the same distance from the camera), and passing it; while the two
  centres are within 1 h of each other.
- ``approach``: walking towards someone who stands still and stopping within 0.7 h of them (and
  both staying >= 1 s): the approach, from its first frame to the frame it stops.
- ``meet``: two people walking towards each other, then both standing within 0.9 h (>= 1 s): from
  the start of the mutual approach to the frame both stand (both get the label).

What a *query* answers (the interval conventions) is decided in :mod:`stagdata.synth.queries`
from these labels and the actors' visible spans.

>>> runs(np.array([0, 1, 1, 0, 1, 1, 1], bool), min_len=2)
[(1, 2), (4, 6)]
"""

from __future__ import annotations

from itertools import pairwise, permutations
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from stagdata.synth.compose import MIN_VISIBLE, ActorTrack

Verb = Literal["walk", "run", "stand", "stop", "start", "turn_back", "enter", "leave", "cross",
               "follow", "lead", "together", "overtake", "approach", "meet"]
Direction = Literal["left", "right", "toward", "away"]

MOVING_H_S = 0.1
"""Sideways motion (body heights per second) that counts as moving."""
RUN_H_S = 1.0
"""Sideways speed (body heights per second) from which a gait is a run."""
DEPTH_RATE = 0.05
"""Relative growth (or shrinking) of the body per second that counts as walking toward (away from) the camera."""
MIN_ACTION_S = 1.5
MIN_STAND_S = 2.0
STOP_HOLD_S = 1.5
TURN_GAP_S = 1.0
TURN_HALF_S = 1.5
EDGE_MARGIN_S = 1.5
FOLLOW_MIN_S = 2.0
FOLLOW_GAP = (0.6, 2.2)
TOGETHER_GAP = 0.5
FOLLOW_SPEED_RATIO = 1.33
SAME_ROW = 0.15
OVERTAKE_RATIO = 1.3
OVERTAKE_ROWS = 0.4
APPROACH_NEAR = 0.7
MEET_NEAR = 0.9


class Label(BaseModel):
    """One actor doing one thing over an inclusive frame interval."""

    model_config = ConfigDict(frozen=True)

    verb: Verb
    actor: int
    start: int = Field(ge=0, description="first frame (0-based, inclusive)")
    end: int = Field(ge=0, description="last frame (inclusive)")
    direction: Direction | None = Field(None, description="motion direction, or the side for enter/leave")
    other: int | None = Field(None, description="the other actor of a relation (followed, overtaken, ...)")


def runs(mask: np.ndarray, min_len: int = 1) -> list[tuple[int, int]]:
    """Inclusive (first, last) index pairs of the True runs of ``mask`` at least ``min_len`` long."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    d = np.diff(m.astype(np.int8))
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1) - 1
    return [(int(s), int(e)) for s, e in zip(starts, ends) if e - s + 1 >= min_len]


class _Actor:
    """Per-frame facts about one actor used by the definitions."""

    def __init__(self, t: ActorTrack, width: int) -> None:
        self.id = t.script.id
        self.f = t.frames
        self.x, self.y, self.vx, self.h = t.x, t.y, t.vx, t.height.astype(float)
        self.vis = t.visible >= MIN_VISIBLE
        self.full = t.visible >= 0.999
        self.speed = np.abs(t.vx) / np.maximum(1.0, self.h)  # sideways, body heights per second
        growth = t.growth if t.growth is not None else np.zeros(len(t.frames))
        self.depth = np.where(growth >= DEPTH_RATE, 1, np.where(growth <= -DEPTH_RATE, -1, 0))
        self.lateral = self.speed >= MOVING_H_S
        self.moving = self.lateral | (self.depth != 0)
        self.dir = np.sign(t.vx) * self.lateral
        self.running = self.speed >= RUN_H_S
        self.left_cut = t.box[:, 0] < 0
        self.right_cut = t.box[:, 2] > width

    def label(self, verb: Verb, i0: int, i1: int, **kw: object) -> Label:
        return Label(verb=verb, actor=self.id, start=int(self.f[i0]), end=int(self.f[i1]), **kw)


def _direction(sign: float) -> Direction:
    return "right" if sign > 0 else "left"


def _single(a: _Actor, fps: float) -> list[Label]:
    out: list[Label] = []
    s = lambda sec: max(1, round(sec * fps))
    for gait, fast in (("walk", False), ("run", True)):
        for sign in (-1, 1):
            mask = a.vis & a.lateral & (a.running == fast) & (a.dir == sign)
            out += [a.label(gait, i0, i1, direction=_direction(sign)) for i0, i1 in runs(mask, s(MIN_ACTION_S))]
    out += [a.label("run", i0, i1) for i0, i1 in runs(a.vis & a.running, s(MIN_ACTION_S))]
    for sign, name in ((1, "toward"), (-1, "away")):
        mask = a.vis & (a.depth == sign) & ~a.running
        out += [a.label("walk", i0, i1, direction=name) for i0, i1 in runs(mask, s(MIN_ACTION_S))]
    still = a.vis & ~a.moving
    out += [a.label("stand", i0, i1) for i0, i1 in runs(still, s(MIN_STAND_S))]
    for i0, i1 in runs(still, s(STOP_HOLD_S)):
        b = i0 - s(1.0)
        if b >= 0 and (a.vis[b:i0] & a.moving[b:i0]).all():
            out.append(a.label("stop", b, i1))
        e = i1 + s(1.0)
        if e < len(a.f) and (a.vis[i1 + 1:e + 1] & a.moving[i1 + 1:e + 1]).all():
            out.append(a.label("start", i1 + 1 - s(1.0), e))
    moves = runs(a.vis & a.lateral, s(1.0))
    for (p0, p1), (n0, n1) in pairwise(moves):
        if a.dir[p1] != a.dir[n0] and n0 - p1 - 1 <= s(TURN_GAP_S) and a.vis[p1:n0 + 1].all():
            mid = (p1 + n0) // 2
            out.append(a.label("turn_back", max(p0, mid - s(TURN_HALF_S)), min(n1, mid + s(TURN_HALF_S)),
                               direction=_direction(a.dir[n0])))
    out += _edges(a, fps)
    return out


def _edges(a: _Actor, fps: float) -> list[Label]:
    """enter / leave / cross from how the visible span begins and ends at the picture's sides."""
    out: list[Label] = []
    margin = round(EDGE_MARGIN_S * fps)
    spans = runs(a.vis)
    if len(spans) != 1:
        return out
    i_v, i_l = spans[0]
    entered = exited = None
    if i_v > 0 or a.left_cut[i_v] or a.right_cut[i_v]:
        side = "left" if a.left_cut[i_v] else "right" if a.right_cut[i_v] else None
        full = np.flatnonzero(a.full[i_v:i_l + 1])
        if side and len(full):
            entered = side
            out.append(a.label("enter", i_v, min(i_l, i_v + int(full[0]) + margin), direction=side))
    if i_l < len(a.f) - 1 or a.left_cut[i_l] or a.right_cut[i_l]:
        side = "left" if a.left_cut[i_l] else "right" if a.right_cut[i_l] else None
        full = np.flatnonzero(a.full[i_v:i_l + 1])
        if side and len(full) and i_l < len(a.f) - 1:
            exited = side
            out.append(a.label("leave", max(i_v, i_v + int(full[-1]) - margin), i_l, direction=side))
    if entered and exited and entered != exited:
        out.append(a.label("cross", i_v, i_l, direction="right" if entered == "left" else "left"))
    return out


def _common(a: _Actor, b: _Actor) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    frames, ia, ib = np.intersect1d(a.f, b.f, return_indices=True)
    keep = a.vis[ia] & b.vis[ib]
    return frames[keep], ia[keep], ib[keep]


def _pair(a: _Actor, b: _Actor, fps: float) -> list[Label]:
    """Relations where ``a`` is the subject (follows / overtakes / approaches / meets ``b``)."""
    frames, ia, ib = _common(a, b)
    if len(frames) < 2:
        return []
    s = lambda sec: max(1, round(sec * fps))
    out: list[Label] = []
    hm = (a.h[ia] + b.h[ib]) / 2
    same_row = np.abs(a.y[ia] - b.y[ib]) <= SAME_ROW * hm
    both_move = a.lateral[ia] & b.lateral[ib] & (a.dir[ia] == b.dir[ib])
    speed_a, speed_b = np.abs(a.vx[ia]), np.abs(b.vx[ib])
    gap = (b.x[ib] - a.x[ia]) * a.dir[ia]  # > 0: b is ahead of a
    contiguous = np.diff(frames, prepend=frames[0] - 1) == 1

    def spans(mask: np.ndarray, min_len: int) -> list[tuple[int, int]]:
        # split at holes in the common frames so a run never bridges time both were not visible
        cuts = np.cumsum(~contiguous)
        return [(i0, i1) for i0, i1 in runs(mask, min_len) if cuts[i0] == cuts[i1]]

    similar = np.maximum(speed_a, speed_b) <= FOLLOW_SPEED_RATIO * np.maximum(1e-9, np.minimum(speed_a, speed_b))
    follow = both_move & same_row & similar & (gap >= FOLLOW_GAP[0] * hm) & (gap <= FOLLOW_GAP[1] * hm)
    for i0, i1 in spans(follow, s(FOLLOW_MIN_S)):
        f0, f1 = int(frames[i0]), int(frames[i1])
        out.append(Label(verb="follow", actor=a.id, start=f0, end=f1, direction=_direction(a.dir[ia[i0]]), other=b.id))
        out.append(Label(verb="lead", actor=b.id, start=f0, end=f1, direction=_direction(a.dir[ia[i0]]), other=a.id))

    if a.id < b.id:  # side by side is symmetric: label both once
        together = both_move & same_row & similar & (np.abs(gap) <= TOGETHER_GAP * hm)
        for i0, i1 in spans(together, s(FOLLOW_MIN_S)):
            f0, f1 = int(frames[i0]), int(frames[i1])
            out.append(Label(verb="together", actor=a.id, start=f0, end=f1, other=b.id))
            out.append(Label(verb="together", actor=b.id, start=f0, end=f1, other=a.id))

    faster = both_move & (a.speed[ia] >= OVERTAKE_RATIO * b.speed[ib])
    close = faster & (np.abs(gap) <= 1.0 * hm) & (np.abs(a.y[ia] - b.y[ib]) <= OVERTAKE_ROWS * hm)
    for i0, i1 in spans(close, s(MIN_ACTION_S)):
        if gap[i0] > 0 and gap[i1] < 0:  # b ahead at the start, behind at the end: a passed it
            out.append(Label(verb="overtake", actor=a.id, start=int(frames[i0]), end=int(frames[i1]),
                             direction=_direction(a.dir[ia[i0]]), other=b.id))

    toward_a = a.lateral[ia] & (a.dir[ia] == np.sign(b.x[ib] - a.x[ia]))
    toward_b = b.lateral[ib] & (b.dir[ib] == np.sign(a.x[ia] - b.x[ib]))
    a_still, b_still = ~a.moving[ia], ~b.moving[ib]
    dist = np.abs(a.x[ia] - b.x[ib])
    near_row = np.abs(a.y[ia] - b.y[ib]) <= 0.3 * hm
    for i0, i1 in spans(toward_a & b_still & near_row, s(MIN_ACTION_S)):
        j = i1 + 1  # first frame after the approach run
        if j < len(frames) and contiguous[j] and a_still[j] and dist[j] <= APPROACH_NEAR * hm[j]:
            hold = spans(a_still & b_still, 1)
            held = next((e for st, e in hold if st <= j <= e), j)
            if held - j + 1 >= s(1.0):
                out.append(Label(verb="approach", actor=a.id, start=int(frames[i0]), end=int(frames[j]),
                                 other=b.id))
    if a.id < b.id:  # meet is symmetric: label both once
        for i0, i1 in spans(toward_a & toward_b & near_row, s(MIN_ACTION_S)):
            rest = np.flatnonzero(a_still[i1 + 1:] & b_still[i1 + 1:])
            if not len(rest):
                continue
            j = i1 + 1 + int(rest[0])
            if j - i1 > s(1.0) or not contiguous[i1 + 1:j + 1].all() or dist[j] > MEET_NEAR * hm[j]:
                continue
            hold = spans(a_still & b_still, 1)
            held = next((e for st, e in hold if st <= j <= e), j)
            if held - j + 1 < s(1.0):
                continue
            end = int(frames[j])
            out.append(Label(verb="meet", actor=a.id, start=int(frames[i0]), end=end, other=b.id))
            out.append(Label(verb="meet", actor=b.id, start=int(frames[i0]), end=end, other=a.id))
    return out


def merge_overlapping(labels: list[Label]) -> list[Label]:
    """Join labels of one actor with the same verb and direction that overlap or touch.

    (Someone walking behind two people at once follows "someone" over the union of both.)
    The merged label keeps the ``other`` of its earliest part.

    >>> a = Label(verb="follow", actor=3, start=10, end=50, direction="left", other=1)
    >>> b = Label(verb="follow", actor=3, start=40, end=90, direction="left", other=2)
    >>> [(m.start, m.end, m.other) for m in merge_overlapping([b, a])]
    [(10, 90, 1)]
    """
    out: list[Label] = []
    for lab in sorted(labels, key=lambda x: (x.actor, x.verb, x.direction or "", x.start, x.end)):
        prev = out[-1] if out else None
        if prev is not None and (prev.actor, prev.verb, prev.direction) == (lab.actor, lab.verb, lab.direction) \
                and lab.start <= prev.end + 1:
            out[-1] = prev.model_copy(update={"end": max(prev.end, lab.end)})
        else:
            out.append(lab)
    return out


def label_actions(tracks: list[ActorTrack], fps: float, width: int) -> list[Label]:
    """Every label of every actor and pair (overlapping duplicates merged), sorted by (actor, start, verb)."""
    actors = [_Actor(t, width) for t in tracks if len(t.frames)]
    out: list[Label] = []
    for a in actors:
        out += _single(a, fps)
    for a, b in permutations(actors, 2):
        out += _pair(a, b, fps)
    return sorted(merge_overlapping(out), key=lambda lab: (lab.actor, lab.start, lab.verb, lab.other or 0))
