"""HOTA against PyPI trackeval==1.3.0 (the reference), on randomised and adversarial sequences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.hota import ALPHAS, ARRAY_FIELDS, COUNT_FIELDS, combine_hota, hota, hota_from_arrays

trackeval = pytest.importorskip("trackeval")
from trackeval.datasets._base_dataset import _BaseDataset
from trackeval.metrics import HOTA as TrackEvalHOTA

FIELDS = ARRAY_FIELDS + COUNT_FIELDS


def trackeval_hota(gt: tuple, pred: tuple, box_format: str = "xywh") -> dict:
    """TrackEval's HOTA.eval_sequence on the same rows (per-frame data built as its datasets do)."""
    gf, gi, gb = (np.asarray(x) for x in gt)
    pf, pi, pb = (np.asarray(x) for x in pred)
    gb = gb.reshape(-1, 4).astype(float)
    pb = pb.reshape(-1, 4).astype(float)
    gu, pu = np.unique(gi), np.unique(pi)
    frames = sorted(set(gf.tolist()) | set(pf.tolist()))
    data: dict = {"gt_ids": [], "tracker_ids": [], "similarity_scores": []}
    for t in frames:
        gm, pm = gf == t, pf == t
        data["gt_ids"].append(np.searchsorted(gu, gi[gm]).astype(int))
        data["tracker_ids"].append(np.searchsorted(pu, pi[pm]).astype(int))
        fmt = "xywh" if box_format == "xywh" else "x0y0x1y1"
        data["similarity_scores"].append(_BaseDataset._calculate_box_ious(gb[gm], pb[pm], box_format=fmt))
    data.update(num_gt_ids=len(gu), num_tracker_ids=len(pu), num_gt_dets=len(gf),
                num_tracker_dets=len(pf), num_timesteps=len(frames))
    return TrackEvalHOTA().eval_sequence(data)


def assert_same(ours, ref: dict, tol: float = 1e-9) -> None:
    for name in FIELDS:
        np.testing.assert_allclose(ours.per_alpha[name], ref[name], rtol=0, atol=tol, err_msg=name)
    assert abs(ours.HOTA0 - ref["HOTA(0)"]) <= tol
    assert abs(ours.LocA0 - ref["LocA(0)"]) <= tol


def _dedupe(rows: list) -> tuple[list, list, list]:
    seen, out = set(), []
    for f, i, b in rows:
        if (f, i) not in seen:
            seen.add((f, i))
            out.append((f, i, b))
    return [r[0] for r in out], [r[1] for r in out], [r[2] for r in out]


def random_sequence(rng: np.random.Generator, kind: str) -> tuple[tuple, tuple]:
    """One ground truth / prediction pair of a given kind (xywh rows)."""
    T = int(rng.integers(1, 30))
    crowded = kind == "crowded"
    n_gt = int(rng.integers(0, 25 if crowded else 8))
    area = 60 if crowded else 600
    gt_rows = []
    for g in range(n_gt):
        s = int(rng.integers(0, T))
        e = int(rng.integers(s, T))
        x, y = rng.uniform(0, area, 2)
        w, h = rng.uniform(8, 60, 2)
        vx, vy = rng.normal(0, 4, 2)
        for t in range(s, e + 1):
            if kind == "fragments" and rng.random() < 0.3:
                continue
            box = [x + vx * t, y + vy * t, w, h]
            if kind == "integer":
                box = [float(round(v / 10) * 10) for v in box]
            if kind == "degenerate" and rng.random() < 0.2:
                box[2 + int(rng.integers(0, 2))] = 0.0
            gt_rows.append((t, g + 1, box))
    pred_rows = []
    swap_at = int(rng.integers(0, T + 1))
    for t, g, box in gt_rows:
        if kind != "perfect" and rng.random() < 0.2:
            continue                                           # miss
        pid = g + 100
        if kind in ("switches", "crowded") and t >= swap_at and rng.random() < 0.5:
            pid = 100 + int(rng.integers(1, n_gt + 2))         # id switch
        noise = 0.0 if kind in ("perfect", "integer") else rng.normal(0, 3, 4)
        b = list(np.asarray(box) + noise)
        if kind == "integer":
            b = [float(round(v)) for v in b]
        pred_rows.append((t, pid, b))
        if kind == "duplicates" and rng.random() < 0.3:
            pred_rows.append((t, pid + 500, list(b)))          # identical duplicate box
    n_fp = int(rng.integers(0, 15))
    for _ in range(0 if kind == "perfect" else n_fp):
        pred_rows.append((int(rng.integers(0, T)), int(rng.integers(300, 310)),
                          list(np.r_[rng.uniform(0, area, 2), rng.uniform(5, 80, 2)])))
    if kind == "empty_pred":
        pred_rows = []
    if kind == "empty_gt":
        gt_rows = []
    order = rng.permutation(len(pred_rows)) if kind == "shuffled" else range(len(pred_rows))
    pred_rows = [pred_rows[i] for i in order]
    return _dedupe(gt_rows), _dedupe(pred_rows)


KINDS = ["plain", "switches", "fragments", "crowded", "integer", "degenerate", "duplicates",
         "perfect", "shuffled", "empty_pred", "empty_gt"]


