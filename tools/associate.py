"""Offline multi-object association for 1-FPS samples: motion + appearance + Hungarian, then stitching.

numpy/scipy only (no torch, no ultralytics: this path stays off the cold start). Two steps:

1. **Linking** (:func:`link`), forward in time: each live track predicts its centre with the
   velocity of its last two observations (from the first pair on); a detection is a candidate when
   its centre lies within a gate measured in the track's *size* (the box's longer side: a person's
   height) that grows with the time elapsed (wider while the track has no velocity yet), of the
   same kind of object, of a similar size, and not clearly different in appearance. The cost mixes
   the normalised distance and the appearance distance; the Hungarian method
   (``scipy.optimize.linear_sum_assignment``) assigns. Confident detections are matched first,
   weak ones only extend tracks (as ByteTrack). While linking, the seconds where the assignment
   was ambiguous are noted (:class:`Ambiguity`): two candidates inside one gate with close costs, a
   crossing, a track lost away from the frame's edge.
2. **Stitching** (:func:`stitch`): tracklets that end and others that start up to
   ``max_gap_s`` later are joined when each one's motion extrapolated over the gap meets the other
   and they look alike (short exits, occlusions, missed detections). Hungarian again, repeated
   until nothing joins.

Observations are given as :class:`Frame` s at arbitrary times (seconds), so extra frames decoded
inside an ambiguous second (adaptive temporal resolution, :mod:`tools.perceive`) simply join the
timeline.

>>> import numpy as np
>>> frames = [Frame(time=float(k), xyxy=np.array([[10.0 + 45 * k, 100, 40 + 45 * k, 180]]), conf=np.array([0.9]),
...                 kind=np.array(["person"])) for k in range(6)]
>>> chains, _ = associate(frames)
>>> [[(f, i) for f, i in c] for c in chains]
[[(0, 0), (1, 0), (2, 0), (3, 0), (4, 0), (5, 0)]]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from scipy.optimize import linear_sum_assignment

INFEASIBLE = 1e6

VELOCITY_BASELINE_S = 0.9
"""Velocities are measured from the latest observation at least this long before the current one."""

MATCH_LIMIT = 1.2
"""Pairs cost at most about 1.1 (motion and appearance up to 1 each, weighted, plus 0.1 for a weak
score); a row left unpaired costs this, so any feasible pair alone still matches."""

Chain = list[tuple[int, int]]
"""One track: ``(frame position, detection index)`` pairs in time order."""


class AssociationConfig(BaseModel):
    """Gates and weights of :func:`associate`; distances are in object sizes, times in seconds."""

    model_config = ConfigDict(frozen=True)

    high_thresh: float = Field(0.3, ge=0, le=1, description="detections at or above this are matched first")
    low_thresh: float = Field(0.1, ge=0, le=1, description="weaker detections are ignored; between the two "
                                                           "they only extend live tracks")
    new_track_thresh: float = Field(0.35, ge=0, le=1, description="an unmatched detection starts a track if above")
    gate: float = Field(0.5, gt=0, description="centre gate in sizes, on top of the per-second terms")
    gate_per_s: float = Field(0.4, ge=0, description="extra gate per second elapsed when the velocity is known")
    gate_new_per_s: float = Field(2.0, ge=0, description="gate per second elapsed while the track has no velocity")
    size_ratio: float = Field(1.4, gt=1, description="largest size ratio between a track and a detection")
    appearance_weight: float = Field(0.7, ge=0, le=1, description="share of appearance in the cost (rest: motion)")
    appearance_scale: float = Field(0.1, gt=0, description="appearance distance that counts as fully different")
    appearance_veto: float = Field(0.25, gt=0, description="a pair more different than this never matches")
    velocity_weight: float = Field(1.0, ge=0, le=1, description="share of the last velocity used to predict")
    iou_match: float = Field(0.5, ge=0, le=1, description="a predicted box overlapping a detection at IoU >= this "
                                                          "matches at cost 1 - IoU whatever the gates say (0: off) ...")
    iou_appearance: float = Field(0.25, ge=0, description="... plus this times the appearance term (0 to 1)")
    feature_momentum: float = Field(0.7, ge=0, lt=1, description="weight of the old appearance in its running mean")
    live_s: float = Field(2.0, gt=0, description="a track unseen this long leaves linking (stitching may join it)")
    ambiguity_margin: float = Field(0.25, ge=0, description="two candidates closer in cost than this are ambiguous")
    max_gap_s: float = Field(5.0, ge=0, description="longest gap stitching bridges")
    stitch_gate: float = Field(0.8, gt=0, description="stitching gate in sizes, plus stitch_gate_per_s per second")
    stitch_gate_per_s: float = Field(0.3, ge=0, description="stitching gate growth per second of gap")
    stitch_max_cost: float = Field(1.0, gt=0, description="largest stitching cost accepted")
    duplicate_iou: float = Field(0.5, gt=0, le=1, description="a tracklet that ends at the sample where another "
                                 "begins, on a box overlapping it at IoU >= this, is one person seen twice "
                                 "there (a box on them and one pushed over a neighbour): stitched, surer box kept")
    min_observations: int = Field(2, ge=1, description="tracks with fewer observations are dropped")
    glimpse_conf: float = Field(0.4, ge=0, le=1, description="... except a single confident sighting of an "
                                "object other than a person (the detector sees a carriage's horse or a "
                                "bicycle from behind only now and then)")


@dataclass
class Frame:
    """The detections at one instant: boxes (xyxy px), scores, kinds and optional appearance vectors.

    ``feat`` rows are L2-normalised appearance vectors (distance ``1 - cosine``); None when unknown.
    ``support`` marks boxes that other evidence confirms (on a fixed camera: they cover what moves,
    :meth:`tools.foreground.Plate.supports`); where it is given, only supported weak detections
    extend tracks or form weak tracklets. None (a moving camera: nothing to ask) lets every weak
    detection extend tracks and none form tracklets.
    """

    time: float
    xyxy: np.ndarray
    conf: np.ndarray
    kind: np.ndarray
    feat: np.ndarray | None = None
    edge: tuple[float, float] | None = None  # image (width, height), to tell exits at the border
    support: np.ndarray | None = None  # per box: something besides the detector vouches for it

    def __post_init__(self) -> None:
        self.xyxy = np.asarray(self.xyxy, dtype=float).reshape(-1, 4)
        self.conf = np.asarray(self.conf, dtype=float).reshape(-1)
        self.kind = np.asarray(self.kind).reshape(-1)
        if self.support is not None:
            self.support = np.asarray(self.support, dtype=bool).reshape(-1)
        if not len(self.xyxy) == len(self.conf) == len(self.kind):
            raise ValueError(f"frame at {self.time}s: {len(self.xyxy)} boxes, {len(self.conf)} scores, "
                             f"{len(self.kind)} kinds")


@dataclass(frozen=True)
class Ambiguity:
    """Between ``start`` and ``end`` (s) the 1-FPS assignment was unsure: ``why``; higher ``weight`` first."""

    start: float
    end: float
    why: str
    weight: float


@dataclass
class _Live:
    chain: Chain
    box: np.ndarray
    time: float
    velocity: np.ndarray | None = None
    feat: np.ndarray | None = None
    kind: str = ""
    first_feat: np.ndarray | None = None
    feats: list[np.ndarray] = field(default_factory=list)
    past: list[tuple[float, np.ndarray]] = field(default_factory=list)  # (time, centre) of every observation


def centre(box: np.ndarray) -> np.ndarray:
    """Centres of ``[..., 4]`` xyxy boxes.

    >>> centre(np.array([0.0, 0, 10, 20])).tolist()
    [5.0, 10.0]
    """
    return (box[..., :2] + box[..., 2:]) / 2


def size(box: np.ndarray) -> np.ndarray:
    """The longer side of ``[..., 4]`` xyxy boxes (a person's height, a car's length), at least 1 px."""
    return np.maximum(np.maximum(box[..., 2] - box[..., 0], box[..., 3] - box[..., 1]), 1.0)


def _app_dist(a: np.ndarray | None, b: np.ndarray | None) -> float:
    if a is None or b is None:
        return float("nan")
    return float(1.0 - np.dot(a, b) / max(1e-9, np.linalg.norm(a) * np.linalg.norm(b)))


def _near_edge(box: np.ndarray, edge: tuple[float, float] | None, margin: float = 0.03) -> bool:
    if edge is None:
        return True
    w, h = edge
    return bool(box[0] <= margin * w or box[2] >= (1 - margin) * w or box[1] <= margin * h or box[3] >= (1 - margin) * h)


def _cost_matrix(live: list[_Live], frame: Frame, cols: np.ndarray, cfg: AssociationConfig) -> np.ndarray:
    """Motion + appearance cost of each live track against detections ``cols`` (INFEASIBLE outside gates)."""
    cost = np.full((len(live), len(cols)), INFEASIBLE)
    if not len(live) or not len(cols):
        return cost
    boxes = frame.xyxy[cols]
    c_det, s_det = centre(boxes), size(boxes)
    for i, t in enumerate(live):
        dt = max(1e-3, frame.time - t.time)
        if _outside(centre(t.box), t.velocity, dt * cfg.velocity_weight, t.box, frame.edge):
            continue  # walked out of the picture: whoever is at the edge now is someone else
        shift = t.velocity * dt * cfg.velocity_weight if t.velocity is not None else np.zeros(2)
        pred = centre(t.box) + shift
        s = size(t.box)
        gate = cfg.gate + (cfg.gate_per_s if t.velocity is not None else cfg.gate_new_per_s) * dt
        dist = np.linalg.norm(c_det - pred, axis=1) / s
        ratio = np.maximum(s_det, s) / np.minimum(s_det, s)
        ok = (dist <= gate) & (ratio <= cfg.size_ratio) & (frame.kind[cols] == t.kind)
        looks = np.array([_app_dist(t.feat, frame.feat[j] if frame.feat is not None else None) for j in cols])
        for j in np.flatnonzero(ok):
            motion = dist[j] / gate
            if np.isnan(looks[j]):
                c = motion
            elif looks[j] > cfg.appearance_veto:
                continue
            else:
                w = cfg.appearance_weight
                c = (1 - w) * motion + w * min(1.0, looks[j] / cfg.appearance_scale)
            cost[i, j] = c + 0.1 * (1.0 - frame.conf[cols[j]])
        if cfg.iou_match:
            # a clear overlap with the predicted box matches at 1 - IoU whatever the gates say, with a
            # little of the looks (where people overlap, the box of the one beside can overlap more)
            iou = _iou_row(t.box + np.tile(shift, 2), boxes)
            strong = np.flatnonzero((iou >= cfg.iou_match) & (frame.kind[cols] == t.kind))
            app = np.nan_to_num(looks[strong], nan=0.0)
            cost[i, strong] = np.minimum(cost[i, strong], 1.0 - iou[strong]
                                         + cfg.iou_appearance * np.minimum(1.0, app / cfg.appearance_scale))
    return cost


def _iou_row(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one xyxy box with each of ``boxes`` [n, 4]."""
    wh = np.clip(np.minimum(box[2:], boxes[:, 2:]) - np.maximum(box[:2], boxes[:, :2]), 0, None)
    inter = wh[:, 0] * wh[:, 1]
    area = (box[2] - box[0]) * (box[3] - box[1]) + (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area - inter, 1e-9)


