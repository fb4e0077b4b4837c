"""Moment-retrieval metrics as QVHighlights ``standalone_eval`` computes them (also used by SVAGEval).

Windows are ``[start, end(, score)]`` in seconds, continuous. Per query:

* R1@X: the first predicted window (list order, not re-sorted) against the ground-truth window
  with the highest IoU with it (first on ties); ``IoU >= X`` counts; the paired IoU divides the
  intersection by the hull ``max(ends) - min(starts)`` (0 for an empty hull).
* Rk@X (SVAGEval): the best (prediction, ground truth) pair among the first k predictions.
* mAP: the first 10 predictions, stably sorted by score; at each threshold every prediction tries
  the ground-truth windows in descending IoU (``argsort()[::-1]``, as the reference does): below the
  threshold -> false positive, already taken -> next, else true positive; AP is all-point
  interpolated. Means over queries, then over thresholds 0.5:0.05:0.95.

Values are percentages rounded to 2 decimals the way the official code formats them.

>>> gt = [{"qid": 1, "relevant_windows": [[0, 10]]}, {"qid": 2, "relevant_windows": [[20, 30], [40, 50]]}]
>>> pred = [{"qid": 1, "pred_relevant_windows": [[0, 10, 0.9]]}, {"qid": 2, "pred_relevant_windows": [[40, 48, 0.8], [20, 30, 0.7]]}]
>>> qvhighlights_brief(pred, gt)
{'MR-full-R1@0.5': 100.0, 'MR-full-R1@0.7': 100.0, 'MR-full-mAP': 88.75, 'MR-full-mAP@0.5': 100.0, 'MR-full-mAP@0.75': 100.0}
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

QVH_THRESHOLDS = [float(f"{e:.2f}") for e in np.linspace(0.5, 0.95, 10)]
SVAG_THRESHOLDS = [float(f"{e:.2f}") for e in np.linspace(0.1, 0.95, 18)]


def _pct(v: float) -> float:
    return float(f"{v:.2f}")


def cross_iou(spans1: np.ndarray, spans2: np.ndarray) -> np.ndarray:
    """``(N, M)`` IoU with union ``len1 + len2 - inter`` (NaN for 0/0, as in the reference)."""
    areas1 = spans1[:, 1] - spans1[:, 0]
    areas2 = spans2[:, 1] - spans2[:, 0]
    left = np.maximum(spans1[:, None, 0], spans2[None, :, 0])
    right = np.minimum(spans1[:, None, 1], spans2[None, :, 1])
    inter = np.clip(right - left, 0, None)
    union = areas1[:, None] + areas2[None, :] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return inter / union


def paired_iou(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Row-wise IoU of ``(N, 2)`` windows: intersection over hull, 0 for an empty hull."""
    inter = np.maximum(0, np.minimum(pred[:, 1], gt[:, 1]) - np.maximum(pred[:, 0], gt[:, 0]))
    hull = np.maximum(pred[:, 1], gt[:, 1]) - np.minimum(pred[:, 0], gt[:, 0])
    return np.divide(inter, hull, out=np.zeros_like(inter), where=hull != 0)


def _interpolated_ap(precision: np.ndarray, recall: np.ndarray) -> float:
    mprec = np.hstack([[0], precision, [0]])
    mrec = np.hstack([[0], recall, [1]])
    for i in range(len(mprec) - 1)[::-1]:
        mprec[i] = max(mprec[i], mprec[i + 1])
    idx = np.where(mrec[1::] != mrec[0:-1])[0] + 1
    return float(np.sum((mrec[idx] - mrec[idx - 1]) * mprec[idx]))


