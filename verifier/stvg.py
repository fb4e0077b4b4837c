"""Spatio-temporal grounding scores of one tube against another (paper 002, eq. 5-6; VidSTG / HC-STVG).

A tube is an inclusive integer interval plus boxes keyed by time index (seconds, or frames for
frame-level benchmarks). With ``∩`` / ``∪`` the intersection / union of the two spans:

* ``tIoU = |∩| / |∪|``;
* ``mvIoU = mean_{k in ∩} IoU(b_k, b*_k)``, IoU 0 at an index where either box is missing, and 0
  when ``∩`` is empty;
* ``vIoU = sum_{k in ∩} IoU / |∪|`` (TubeDETR / STCAT), so ``vIoU = tIoU * mvIoU``;
* ``vIoU@R`` counts ``vIoU > R`` (strict), R in {0.3, 0.5}.

>>> gt = Tube(interval=(0, 3), boxes={k: (0, 0, 10, 10) for k in range(4)})
>>> pred = Tube(interval=(2, 5), boxes={k: (0, 0, 10, 10) for k in range(2, 6)})
>>> s = tube_scores(pred, gt)
>>> round(s.tIoU, 4), s.mvIoU, round(s.vIoU, 4)
(0.3333, 1.0, 0.3333)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from verifier.boxes import _EPS
from verifier.intervals import interval_overlap
from verifier.result import Box


@dataclass(frozen=True)
class Tube:
    """An inclusive ``interval`` of integer time indices and boxes (xyxy) keyed by index."""

    interval: tuple[int, int]
    boxes: Mapping[int, Box]

    @classmethod
    def from_boxes(cls, boxes: Mapping[int, Box]) -> Tube | None:
        """The tube spanning first to last index with a box (None when there are no boxes).

        >>> Tube.from_boxes({4: (0, 0, 1, 1), 2: (0, 0, 1, 1)}).interval
        (2, 4)
        """
        if not boxes:
            return None
        return cls(interval=(min(boxes), max(boxes)), boxes=boxes)


@dataclass(frozen=True)
class TubeScores:
    """tIoU, mvIoU and vIoU of one prediction against one ground truth, as fractions."""

    tIoU: float
    mvIoU: float
    vIoU: float


ZERO = TubeScores(0.0, 0.0, 0.0)


def tube_scores(pred: Tube | None, gt: Tube | None) -> TubeScores:
    """Scores of ``pred`` against ``gt`` (a missing side scores 0).

    >>> tube_scores(Tube((0, 1), {0: (0, 0, 2, 2)}), Tube((0, 1), {0: (0, 0, 2, 2), 1: (0, 0, 2, 2)}))
    TubeScores(tIoU=1.0, mvIoU=0.5, vIoU=0.5)
    """
    if pred is None or gt is None:
        return ZERO
    inter, union = interval_overlap(pred.interval, gt.interval)
    if union == 0:
        return ZERO
    if inter == 0:
        return TubeScores(0.0, 0.0, 0.0)
    lo = max(pred.interval[0], gt.interval[0])
    pb, gb = pred.boxes, gt.boxes
    total = 0.0
    for k in range(lo, lo + inter):
        a = pb.get(k)
        b = gb.get(k)
        if a is None or b is None:
            continue
        # box IoU inlined (same rule as verifier.boxes): this loop is the reward's hot path
        ax1, ay1, ax2, ay2 = a
        bx1, by1, bx2, by2 = b
        area_a = (ax2 - ax1) * (ay2 - ay1)
        area_b = (bx2 - bx1) * (by2 - by1)
        if area_a <= _EPS or area_b <= _EPS:
            continue
        iw = (ax2 if ax2 < bx2 else bx2) - (ax1 if ax1 > bx1 else bx1)  # noqa: FURB136 (faster than min)
        ih = (ay2 if ay2 < by2 else by2) - (ay1 if ay1 > by1 else by1)  # noqa: FURB136
        if iw > 0.0 and ih > 0.0:
            i = iw * ih
            u = area_a + area_b - i
            if u > _EPS:
                total += i / u
    return TubeScores(inter / union, total / inter, total / union)


def pairwise_scores(preds: Sequence[Tube | None], gts: Sequence[Tube | None]
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(tIoU, mvIoU, vIoU)`` arrays of shape ``(len(preds), len(gts))``: :func:`tube_scores` of
    every pair, vectorised over a common time grid (per-pair loops when the grid would be huge).

    >>> t = Tube((0, 1), {0: (0, 0, 2, 2), 1: (0, 0, 2, 2)})
    >>> [a.tolist() for a in pairwise_scores([t], [t, Tube((1, 1), {1: (1, 0, 3, 2)})])]
    [[[1.0, 0.5]], [[1.0, 0.3333333333333333]], [[1.0, 0.16666666666666666]]]
    """
    n_p, n_g = len(preds), len(gts)
    tubes = [t for t in list(preds) + list(gts) if t is not None]
    if not tubes:
        return (np.zeros((n_p, n_g)),) * 3  # type: ignore[return-value]
    t0 = min(t.interval[0] for t in tubes)
    span = max(t.interval[1] for t in tubes) - t0 + 1
    if n_p * n_g * span > 500_000:               # keep the grid small; loop instead
        table = [[tube_scores(p, g) for g in gts] for p in preds]
        return tuple(np.array([[getattr(s, f) for s in row] for row in table]).reshape(n_p, n_g)
                     for f in ("tIoU", "mvIoU", "vIoU"))  # type: ignore[return-value]

    def grid(ts: Sequence[Tube | None]) -> tuple[np.ndarray, np.ndarray]:
        boxes = np.full((len(ts), span, 4), np.nan)
        iv = np.zeros((len(ts), 2), dtype=np.int64)
        iv[:, 0] = 1                                   # an absent tube: empty interval
        for i, t in enumerate(ts):
            if t is None:
                continue
            iv[i] = (t.interval[0] - t0, t.interval[1] - t0)
            if t.boxes:
                keys = np.fromiter(t.boxes.keys(), dtype=np.int64, count=len(t.boxes)) - t0
                ok = (keys >= 0) & (keys < span)
                boxes[i, keys[ok]] = np.array(list(t.boxes.values()), dtype=float).reshape(-1, 4)[ok]
        return boxes, iv

    pb, piv = grid(preds)
    gb, giv = grid(gts)
    a, b = pb[:, np.newaxis], gb[np.newaxis, :]                      # (n_p, 1, T, 4), (1, n_g, T, 4)
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    iw = np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0])
    ih = np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1])
    inter_area = np.where((iw > 0) & (ih > 0), iw * ih, 0.0)
    union_area = area_a + area_b - inter_area
    valid = (area_a > _EPS) & (area_b > _EPS) & (union_area > _EPS)   # False wherever a box is missing
    iou = np.where(valid, inter_area / np.where(valid, union_area, 1.0), 0.0)
    lo = np.maximum(piv[:, np.newaxis, 0], giv[np.newaxis, :, 0])
    hi = np.minimum(piv[:, np.newaxis, 1], giv[np.newaxis, :, 1])
    inter = np.maximum(hi - lo + 1, 0)
    len_p = np.maximum(piv[:, 1] - piv[:, 0] + 1, 0)[:, np.newaxis]
    len_g = np.maximum(giv[:, 1] - giv[:, 0] + 1, 0)[np.newaxis, :]
    union = len_p + len_g - inter
    k = np.arange(span)
    window = (k >= lo[..., np.newaxis]) & (k <= hi[..., np.newaxis])
    total = (iou * window).sum(axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_iou = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
        mv = np.where(inter > 0, total / np.maximum(inter, 1), 0.0)
        v = np.where(union > 0, total / np.maximum(union, 1), 0.0)
    return t_iou, mv, v


def viou_at(viou_values: Iterable[float], thresholds: Sequence[float] = (0.3, 0.5)) -> dict[str, float]:
    """``vIoU@R``: fraction of queries with ``vIoU > R`` (strict), keyed ``"vIoU@0.3"`` etc.

    >>> viou_at([0.5, 0.2, 0.7])
    {'vIoU@0.3': 0.6666666666666666, 'vIoU@0.5': 0.3333333333333333}
    """
    values = list(viou_values)
    return {f"vIoU@{r:g}": (sum(v > r for v in values) / len(values) if values else 0.0) for r in thresholds}


def mean_scores(scores: Iterable[TubeScores]) -> dict[str, float]:
    """``m_tIoU``, ``m_mvIoU``, ``m_vIoU`` and ``vIoU@0.3`` / ``vIoU@0.5`` over queries.

    >>> mean_scores([TubeScores(1.0, 1.0, 1.0), TubeScores(0.0, 0.0, 0.0)])["m_vIoU"]
    0.5
    """
    items = list(scores)
    n = len(items) or 1
    out = {
        "m_tIoU": sum(s.tIoU for s in items) / n,
        "m_mvIoU": sum(s.mvIoU for s in items) / n,
        "m_vIoU": sum(s.vIoU for s in items) / n,
    }
    out.update(viou_at(s.vIoU for s in items))
    return out