def _assign(cost: np.ndarray, limit: float = MATCH_LIMIT) -> list[tuple[int, int]]:
    """Minimum-cost pairs of ``cost`` (rows x columns), each pair under ``limit``; a row may stay unpaired.

    Each row gets its own "no match" column at cost ``limit`` (as ``lap.lapjv``'s ``cost_limit``), so
    the Hungarian method never forces a poor pair to pair everyone else: one good pair beats two
    mediocre ones.

    >>> _assign(np.array([[0.1, 0.9], [INFEASIBLE, 0.95]]))
    [(0, 0), (1, 1)]
    >>> _assign(np.array([[0.06, 0.94], [0.9, INFEASIBLE]]))
    [(0, 0)]
    """
    if not cost.size:
        return []
    n, m = cost.shape
    reject = np.full((n, n), INFEASIBLE)
    np.fill_diagonal(reject, limit)
    rows, cols = linear_sum_assignment(np.hstack([np.minimum(cost, INFEASIBLE), reject]))
    return [(int(r), int(c)) for r, c in zip(rows, cols) if c < m and cost[r, c] < limit]


def _ambiguous_pairs(cost: np.ndarray, margin: float) -> bool:
    """True when some row or column has two feasible entries within ``margin`` of each other."""
    for m in (cost, cost.T):
        for row in m:
            ok = np.sort(row[row < INFEASIBLE])
            if len(ok) >= 2 and ok[1] - ok[0] < margin:
                return True
    return False