def average_precision(gt_windows: Sequence[Sequence[float]], pred_windows: Sequence[Sequence[float]],
                      thresholds: Sequence[float] = QVH_THRESHOLDS) -> np.ndarray:
    """AP of one query at each threshold (``pred_windows`` are ``[start, end, score]``).

    >>> average_precision([[0, 10]], [[0, 10, 0.9], [0, 10, 0.8]], [0.5]).tolist()
    [1.0]
    """
    n_t, n_gt, n_pred = len(thresholds), len(gt_windows), len(pred_windows)
    ap = np.zeros(n_t)
    if n_pred == 0:
        return ap
    preds = sorted(pred_windows, key=lambda w: -w[2])            # stable, like list.sort
    lock = -np.ones((n_t, n_gt))
    tp = np.zeros((n_t, n_pred))
    fp = np.zeros((n_t, n_pred))
    gts = np.array([[g[0], g[1]] for g in gt_windows], dtype=float).reshape(-1, 2)
    for idx, p in enumerate(preds):
        if n_gt == 0:
            fp[:, idx] = 1
            continue
        tiou = cross_iou(np.array([[p[0], p[1]]], dtype=float), gts).reshape(-1)
        order = tiou.argsort()[::-1]
        for t_idx, thr in enumerate(thresholds):
            for j in order:
                if tiou[j] < thr:
                    fp[t_idx, idx] = 1
                    break
                if lock[t_idx, j] >= 0:
                    continue
                tp[t_idx, idx] = 1
                lock[t_idx, j] = idx
                break
            if fp[t_idx, idx] == 0 and tp[t_idx, idx] == 0:
                fp[t_idx, idx] = 1
    tp_cum = np.cumsum(tp, axis=1).astype(float)
    fp_cum = np.cumsum(fp, axis=1).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        recall = tp_cum / float(n_gt)
        precision = tp_cum / (tp_cum + fp_cum)
    for t_idx in range(n_t):
        ap[t_idx] = _interpolated_ap(precision[t_idx, :], recall[t_idx, :])
    return ap


def mean_ap(submission: Sequence[Mapping[str, Any]], ground_truth: Sequence[Mapping[str, Any]],
            thresholds: Sequence[float] = QVH_THRESHOLDS, max_pred_windows: int = 10) -> dict[str, float]:
    """mAP per threshold (keys ``"0.5"``...) and ``"average"``, in percent (2 decimals).
    Windows of every row of a query are pooled (rows of one qid concatenate)."""
    preds: dict[Any, list[list[float]]] = defaultdict(list)
    for d in submission:
        preds[d["qid"]].extend(d["pred_relevant_windows"][:max_pred_windows])
    gts: dict[Any, list[list[float]]] = defaultdict(list)
    for d in ground_truth:
        gts[d["qid"]].extend(d["relevant_windows"])
    ap = np.array([average_precision(gts[q], preds[q], thresholds) for q in preds]).reshape(-1, len(thresholds))
    ap_thds = ap.mean(0)
    out = {str(t): v for t, v in zip(thresholds, ap_thds)}
    out["average"] = np.mean(ap_thds)
    return {k: _pct(100 * v) for k, v in out.items()}


def recall_at_1(submission: Sequence[Mapping[str, Any]], ground_truth: Sequence[Mapping[str, Any]],
                thresholds: Sequence[float] = QVH_THRESHOLDS) -> tuple[dict[str, float], float]:
    """(R1@X per threshold, mIoU of the first window), in percent (2 decimals)."""
    pred_first = {d["qid"]: d["pred_relevant_windows"][0][:2] for d in submission}
    gt_best: dict[Any, Sequence[float]] = {}
    for d in ground_truth:
        windows, qid = d["relevant_windows"], d["qid"]
        best = 0
        if len(windows) > 0:
            ious = cross_iou(np.array([pred_first[qid]], dtype=float), np.array(windows, dtype=float))[0]
            best = int(np.argmax(ious))
        gt_best[qid] = windows[best]
    qids = list(pred_first)
    iou = paired_iou(np.array([pred_first[q] for q in qids], dtype=float).reshape(-1, 2),
                     np.array([gt_best[q][:2] for q in qids], dtype=float).reshape(-1, 2))
    return {str(t): _pct(np.mean(iou >= t) * 100) for t in thresholds}, _pct(np.mean(iou) * 100)


