"""Moment retrieval (QVHighlights standalone_eval rules) on hand-computed cases and against a
plain reimplementation of the same rules written from their description."""

from __future__ import annotations

import numpy as np
import pytest

from verifier.moment_retrieval import (
    average_precision,
    check_rows,
    mean_ap,
    qvhighlights_brief,
    recall_at_1,
    recall_at_k,
)


def ref_iou(a, b) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    hull = max(a[1], b[1]) - min(a[0], b[0])
    return inter / hull if hull > 0 else 0.0


def ref_ap(gts, preds, thr) -> float:
    """AP by the described rule: stable sort by score, greedy matching, all-point interpolation."""
    preds = sorted(preds[:10], key=lambda p: -p[2])
    taken, hits = set(), []
    for p in preds:
        order = sorted(range(len(gts)), key=lambda j: -ref_iou(p, gts[j]))
        hit = False
        for j in order:
            if ref_iou(p, gts[j]) < thr:
                break
            if j in taken:
                continue
            taken.add(j)
            hit = True
            break
        hits.append(hit)
    tp = np.cumsum(hits)
    prec = [tp[i] / (i + 1) for i in range(len(hits))]
    rec = [tp[i] / len(gts) for i in range(len(hits))]
    ap, last_r = 0.0, 0.0
    for i, r in enumerate(rec):
        if r != last_r:
            ap += (r - last_r) * max(prec[i:])
            last_r = r
    return ap


def ref_brief(pred_rows, gt_rows) -> dict[str, float]:
    thresholds = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]
    gts = {d["qid"]: d["relevant_windows"] for d in gt_rows}
    preds = {d["qid"]: d["pred_relevant_windows"] for d in pred_rows}
    ap = {t: np.mean([ref_ap(gts[q], preds[q], t) for q in preds]) for t in thresholds}
    r1 = {}
    for t in (0.5, 0.7):
        hits = []
        for q, ws in preds.items():
            first = ws[0]
            best = max(gts[q], key=lambda g: ref_iou(first, g))
            hits.append(ref_iou(first, best) >= t)
        r1[t] = float(np.mean(hits))
    pct = lambda v: round(100 * v, 2)
    return {"MR-full-R1@0.5": pct(r1[0.5]), "MR-full-R1@0.7": pct(r1[0.7]),
            "MR-full-mAP": pct(np.mean(list(ap.values()))), "MR-full-mAP@0.5": pct(ap[0.5]),
            "MR-full-mAP@0.75": pct(ap[0.75])}


def rows(gt: dict, pred: dict) -> tuple[list, list]:
    return ([{"qid": q, "pred_relevant_windows": w} for q, w in pred.items()],
            [{"qid": q, "relevant_windows": w} for q, w in gt.items()])