def _update(t: _Live, pos: int, frame: Frame, j: int, momentum: float) -> None:
    box = frame.xyxy[j]
    if not t.past:
        t.past.append((t.time, centre(t.box)))
    # velocity over a baseline of about a second (extra frames half a second apart would double the noise)
    base_t, base_c = next(((pt, pc) for pt, pc in reversed(t.past) if frame.time - pt >= VELOCITY_BASELINE_S),
                          t.past[0])
    if frame.time - base_t > 1e-6:
        t.velocity = (centre(box) - base_c) / (frame.time - base_t)
    t.past.append((frame.time, centre(box)))
    t.box, t.time = box, frame.time
    t.chain.append((pos, j))
    if frame.feat is not None:
        f = frame.feat[j]
        t.feats.append(f)
        t.feat = f if t.feat is None else momentum * t.feat + (1 - momentum) * f


def _crossings(live: list[_Live], prev: dict[int, np.ndarray], t_prev: float, t_now: float) -> list[Ambiguity]:
    """Pairs of tracks matched in both frames whose horizontal order flipped while their heights overlap."""
    out = []
    ids = [i for i, t in enumerate(live) if t.time == t_now and id(t) in prev]
    for a_i, a in enumerate(ids):
        for b in ids[a_i + 1:]:
            A, B = live[a], live[b]
            pa, pb = prev[id(A)], prev[id(B)]
            before = centre(pa)[0] - centre(pb)[0]
            after = centre(A.box)[0] - centre(B.box)[0]
            overlap_y = min(A.box[3], B.box[3]) - max(A.box[1], B.box[1])
            if before * after < 0 and overlap_y > 0 and A.kind == B.kind:
                out.append(Ambiguity(t_prev, t_now, "crossing", 2.0))
    return out