def recall_at_k(submission: Sequence[Mapping[str, Any]], ground_truth: Sequence[Mapping[str, Any]], k: int,
                thresholds: Sequence[float] = SVAG_THRESHOLDS) -> tuple[dict[str, float], float]:
    """SVAGEval's Rk@X: the best-IoU (prediction, ground truth) pair among the first ``k``
    predictions (first in row-major order on ties, NaN as 0), and its mean IoU, in percent."""
    pred_k = {d["qid"]: [w[:2] for w in d["pred_relevant_windows"][:k]] for d in submission}
    pred_best: dict[Any, Sequence[float]] = {}
    gt_best: dict[Any, Sequence[float]] = {}
    for d in ground_truth:
        windows, qid = d["relevant_windows"], d["qid"]
        bi_p, bi_g = 0, 0
        if len(windows) > 0:
            ious = cross_iou(np.array(pred_k[qid], dtype=float).reshape(-1, 2), np.array(windows, dtype=float))
            ious[np.isnan(ious)] = 0
            hit_p, hit_g = np.where(ious == np.max(ious))
            bi_p, bi_g = int(hit_p[0]), int(hit_g[0])
        pred_best[qid] = pred_k[qid][bi_p]
        gt_best[qid] = windows[bi_g]
    qids = list(pred_k)
    iou = paired_iou(np.array([pred_best[q] for q in qids], dtype=float).reshape(-1, 2),
                     np.array([gt_best[q][:2] for q in qids], dtype=float).reshape(-1, 2))
    return {str(t): _pct(np.mean(iou >= t) * 100) for t in thresholds}, _pct(np.mean(iou) * 100)


def check_rows(submission: Sequence[Any], ground_truth: Sequence[Any]) -> str:
    """Why these QVHighlights rows cannot be scored ('' when they can)."""
    for i, d in enumerate(ground_truth, start=1):
        if not isinstance(d, Mapping) or "qid" not in d or not isinstance(d.get("relevant_windows"), list):
            return f"ground-truth row {i} needs 'qid' and a 'relevant_windows' list"
        if not d["relevant_windows"]:
            return f"ground-truth row {i} (qid {d['qid']}) has no relevant window"
        if not all(_is_window(w, 2) for w in d["relevant_windows"]):
            return f"ground-truth row {i} (qid {d['qid']}): windows must be [start, end] numbers"
    for i, d in enumerate(submission, start=1):
        if not isinstance(d, Mapping) or "qid" not in d or not isinstance(d.get("pred_relevant_windows"), list):
            return f"prediction row {i} needs 'qid' and a 'pred_relevant_windows' list"
        if not d["pred_relevant_windows"]:
            return f"prediction row {i} (qid {d['qid']}) has no predicted window"
        if not all(_is_window(w, 3) for w in d["pred_relevant_windows"]):
            return f"prediction row {i} (qid {d['qid']}): windows must be [start, end, score] numbers"
    gt_q = {d["qid"] for d in ground_truth}
    pr_q = {d["qid"] for d in submission}
    if gt_q != pr_q:
        missing, extra = sorted(gt_q - pr_q, key=str)[:5], sorted(pr_q - gt_q, key=str)[:5]
        return f"qids differ: missing from predictions {missing}, not in ground truth {extra}"
    return ""


def _is_window(w: Any, n: int) -> bool:
    return (isinstance(w, (list, tuple)) and len(w) >= n
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) for v in w[:n]))


def qvhighlights_brief(submission: Sequence[Mapping[str, Any]], ground_truth: Sequence[Mapping[str, Any]]
                       ) -> dict[str, float]:
    """The official full-range brief: ``MR-full-R1@0.5``, ``MR-full-R1@0.7``, ``MR-full-mAP``,
    ``MR-full-mAP@0.5``, ``MR-full-mAP@0.75`` (percent). Raises ``ValueError`` for rows
    :func:`check_rows` rejects."""
    problem = check_rows(submission, ground_truth)
    if problem:
        raise ValueError(problem)
    ap = mean_ap(submission, ground_truth)
    r1, _ = recall_at_1(submission, ground_truth)
    brief = {"MR-full-mAP": ap["average"], "MR-full-mAP@0.5": ap["0.5"], "MR-full-mAP@0.75": ap["0.75"],
             "MR-full-R1@0.5": r1["0.5"], "MR-full-R1@0.7": r1["0.7"]}
    return dict(sorted(brief.items()))
