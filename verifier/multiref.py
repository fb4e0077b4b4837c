"""A principled multi-referent score: one-to-one assignment of predicted to true referents.

Per query, every (prediction, ground truth) pair is scored with :func:`~verifier.stvg.tube_scores`;
the pairs are assigned one-to-one by the Hungarian method maximising ``w_t * tIoU + w_m * mvIoU``
(``tIoU + mvIoU`` when both weights are 0). Unmatched referents on either side score 0, so each
metric is ``sum over matched pairs / max(#predicted, #true)``. A correctly empty answer (no true
referent and none predicted) scores 1 on every metric; an empty side against a non-empty one
scores 0. Unlike SVAGEval's voting, this cannot be gamed by predicting many tracks.

>>> a, b = Tube((0, 4), {k: (0, 0, 10, 10) for k in range(5)}), Tube((0, 4), {k: (50, 0, 60, 10) for k in range(5)})
>>> s = assign([b, a], [a, b])
>>> s.tIoU, s.mvIoU, [(p.gt_index, p.pred_index) for p in s.pairs]
(1.0, 1.0, [(0, 1), (1, 0)])
>>> assign([a], [a, b]).mvIoU       # one referent missed
0.5
>>> assign([], []).tIoU             # correctly empty
1.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from verifier.stvg import Tube, TubeScores, pairwise_scores


@dataclass(frozen=True)
class Pair:
    """One assigned (ground truth, prediction) pair and its scores."""

    gt_index: int
    pred_index: int
    scores: TubeScores


@dataclass(frozen=True)
class MultiScore:
    """Assignment-based tIoU / mvIoU / vIoU of a query, and the assigned pairs."""

    tIoU: float
    mvIoU: float
    vIoU: float
    pairs: tuple[Pair, ...]
    n_pred: int
    n_gt: int


def assign(preds: Sequence[Tube | None], gts: Sequence[Tube | None], w_t: float = 1.0, w_m: float = 1.0) -> MultiScore:
    """Assign predicted tubes to true tubes one-to-one and score the query (see module docs)."""
    from scipy.optimize import linear_sum_assignment  # lazy: keeps `import verifier` light

    n_p, n_g = len(preds), len(gts)
    if n_p == 0 and n_g == 0:
        return MultiScore(1.0, 1.0, 1.0, (), 0, 0)
    if n_p == 0 or n_g == 0:
        return MultiScore(0.0, 0.0, 0.0, (), n_p, n_g)
    t_iou, mv_iou, v_iou = pairwise_scores(preds, gts)
    if w_t == 0 and w_m == 0:
        w_t = w_m = 1.0
    rows, cols = linear_sum_assignment(w_t * t_iou + w_m * mv_iou, maximize=True)
    pairs = tuple(sorted((Pair(int(c), int(r), TubeScores(float(t_iou[r, c]), float(mv_iou[r, c]), float(v_iou[r, c])))
                          for r, c in zip(rows, cols)), key=lambda p: p.gt_index))
    n = max(n_p, n_g)
    return MultiScore(
        tIoU=sum(p.scores.tIoU for p in pairs) / n,
        mvIoU=sum(p.scores.mvIoU for p in pairs) / n,
        vIoU=sum(p.scores.vIoU for p in pairs) / n,
        pairs=pairs, n_pred=n_p, n_gt=n_g,
    )