def link(frames: Sequence[Frame], config: AssociationConfig | None = None) -> tuple[list[Chain], list[Ambiguity]]:
    """Forward linking (step 1): tracklets as chains of ``(frame position, detection)``, and ambiguities.

    ``frames`` must be in time order.
    """
    cfg = config or AssociationConfig()
    live: list[_Live] = []
    done: list[_Live] = []
    amb: list[Ambiguity] = []
    t_prev: float | None = None
    for pos, frame in enumerate(frames):
        if t_prev is not None and frame.time <= t_prev:
            raise ValueError(f"frames must be in time order: {frame.time}s after {t_prev}s")
        keep = []
        for t in live:
            if frame.time - t.time > cfg.live_s + 1e-9:
                done.append(t)
                if t_prev is not None and not _near_edge(t.box, frame.edge):
                    amb.append(Ambiguity(t.time, min(frame.time, t.time + 1.0), "lost mid-frame", 1.0))
            else:
                keep.append(t)
        live = keep
        prev_boxes = {id(t): t.box for t in live if t_prev is not None and t.time == t_prev}
        high = np.flatnonzero(frame.conf >= cfg.high_thresh)
        # on a fixed camera a weak detection counts only where something moves (``support``)
        backed = frame.support if frame.support is not None else np.ones(len(frame.conf), bool)
        low = np.flatnonzero((frame.conf >= cfg.low_thresh) & (frame.conf < cfg.high_thresh) & backed)
        cost = _cost_matrix(live, frame, high, cfg)
        if t_prev is not None and _ambiguous_pairs(cost, cfg.ambiguity_margin):
            amb.append(Ambiguity(t_prev, frame.time, "two candidates in a gate", 1.5))
        matched_t: set[int] = set()
        matched_d: set[int] = set()
        for r, c in _assign(cost):
            _update(live[r], pos, frame, int(high[c]), cfg.feature_momentum)
            matched_t.add(r)
            matched_d.add(int(high[c]))
        rest = [i for i in range(len(live)) if i not in matched_t and live[i].time < frame.time]
        cost2 = _cost_matrix([live[i] for i in rest], frame, low, cfg)
        for r, c in _assign(cost2, limit=0.6):
            _update(live[rest[r]], pos, frame, int(low[c]), cfg.feature_momentum)
        for j in high:
            if int(j) not in matched_d and frame.conf[j] >= cfg.new_track_thresh:
                f = frame.feat[j] if frame.feat is not None else None
                live.append(_Live(chain=[(pos, int(j))], box=frame.xyxy[j], time=frame.time, feat=f,
                                  kind=str(frame.kind[j]), feats=[f] if f is not None else []))
                if t_prev is not None and not _near_edge(frame.xyxy[j], frame.edge) and pos > 0:
                    amb.append(Ambiguity(t_prev, frame.time, "appeared mid-frame", 0.5))
        if t_prev is not None:
            amb.extend(_crossings(live, prev_boxes, t_prev, frame.time))
        t_prev = frame.time
    return [t.chain for t in done + live], amb