HAND = [
    # (gt, pred, expected brief) - computed by hand
    ({1: [[0, 10]], 2: [[20, 30], [40, 50]]},
     {1: [[0, 10, 0.9]], 2: [[40, 48, 0.8], [20, 30, 0.7]]},
     # q2: IoU 0.8 with [40,50]; at thresholds > 0.8 the first prediction is a FP: AP 0.25
     {"MR-full-R1@0.5": 100.0, "MR-full-R1@0.7": 100.0, "MR-full-mAP": 88.75,
      "MR-full-mAP@0.5": 100.0, "MR-full-mAP@0.75": 100.0}),
    ({1: [[10, 20]]}, {1: [[0, 5, 0.1], [10, 20, 0.9]]},
     # R1 takes the FIRST window in list order (IoU 0), mAP re-sorts by score (AP 1)
     {"MR-full-R1@0.5": 0.0, "MR-full-R1@0.7": 0.0, "MR-full-mAP": 100.0,
      "MR-full-mAP@0.5": 100.0, "MR-full-mAP@0.75": 100.0}),
    ({1: [[0, 10]]}, {1: [[50, 60, 0.9], [0, 10, 0.5]]},
     # FP then TP: precision [0, 1/2], recall [0, 1] -> AP 0.5
     {"MR-full-R1@0.5": 0.0, "MR-full-R1@0.7": 0.0, "MR-full-mAP": 50.0,
      "MR-full-mAP@0.5": 50.0, "MR-full-mAP@0.75": 50.0}),
    ({1: [[0, 10]]}, {1: [[0, 10, 0.9], [0, 10, 0.8]]},
     # a duplicate is a FP after the TP: AP stays 1
     {"MR-full-R1@0.5": 100.0, "MR-full-R1@0.7": 100.0, "MR-full-mAP": 100.0,
      "MR-full-mAP@0.5": 100.0, "MR-full-mAP@0.75": 100.0}),
    ({1: [[0, 10]], 2: [[0, 10]], 3: [[0, 10]]}, {1: [[0, 10, 1]], 2: [[0, 6, 1]], 3: [[20, 30, 1]]},
     # IoU 1, 0.6, 0: R1@0.5 = 2/3, R1@0.7 = 1/3; mAP@0.5 = 2/3 -> 66.67, @0.75 = 33.33;
     # mean over thresholds: (3 * 2/3 + 7 * 1/3) / 10 = 0.4333
     {"MR-full-R1@0.5": 66.67, "MR-full-R1@0.7": 33.33, "MR-full-mAP": 43.33,
      "MR-full-mAP@0.5": 66.67, "MR-full-mAP@0.75": 33.33}),
    ({1: [[0, 10]]}, {1: [[50, 60, 0.9]] * 10 + [[0, 10, 0.95]]},
     # only the first 10 predictions count: the right 11th window is ignored
     {"MR-full-R1@0.5": 0.0, "MR-full-R1@0.7": 0.0, "MR-full-mAP": 0.0,
      "MR-full-mAP@0.5": 0.0, "MR-full-mAP@0.75": 0.0}),
]


@pytest.mark.parametrize("gt,pred,expected", HAND)
def test_hand_computed_cases(gt, pred, expected):
    p, g = rows(gt, pred)
    assert qvhighlights_brief(p, g) == expected
    assert ref_brief(p, g) == expected


def test_matches_the_reimplementation_on_random_queries():
    rng = np.random.default_rng(11)
    for _ in range(30):
        gt, pred = {}, {}
        for q in range(int(rng.integers(1, 12))):
            gt[q] = [sorted(rng.uniform(0, 150, 2).round(1).tolist()) for _ in range(int(rng.integers(1, 4)))]
            pred[q] = [sorted(rng.uniform(0, 150, 2).round(1).tolist()) + [round(float(rng.random()), 3)]
                       for _ in range(int(rng.integers(1, 14)))]
            if rng.random() < 0.5:       # a near-hit to make the thresholds matter
                s, e = gt[q][0]
                pred[q].insert(int(rng.integers(0, len(pred[q]))), [s + 1.0, e + 2.0, 0.99])
        p, g = rows(gt, pred)
        assert qvhighlights_brief(p, g) == ref_brief(p, g)


def test_svag_recall_at_k_takes_the_best_pair_among_the_first_k():
    p, g = rows({1: [[0, 10]], 2: [[0, 10]]}, {1: [[50, 60, 1]] * 5 + [[0, 10, 1]], 2: [[0, 20, 1], [0, 10, 1]]})
    r5, miou5 = recall_at_k(p, g, 5)
    r10, _ = recall_at_k(p, g, 10)
    assert r5["0.5"] == 50.0 and miou5 == 50.0 and r10["0.5"] == 100.0
    r1, miou = recall_at_1(p, g, [0.5])
    assert r1 == {"0.5": 50.0} and miou == 25.0


def test_average_precision_and_rows_checks():
    assert average_precision([[0, 10]], []).tolist() == [0.0] * 10
    assert mean_ap(*rows({1: [[0, 10]]}, {1: [[0, 10, 1]]}))["average"] == 100.0
    p, g = rows({1: [[0, 10]]}, {2: [[0, 10, 1]]})
    assert "qids differ" in check_rows(p, g)
    assert "no predicted window" in check_rows(*rows({1: [[0, 10]]}, {1: []}))
    assert "[start, end, score]" in check_rows(*rows({1: [[0, 10]]}, {1: [[0, 10]]}))
    with pytest.raises(ValueError, match="no relevant window"):
        qvhighlights_brief(*rows({1: []}, {1: [[0, 1, 1]]}))
