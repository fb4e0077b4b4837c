"""Frame-level scoring as the official evaluators do it, from second-level agent results.

A result's per-second boxes become frame boxes by :func:`verifier.interpolate.frame_boxes` (linear
between samples, the last second held through its period), restricted to the sample's evaluation
window (VidSTG ``used_segment``). Two frame conventions:

``official`` (default): the HC-STVG evaluator, ``eval_hcvg.py`` in github.com/tzhhhh123/HC-STVG,
whose inclusive-end frame counting CG-STVG (github.com/HengLan/CGSTVG) also uses. Per query, with GT
frames ``G`` (every annotated frame, span ``[st*, ed*]``) and predicted frames ``P`` (span
``[st, ed]``)::

    all_frame = max(ed, ed*) - min(st, st*) + 1
    tIoU = |G ∩ P| / all_frame          vIoU = sum_{f in G ∩ P} IoU(p_f, g_f) / all_frame

(``iou2d``: 0 when the boxes do not overlap). ``vIoU@R`` counts ``vIoU > R``; a query without a
prediction scores 0. Single-referent benchmarks (HC-STVG, VidSTG) score the highest-scoring
referent (ties: the first); multi-referent ones (synthetic, SVAG-Bench) assign predicted to true
referents one-to-one (Hungarian on tIoU + vIoU), unmatched ones scoring 0 (as
:mod:`verifier.multiref` does at second level).

``tubedetr``: TubeDETR's 5-fps protocol (``datasets/hcstvg_eval.py`` / ``vidstg_eval.py`` in
github.com/antoyang/TubeDETR): frames sampled at 5 fps over the video (VidSTG: over
``used_segment``), GT tube ``[start, end)`` with an exclusive end and HC-STVG's ``st_frame`` used as
a 0-based index, ``tIoU = inter / (gt_span + pred_span - inter)`` on the continuous spans, ``vIoU``
over the sampled frames; the union's end is ``min`` of the two ends, as TubeDETR's code has it.

>>> g = {f: (0.0, 0.0, 10.0, 10.0) for f in range(10, 20)}
>>> p = {f: (0.0, 0.0, 10.0, 5.0) for f in range(15, 25)}
>>> official_scores(p, g)
(0.3333333333333333, 0.16666666666666666)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
from scipy.optimize import linear_sum_assignment

from stagdata.sample import Sample
from verifier.interpolate import frame_boxes
from verifier.result import Box, GroundingResult, Referent

Convention = Literal["official", "tubedetr"]
SINGLE_REFERENT = ("hcstvg-v1", "hcstvg-v2", "vidstg")


def iou2d(a: Sequence[float], b: Sequence[float]) -> float:
    """Box IoU of two ``[x1, y1, x2, y2]`` boxes as ``eval_hcvg.py``'s ``iou2d`` (0 without overlap).

    >>> iou2d((0, 0, 10, 10), (5, 0, 15, 10))
    0.3333333333333333
    """
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    if x1 >= x2 or y1 >= y2:
        return 0.0
    inter = (x2 - x1) * (y2 - y1)
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def official_scores(pred: Mapping[int, Box], gt: Mapping[int, Box], gt_span: tuple[int, int] | None = None) -> tuple[float, float]:
    """(tIoU, vIoU) of frame boxes ``pred`` against ``gt`` by ``eval_hcvg.py``'s formula.

    ``gt_span``: the GT's ``[st_frame, ed_frame]`` (default: first to last GT frame).
    """
    if not pred or not gt:
        return 0.0, 0.0
    st, ed = gt_span or (min(gt), max(gt))
    all_frame = max(ed, max(pred)) - min(st, min(pred)) + 1
    ious = [iou2d(pred[f], b) for f, b in gt.items() if f in pred]
    return len(ious) / all_frame, sum(ious) / all_frame


def _sampled_frames(start: int, end: int, fps: float, rate: float = 5.0, max_len: int = 200) -> list[int]:
    """TubeDETR's frame sampling over ``[start, end)`` at ``rate`` fps, then at most ``max_len`` frames."""
    sampling = rate / fps
    ids = [start]
    for f in range(start, end):
        if int(ids[-1] * sampling) < int(f * sampling):
            ids.append(f)
    if len(ids) > max_len:
        ids = [ids[(j * len(ids)) // max_len] for j in range(max_len)]
    return ids


def tubedetr_scores(pred: Mapping[int, Box], sample: Sample, tube: int = 0) -> tuple[float, float]:
    """(tIoU, vIoU) of 0-based frame boxes ``pred`` under TubeDETR's 5-fps protocol."""
    if not pred:
        return 0.0, 0.0
    first, last, gboxes = sample.gt_frames(tube)
    shift = sample.frame_base if sample.dataset.startswith("hcstvg") else 0   # st_frame read as 0-based
    g0, g1 = first + shift, last + 1 + shift
    gt = {f + shift: b for f, b in gboxes.items()}
    p0, p1 = min(pred), max(pred) + 1
    if sample.eval_window is not None:
        ids = _sampled_frames(sample.eval_window[0], sample.eval_window[1] + 1, sample.fps)
    else:
        ids = _sampled_frames(0, sample.frame_count - 1, sample.fps)
    max_start, min_end, min_start = max(g0, p0), min(g1, p1), min(g0, p0)
    max_end = min(g1, p1)  # sic: TubeDETR's union ends at the smaller end
    if min_end <= max_start:
        tiou = 0.0
    else:
        inter = min_end - max_start
        tiou = inter / ((g1 - g0) + (p1 - p0) - inter)
    union = [f for f in ids if min_start <= f < max_end]
    inter_ids = {f for f in ids if max_start <= f < min_end}
    total = 0.0
    for f in ids:
        if g0 <= f < g1 and f in gt and f in inter_ids:
            total += iou2d(pred[f], gt[f]) if f in pred else 0.0
    return tiou, total / max(len(union), 1)


def referent_frames(ref: Referent, sample: Sample, sample_fps: float = 1.0) -> dict[int, Box]:
    """0-based frame boxes of a predicted referent, inside the sample's evaluation window."""
    out = frame_boxes(ref.boxes, sample.fps, sample.frame_count, sample_fps)
    if sample.eval_window is not None:
        a, b = sample.eval_window
        out = {f: box for f, box in out.items() if a <= f <= b}
    return out


def top_referent(result: GroundingResult) -> Referent | None:
    """The referent a single-referent benchmark scores: highest score, ties to the first."""
    best = None
    for r in result.referents:
        if r.boxes and (best is None or r.score > best.score):
            best = r
    return best


def frame_scores(result: GroundingResult | None, sample: Sample, convention: Convention = "official") -> tuple[float, float]:
    """(tIoU, vIoU) of one sample under ``convention`` (see the module docs)."""
    preds: list[dict[int, Box]] = []
    if result is not None:
        rate = result.video.sample_fps
        refs = [top_referent(result)] if sample.dataset in SINGLE_REFERENT else list(result.referents)
        preds = [referent_frames(r, sample, rate) for r in refs if r is not None]
        preds = [p for p in preds if p]
    n_gt = len(sample.tubes)
    if not preds or not n_gt:
        return (1.0, 1.0) if not preds and not n_gt else (0.0, 0.0)

    def score(p: dict[int, Box], i: int) -> tuple[float, float]:
        if convention == "tubedetr":
            return tubedetr_scores(p, sample, i)
        first, last, g = sample.gt_frames(i)
        return official_scores(p, g, (first, last))

    table = np.array([[score(p, i) for i in range(n_gt)] for p in preds])   # (pred, gt, 2)
    rows, cols = linear_sum_assignment(table.sum(axis=2), maximize=True)
    denom = max(len(preds), n_gt)
    return float(table[rows, cols, 0].sum() / denom), float(table[rows, cols, 1].sum() / denom)