@dataclass
class _Piece:
    chain: Chain
    kind: str
    t0: float
    t1: float
    box0: np.ndarray
    box1: np.ndarray
    v0: np.ndarray | None
    v1: np.ndarray | None
    f0: np.ndarray | None
    f1: np.ndarray | None
    g0: float = 0.0
    g1: float = 0.0
    edge: tuple[float, float] | None = None


GROWTH_MAX = 0.5
"""Largest change of log size per second a piece's size is extrapolated with (walking straight
toward or away from the camera a few metres off: about 0.3)."""


def _piece(chain: Chain, frames: Sequence[Frame], k: int = 3) -> _Piece:
    times = [frames[p].time for p, _ in chain]
    boxes = [frames[p].xyxy[j] for p, j in chain]
    feats = [frames[p].feat[j] for p, j in chain if frames[p].feat is not None]

    def vel(a: int, b: int) -> np.ndarray | None:
        if len(chain) < 2 or times[b] - times[a] <= 0:
            return None
        return (centre(boxes[b]) - centre(boxes[a])) / (times[b] - times[a])

    def growth(a: int, b: int) -> float:
        if times[b] - times[a] <= 0:
            return 0.0
        g = float(np.log(size(boxes[b]) / size(boxes[a]))) / (times[b] - times[a])
        return float(np.clip(g, -GROWTH_MAX, GROWTH_MAX))

    def mean(fs: list[np.ndarray]) -> np.ndarray | None:
        return np.mean(fs, axis=0) if fs else None

    first, last = (0, min(len(chain) - 1, 2)), (max(0, len(chain) - 3), len(chain) - 1)
    return _Piece(chain=chain, kind=str(frames[chain[0][0]].kind[chain[0][1]]), t0=times[0], t1=times[-1],
                  box0=boxes[0], box1=boxes[-1], v0=vel(*first), v1=vel(*last), f0=mean(feats[:k]),
                  f1=mean(feats[-k:]), g0=growth(*first), g1=growth(*last), edge=frames[chain[-1][0]].edge)


