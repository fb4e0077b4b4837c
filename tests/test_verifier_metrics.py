"""Box IoU, tIoU, mvIoU / vIoU, the multi-referent assignment and the rewards."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier import RewardConfig, format_reward, stvg_reward, verify
from verifier.boxes import box_iou, iou_matrix, norm1000_to_pixels, pixels_to_norm1000
from verifier.groundtruth import GroundTruth
from verifier.intervals import t_iou, window_iou
from verifier.multiref import assign
from verifier.result import GroundingResult, Referent, VideoInfo
from verifier.stvg import Tube, TubeScores, mean_scores, pairwise_scores, tube_scores, viou_at

coord = st.floats(-1e4, 1e4, allow_nan=False)
any_box = st.tuples(coord, coord, coord, coord)
good_box = st.tuples(st.floats(0, 1000), st.floats(0, 1000), st.floats(0.5, 500), st.floats(0.5, 500)).map(
    lambda b: (b[0], b[1], b[0] + b[2], b[1] + b[3]))


@settings(max_examples=300, deadline=None)
@given(any_box, any_box)
def test_iou_is_symmetric_and_in_unit_interval(a, b):
    v = box_iou(a, b)
    assert 0.0 <= v <= 1.0 + 1e-12
    assert v == box_iou(b, a)
    assert v == pytest.approx(float(iou_matrix(np.array([a]), np.array([b]))[0, 0]), abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(good_box)
def test_iou_with_itself_is_one_and_xywh_agrees(b):
    assert box_iou(b, b) == pytest.approx(1.0)
    xywh = (b[0], b[1], b[2] - b[0], b[3] - b[1])
    assert box_iou(xywh, xywh, fmt="xywh") == pytest.approx(1.0)


def test_iou_hand_cases():
    assert box_iou((0, 0, 10, 10), (5, 5, 15, 15)) == pytest.approx(25 / 175)
    assert box_iou((0, 0, 10, 10), (10, 0, 20, 10)) == 0.0            # touching
    assert box_iou((0, 0, 0, 0), (0, 0, 0, 0)) == 0.0                 # zero union
    assert box_iou((10, 10, 0, 0), (0, 0, 10, 10)) == 0.0             # inverted
    assert box_iou((0, 0, 2, 2), (0, 0, 2, 4), fmt="xywh") == pytest.approx(0.5)
    with pytest.raises(ValueError, match="box format"):
        box_iou((0, 0, 1, 1), (0, 0, 1, 1), fmt="cxcywh")
    assert norm1000_to_pixels([100, 500, 200, 1000], 1280, 720) == (128.0, 360.0, 256.0, 720.0)
    assert pixels_to_norm1000([128, 360, 256, 720], 1280, 720) == (100, 500, 200, 1000)


interval = st.tuples(st.integers(0, 50), st.integers(0, 50)).map(lambda t: (min(t), max(t)))


@settings(max_examples=300, deadline=None)
@given(interval, interval)
def test_tiou_is_one_iff_equal_and_counts_integer_seconds(a, b):
    v = t_iou(a, b)
    assert 0.0 <= v <= 1.0 and v == t_iou(b, a)
    assert (v == 1.0) == (a == b)
    sa, sb = set(range(a[0], a[1] + 1)), set(range(b[0], b[1] + 1))
    assert v == pytest.approx(len(sa & sb) / len(sa | sb))


def test_tiou_hand_cases():
    assert t_iou((3, 3), (3, 3)) == 1.0            # one second, not a zero-length span
    assert t_iou((0, 9), (5, 14)) == pytest.approx(5 / 15)
    assert t_iou((0, 1), (2, 3)) == 0.0
    assert window_iou((0, 10), (5, 15)) == pytest.approx(5 / 15)


@settings(max_examples=200, deadline=None)
@given(interval, interval, st.data())
def test_viou_is_tiou_times_mviou_when_boxes_cover_the_intersection(pi, gi, data):
    pred = {k: data.draw(good_box) for k in range(pi[0], pi[1] + 1)}
    gt = {k: data.draw(good_box) for k in range(gi[0], gi[1] + 1)}
    s = tube_scores(Tube(pi, pred), Tube(gi, gt))
    assert s.vIoU == pytest.approx(s.tIoU * s.mvIoU, abs=1e-12)
    assert 0.0 <= s.mvIoU <= 1.0 and 0.0 <= s.vIoU <= s.tIoU + 1e-12


def test_tube_scores_hand_cases():
    box = (0, 0, 10, 10)
    gt = Tube((0, 9), {k: box for k in range(10)})
    half = Tube((5, 14), {k: box for k in range(5, 15)})
    s = tube_scores(half, gt)
    assert (s.tIoU, s.mvIoU, s.vIoU) == (pytest.approx(5 / 15), 1.0, pytest.approx(5 / 15))
    gappy = Tube((0, 9), {k: box for k in range(0, 10, 2)})        # boxes on half the seconds
    assert tube_scores(gappy, gt) == TubeScores(1.0, 0.5, 0.5)
    assert tube_scores(Tube((20, 25), {20: box}), gt) == TubeScores(0.0, 0.0, 0.0)
    assert tube_scores(None, gt) == TubeScores(0.0, 0.0, 0.0)
    shifted = Tube((0, 9), {k: (5, 0, 15, 10) for k in range(10)})
    assert tube_scores(shifted, gt).mvIoU == pytest.approx(1 / 3)


def test_viou_at_is_strict_and_means():
    assert viou_at([0.3, 0.5, 0.51]) == {"vIoU@0.3": pytest.approx(2 / 3), "vIoU@0.5": pytest.approx(1 / 3)}
    m = mean_scores([TubeScores(1.0, 0.5, 0.5), TubeScores(0.5, 1.0, 0.5)])
    assert m["m_tIoU"] == 0.75 and m["m_mvIoU"] == 0.75 and m["m_vIoU"] == 0.5 and m["vIoU@0.3"] == 1.0


def test_assignment_is_one_to_one_and_unmatched_score_zero():
    a = Tube((0, 4), {k: (0, 0, 10, 10) for k in range(5)})
    b = Tube((0, 4), {k: (100, 0, 110, 10) for k in range(5)})
    c = Tube((3, 9), {k: (200, 0, 210, 10) for k in range(3, 10)})
    s = assign([a, a, a], [a, b])              # three predictions of the same object
    assert s.tIoU == pytest.approx(2 / 3) and s.mvIoU == pytest.approx(1 / 3)   # a->b: right time, wrong place
    s = assign([c, b, a], [a, b, c])
    assert (s.tIoU, s.mvIoU) == (1.0, 1.0)
    assert sorted((p.gt_index, p.pred_index) for p in s.pairs) == [(0, 2), (1, 1), (2, 0)]
    assert assign([], [a]).tIoU == 0.0 and assign([a], []).mvIoU == 0.0 and assign([], []).vIoU == 1.0


GT = {"width": 1000, "height": 500, "interval": [2, 5],
      "boxes": {str(k): [100 * k, 100, 100 * k + 100, 300] for k in range(2, 6)}}


def answer(seconds, dx=0, label="person-1", extra=None) -> str:
    out = {str(k): [{"label": label, "bbox_2d": [(100 * k + dx) / 1000 * 1000, 200, (100 * k + 100 + dx), 600]}]
           for k in seconds}
    for k, dets in (extra or {}).items():
        out.setdefault(str(k), []).extend(dets)
    return json.dumps(out)


def test_reward_is_paper_002_eq_4():
    perfect = stvg_reward(answer(range(2, 6)), GT)
    assert (perfect.tIoU, perfect.mvIoU, perfect.reward, perfect.label) == (1.0, 1.0, 2.0, "person-1")
    r = stvg_reward(answer(range(4, 8)), GT, RewardConfig(w_t=1.0, w_m=0.5))
    assert r.tIoU == pytest.approx(2 / 6) and r.mvIoU == 1.0 and r.reward == pytest.approx(2 / 6 + 0.5)
    shifted = stvg_reward(answer(range(2, 6), dx=50), GT)
    assert shifted.mvIoU == pytest.approx(1 / 3) and shifted.vIoU == pytest.approx(1 / 3)
    assert stvg_reward(answer(range(2, 6)), GT, RewardConfig(w_t=0, w_m=0)).reward == 0.0


def test_single_referent_picks_the_label_seen_most():
    distractor = [{"label": "car-2", "bbox_2d": [0, 0, 10, 10]}]
    text = answer(range(2, 6), extra={0: distractor, 1: distractor, 2: distractor})
    r = stvg_reward(text, GT)
    assert r.label == "person-1" and r.reward == 2.0
    assert stvg_reward(answer([3], label="a", extra={3: [{"label": "b", "bbox_2d": [0, 0, 1, 1]}]}), GT).label == "a"


def test_pixels_and_string_ground_truth():
    text = json.dumps({"2": [{"label": "a", "bbox_2d": [200, 100, 300, 300]}]})
    r = stvg_reward(text, json.dumps(GT), RewardConfig(coords="pixels"))
    assert r.mvIoU == 1.0 and r.tIoU == 0.25


MULTI = {"width": 1000, "height": 1000, "referents": [
    {"id": 7, "label": "person", "interval": [0, 3], "boxes": {str(k): [0, 0, 100, 100] for k in range(4)}},
    {"id": 9, "label": "person", "interval": [2, 5], "boxes": {str(k): [500, 500, 600, 600] for k in range(2, 6)}}]}


def _multi_answer(tracks: dict[str, tuple[range, list]]) -> str:
    out: dict[str, list] = {}
    for label, (secs, box) in tracks.items():
        for k in secs:
            out.setdefault(str(k), []).append({"label": label, "bbox_2d": box})
    return json.dumps(out)


def test_multi_referent_reward_assigns_and_penalises_misses_and_extras():
    both = _multi_answer({"p-2": (range(2, 6), [500, 500, 600, 600]), "p-1": (range(4), [0, 0, 100, 100])})
    r = stvg_reward(both, MULTI, with_hota=True)
    assert (r.tIoU, r.mvIoU, r.reward) == (1.0, 1.0, 2.0) and r.hota == pytest.approx(1.0)
    assert [(d.gt_id, d.label) for d in r.referents] == [(7, "p-1"), (9, "p-2")]
    one = stvg_reward(_multi_answer({"p-1": (range(4), [0, 0, 100, 100])}), MULTI)
    assert one.tIoU == 0.5 and one.referents[1].label is None
    extra = _multi_answer({"p-1": (range(4), [0, 0, 100, 100]), "p-2": (range(2, 6), [500, 500, 600, 600]),
                           "p-3": (range(2), [900, 900, 950, 950])})
    assert stvg_reward(extra, MULTI).tIoU == pytest.approx(2 / 3)
    hota_weighted = stvg_reward(both, MULTI, RewardConfig(w_hota=1.0))
    assert hota_weighted.reward == pytest.approx(3.0) and hota_weighted.hota == pytest.approx(1.0)


def test_correctly_empty_answer_gets_the_full_reward():
    none = {"width": 100, "height": 100, "referents": []}
    assert stvg_reward("{}", none, with_hota=True).reward == 2.0
    assert stvg_reward("{}", none, with_hota=True).hota == 1.0
    assert stvg_reward(_multi_answer({"x": (range(2), [0, 0, 5, 5])}), none).reward == 0.0
    assert stvg_reward("{}", MULTI).reward == 0.0
    assert stvg_reward("{}", GT).reward == 0.0 and stvg_reward("{}", GT).reason == "the answer names no object"


@settings(max_examples=150, deadline=None)
@given(st.floats(0, 5), st.floats(0, 5), st.lists(st.tuples(st.integers(0, 9), good_box), max_size=12),
       st.booleans())
def test_reward_lies_in_zero_to_wt_plus_wm(w_t, w_m, dets, multi):
    text = json.dumps({str(k): [{"label": f"o-{k % 2}", "bbox_2d": list(b)}] for k, b in dets})
    cfg = RewardConfig(w_t=w_t, w_m=w_m, coords="pixels")
    r = stvg_reward(text, MULTI if multi else GT, cfg)
    assert 0.0 <= r.reward <= w_t + w_m + 1e-9


def test_format_reward():
    good = answer([2, 3])
    assert format_reward(good) == 1.0
    assert format_reward(good[:-5]) == 0.5
    assert format_reward("nothing") == 0.0
    assert format_reward(good, require_think=True) == 0.0
    assert format_reward("<think>a</think>" + good, require_think=True) == 1.0


def test_verify_accepts_text_predictions_and_results():
    assert verify(GT, answer(range(2, 6))).reward == 2.0
    video = VideoInfo(path="v", width=1000, height=500, fps=30, frame_count=300, duration=10)
    res = GroundingResult(query="q", video=video, referents=[
        Referent(id=1, label="person", interval=(2, 5), boxes={k: (100 * k, 100, 100 * k + 100, 300) for k in range(2, 6)})])
    assert verify(GT, res).tIoU == 1.0
    assert verify(GroundTruth.from_stvg(GT), answer(range(2, 4))).tIoU == 0.5
    assert [d.label for d in verify(MULTI, res).referents] == [None, "person-1"]   # same span as id 9
    assert verify(GT, "garbage").reward == 0.0


tube = st.builds(lambda s, n, boxes: Tube((s, s + n), {s + i: b for i, b in enumerate(boxes) if b is not None}),
                 st.integers(0, 20), st.integers(0, 10), st.lists(st.one_of(st.none(), good_box), max_size=11))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), tube), max_size=4), st.lists(st.one_of(st.none(), tube), max_size=4))
def test_vectorised_pair_scores_equal_the_per_pair_scores(preds, gts):
    t, mv, v = pairwise_scores(preds, gts)
    assert t.shape == mv.shape == v.shape == (len(preds), len(gts))
    for i, p in enumerate(preds):
        for j, g in enumerate(gts):
            s = tube_scores(p, g)
            assert (t[i, j], mv[i, j], v[i, j]) == pytest.approx((s.tIoU, s.mvIoU, s.vIoU), abs=1e-12)