def test_matches_trackeval_on_240_random_sequences_and_their_combination():
    rng = np.random.default_rng(2024)
    ours, refs = {}, {}
    for n in range(240):
        kind = KINDS[n % len(KINDS)]
        gt, pred = random_sequence(rng, kind)
        ours[n] = hota_from_arrays(*gt, *pred, box_format="xywh")
        refs[n] = trackeval_hota(gt, pred)
        assert_same(ours[n], refs[n])
    combined, ref = combine_hota(ours), TrackEvalHOTA().combine_sequences(refs)
    assert_same(combined, ref)
    for kind_group in (list(range(0, 240, 11)), list(range(3, 240, 11))):       # subsets pool too
        assert_same(combine_hota([ours[i] for i in kind_group]),
                    TrackEvalHOTA().combine_sequences({i: refs[i] for i in kind_group}))
    assert 0.2 < combined.HOTA < 0.95


def test_mot17_size_sequence_is_identical_to_trackeval():
    rng = np.random.default_rng(7)
    rows_g, rows_p = [], []
    for g in range(40):
        s, e = int(rng.integers(0, 200)), int(rng.integers(300, 600))
        x, y, w, h, vx, vy = *rng.uniform(0, 1800, 2), *rng.uniform(20, 90, 2), *rng.normal(0, 1, 2)
        for t in range(s, e):
            rows_g.append((t, g, [x + vx * t, y + vy * t, w, h]))
            if rng.random() < 0.85:
                pid = g if t < (s + e) // 2 else 40 + g % 10
                rows_p.append((t, pid, list(np.array([x + vx * t, y + vy * t, w, h]) + rng.normal(0, 3, 4))))
    gt, pred = _dedupe(rows_g), _dedupe(rows_p)
    res = hota_from_arrays(*gt, *pred, box_format="xywh")
    ref = trackeval_hota(gt, pred)
    for name in FIELDS:
        assert np.array_equal(res.per_alpha[name], ref[name]), name      # bit for bit


def test_xyxy_input_matches_trackeval_x0y0x1y1():
    rng = np.random.default_rng(3)
    gt, pred = random_sequence(rng, "switches")
    to_xyxy = lambda rows: (rows[0], rows[1], [[b[0], b[1], b[0] + b[2], b[1] + b[3]] for b in rows[2]])
    g2, p2 = to_xyxy(gt), to_xyxy(pred)
    assert_same(hota_from_arrays(*g2, *p2, box_format="xyxy"), trackeval_hota(g2, p2, box_format="xyxy"))


def test_empty_sides_follow_trackeval():
    gt = {0: {1: (0, 0, 10, 10)}}
    for res in (hota(gt, {}), hota({}, gt), hota({}, {})):
        assert res.HOTA == 0.0 and res.LocA == 1.0
    assert hota(gt, {}).per_alpha["HOTA_FN"].tolist() == [1.0] * len(ALPHAS)
    assert hota({}, gt).per_alpha["HOTA_FP"].tolist() == [1.0] * len(ALPHAS)


def test_bad_input_is_refused_with_a_clear_error():
    with pytest.raises(ValueError, match="appears more than once in frame 3"):
        hota_from_arrays([3, 3], [1, 1], [[0, 0, 1, 1]] * 2, [], [], [])
    with pytest.raises(ValueError, match="finite"):
        hota_from_arrays([1], [1], [[0, 0, float("nan"), 1]], [1], [1], [[0, 0, 1, 1]])
    with pytest.raises(ValueError, match="box_format"):
        hota({}, {}, box_format="cxcywh")


def test_matches_expose_the_alpha_matches():
    gt = {1: {7: (0, 0, 10, 10), 8: (50, 50, 60, 60)}, 2: {7: (0, 0, 10, 10)}}
    pred = {1: {3: (0, 0, 10, 10), 4: (52, 50, 62, 60)}, 2: {3: (0, 0, 10, 10)}}
    _, m = hota_from_arrays(*zip(*[(f, i, b) for f, d in gt.items() for i, b in d.items()]),
                            *zip(*[(f, i, b) for f, d in pred.items() for i, b in d.items()]),
                            return_matches=True)
    assert m.gt_ids.tolist() == [7, 8] and m.pr_ids.tolist() == [3, 4]
    assert m.match_frame.tolist() == [1, 1, 2]
    assert m.match_gt_pos.tolist() == [0, 1, 0] and m.match_pr_pos.tolist() == [0, 1, 0]
    assert m.match_sim[1] == pytest.approx(80 / 120)


boxes = st.tuples(st.floats(0, 500), st.floats(0, 500), st.floats(1, 100), st.floats(1, 100)).map(
    lambda b: (b[0], b[1], b[0] + b[2], b[1] + b[3]))
sequences = st.dictionaries(st.integers(0, 20), st.dictionaries(st.integers(0, 6), boxes, max_size=5),
                            min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(sequences)
def test_perfect_prediction_scores_one(gt):
    if not any(gt.values()):
        return
    res = hota(gt, gt)
    assert res.HOTA == pytest.approx(1.0) and res.DetA == pytest.approx(1.0) and res.AssA == pytest.approx(1.0)


@settings(max_examples=60, deadline=None)
@given(sequences, sequences, st.permutations(list(range(7))), st.permutations(list(range(7))))
def test_invariant_to_relabelling_ids(gt, pred, perm_g, perm_p):
    relabel = lambda seq, perm: {f: {perm[i] * 13 + 5: b for i, b in d.items()} for f, d in seq.items()}
    a = hota(gt, pred)
    b = hota(relabel(gt, perm_g), relabel(pred, perm_p))
    for name in FIELDS:
        np.testing.assert_allclose(a.per_alpha[name], b.per_alpha[name], rtol=0, atol=1e-12)