def _stitch_cost(a: _Piece, b: _Piece, cfg: AssociationConfig) -> float:
    gap = b.t0 - a.t1
    if gap < -1e-9 or gap > cfg.max_gap_s + 1e-9 or a.kind != b.kind:
        return INFEASIBLE
    if gap <= 1e-9 and (len(a.chain) < 2 or len(b.chain) < 2 or a.chain[-1][0] != b.chain[0][0]
                        or _iou_row(a.box1, b.box0[None])[0] < cfg.duplicate_iou):
        return INFEASIBLE  # at the same sample only two boxes of one person: see ``duplicate_iou``
    s = float(min(size(a.box1), size(b.box0)))
    # sizes extrapolated over the gap too (someone walking away shrinks): the mean of both sides' errors
    size_err = (abs(np.log(size(b.box0) / size(a.box1)) - a.g1 * gap) + abs(np.log(size(b.box0) / size(a.box1)) - b.g0 * gap)) / 2
    if size_err > np.log(cfg.size_ratio):
        return INFEASIBLE
    ca, cb = centre(a.box1), centre(b.box0)
    if gap > 0 and (_outside(ca, a.v1, gap, a.box1, a.edge) or _outside(cb, b.v0, -gap, b.box0, b.edge)):
        return INFEASIBLE  # one walked out of the picture before the other came in: two people
    # each side's motion extrapolated over the gap must meet the other (the mean error of those known)
    dists = [np.linalg.norm(cb - (ca + v * gap)) / s for v in (a.v1,) if v is not None]
    dists += [np.linalg.norm(ca - (cb - v * gap)) / s for v in (b.v0,) if v is not None]
    motion = (np.mean(dists) if dists else np.linalg.norm(cb - ca) / s) / (cfg.stitch_gate + cfg.stitch_gate_per_s * gap)
    if motion > 1:
        return INFEASIBLE
    app = _app_dist(a.f1, b.f0)
    if np.isnan(app):
        return motion + 0.05 * gap
    if app > cfg.appearance_veto:
        return INFEASIBLE
    w = cfg.appearance_weight
    return (1 - w) * motion + w * min(1.0, app / cfg.appearance_scale) + 0.05 * gap


def _outside(c: np.ndarray, v: np.ndarray | None, dt: float, box: np.ndarray,
             edge: tuple[float, float] | None) -> bool:
    """Whether the box at centre ``c`` moving at ``v`` is wholly out of the picture (sideways) after ``dt`` s.

    >>> _outside(np.array([20.0, 50]), np.array([-60.0, 0]), 2.0, np.array([0, 0, 40, 100.0]), (640, 360))
    True
    >>> _outside(np.array([20.0, 50]), np.array([-60.0, 0]), 0.5, np.array([0, 0, 40, 100.0]), (640, 360))
    False
    """
    if v is None or edge is None:
        return False
    x, half = float(c[0] + v[0] * dt), float(box[2] - box[0]) / 2
    return x + half < 0 or x - half > edge[0]


def stitch(chains: list[Chain], frames: Sequence[Frame], config: AssociationConfig | None = None) -> list[Chain]:
    """Join tracklets across gaps of up to ``max_gap_s`` by motion and appearance (step 2)."""
    cfg = config or AssociationConfig()
    chains = [sorted(c) for c in chains if c]
    for _ in range(10):
        pieces = [_piece(c, frames) for c in chains]
        n = len(pieces)
        if n < 2:
            break
        cost = np.array([[_stitch_cost(a, b, cfg) if i != j else INFEASIBLE for j, b in enumerate(pieces)]
                         for i, a in enumerate(pieces)])
        pairs = _assign(cost, limit=cfg.stitch_max_cost + 1e-9)
        if not pairs:
            break
        # follow successor links into chains of pieces, each piece once
        succ = dict(pairs)
        has_pred = {c for _, c in pairs}
        out, seen = [], set()
        for i in range(n):
            if i in has_pred or i in seen:
                continue
            merged: Chain = []
            k: int | None = i
            while k is not None and k not in seen:
                seen.add(k)
                merged = _joined(merged, pieces[k].chain, frames)
                k = succ.get(k)
            out.append(merged)
        out += [pieces[i].chain for i in range(n) if i not in seen]  # cycles cannot occur (time order)
        chains = out
    return chains


def _joined(a: Chain, b: Chain, frames: Sequence[Frame]) -> Chain:
    """``a`` then ``b``; where both hold the same sample (two boxes of one person), the surer box."""
    if a and b and a[-1][0] == b[0][0]:
        (p, i), (_, j) = a[-1], b[0]
        return a[:-1] + [(p, i if frames[p].conf[i] >= frames[p].conf[j] else j)] + b[1:]
    return a + b


def _glimpse(chain: Chain, frames: Sequence[Frame], cfg: AssociationConfig) -> bool:
    """A chain of one confident sighting of a non-person object (kept: see ``glimpse_conf``)."""
    (f, d), *rest = chain
    return not rest and frames[f].kind[d] != "person" and frames[f].conf[d] >= cfg.glimpse_conf


def _weak_chains(frames: Sequence[Frame], chains: list[Chain], cfg: AssociationConfig) -> list[Chain]:
    """Tracklets linked from the supported detections no chain took (scores from ``low_thresh``): a
    far person the detector sees at 0.1-0.3 for seconds after their track was lost. Unsupported weak
    detections stay out: on the real film (a moving camera, nothing to confirm them) they cost 0.1 HOTA."""
    used = {o for c in chains for o in c}
    maps, subs = [], []
    for pos, f in enumerate(frames):
        ok = f.support if f.support is not None else np.zeros(len(f.conf), bool)
        idx = np.array([j for j in range(len(f.conf))
                        if (pos, j) not in used and f.conf[j] >= cfg.low_thresh and ok[j]], int)
        maps.append(idx)
        subs.append(Frame(time=f.time, xyxy=f.xyxy[idx], conf=f.conf[idx], kind=f.kind[idx],
                          feat=f.feat[idx] if f.feat is not None else None, edge=f.edge))
    weak_cfg = cfg.model_copy(update={"high_thresh": cfg.low_thresh, "new_track_thresh": cfg.low_thresh})
    weak, _ = link(subs, weak_cfg)
    return [[(p, int(maps[p][j])) for p, j in c] for c in weak]


def associate(frames: Sequence[Frame], config: AssociationConfig | None = None) -> tuple[list[Chain], list[Ambiguity]]:
    """Link then stitch ``frames`` (time order); chains with too few observations are dropped.

    Weak tracklets (:func:`_weak_chains`) take part in stitching and survive only as part of a
    track that would survive without them: they extend tracks, never start or keep one.
    Returns the chains sorted by first appearance, and the linking step's ambiguities.
    """
    cfg = config or AssociationConfig()
    chains, amb = link(frames, cfg)
    weak = _weak_chains(frames, chains, cfg)
    extra = {o for c in weak for o in c}
    chains = [c for c in stitch(chains + weak, frames, cfg)
              if sum(o not in extra for o in c) >= cfg.min_observations or _glimpse(c, frames, cfg)]
    chains.sort(key=lambda c: (c[0][0], c[0][1]))
    return chains, amb
