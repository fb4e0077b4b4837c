"""SVAGEval rules and quirks, each on a case built to exercise it."""

from __future__ import annotations

import json

import pytest

from verifier.hota import combine_hota, hota_from_arrays
from verifier.svageval import (
    SUBSETS,
    SvagQuery,
    evaluate_subset,
    evaluate_svag,
    load_svag,
    map_ids,
    sequence_name,
)

L = 10
A = [0, 0, 20, 20]
B = [100, 100, 20, 20]
FAR = [500, 500, 20, 20]


def track(tid, boxes_by_frame: dict[int, list], temporal=None) -> dict:
    """``boxes_by_frame`` keys are 1-based frames."""
    spatial = [boxes_by_frame.get(f + 1) for f in range(L)]
    return {"track_id": tid, "spatial": spatial, "temporal": temporal if temporal is not None else [[1, L]]}


def query(qid, tracks, video="vid1", text="A man walks") -> dict:
    return {"query_id": qid, "query": text, "video_id": 1, "video_name": video, "video_length": L, "tracks": tracks}


def sq(q: dict) -> SvagQuery:
    return SvagQuery.model_validate(q)


def everywhere(box, frames=range(1, L + 1)) -> dict[int, list]:
    return {f: box for f in frames}


def matches_of(gt_q: dict, pred_q: dict):
    def rows(q):
        out = [(i + 1, t["track_id"], (b[0], b[1], b[0] + b[2], b[1] + b[3]))
               for t in q["tracks"] for i, b in enumerate(t["spatial"]) if b is not None]
        return [r[0] for r in out], [r[1] for r in out], [r[2] for r in out]
    return hota_from_arrays(*rows(gt_q), *rows(pred_q), return_matches=True)


def test_sequence_names_follow_the_official_converter():
    assert sequence_name("fb4a7958", "The giraffe bends its neck") == "fb4a7958+the-giraffe-bends-its-neck"


def test_hota_is_pooled_over_queries_and_kept_to_5_significant_digits():
    good = query(1, [track(1, everywhere(A))], text="q one")
    bad_gt = query(2, [track(1, everywhere(A))], text="q two")
    bad_pred = query(2, [track(9, everywhere([5, 0, 20, 20], range(1, 4)))], text="q two")
    out = evaluate_subset([sq(good), sq(bad_gt)], [sq(good), sq(bad_pred)])
    h1, _ = matches_of(good, good)
    h2, _ = matches_of(bad_gt, bad_pred)
    pooled = combine_hota([h1, h2]).HOTA
    assert out["HOTA"] == float(f"{100 * pooled:1.5g}")
    assert out["HOTA"] != pytest.approx(100 * (h1.HOTA + h2.HOTA) / 2, abs=0.01)   # not a mean
    assert len(repr(out["DetA"]).replace(".", "").lstrip("0")) <= 5


def test_id_mapping_votes_for_every_matched_column_and_ties_go_to_the_first_vote():
    # Both GT tracks are present in all frames; pred 10 is exactly A, pred 20 exactly B.
    gt = query(1, [track(1, everywhere(A)), track(2, everywhere(B))])
    pred = query(1, [track(10, everywhere(A)), track(20, everywhere(B))])
    _, m = matches_of(gt, pred)
    # Every voting frame votes for BOTH matched predictions (10 then 20): 10 wins the tie for both.
    assert map_ids(m) == {1: 10, 2: 10}


def test_id_mapping_key_is_the_first_element_of_the_row_position_set():
    # Track 2 sits at row 1 while track 1 is present (frames 1-8) and at row 0 in frames 9-10.
    gt = query(1, [track(1, everywhere(A, range(1, 9))), track(2, everywhere(B))])
    # Pred 10 matches track 1 in frames 1-8; pred 20 matches track 2 only in frames 9-10.
    pred = query(1, [track(10, everywhere(A, range(1, 9))), track(20, everywhere(B, range(9, 11)))])
    _, m = matches_of(gt, pred)
    # key = next(iter({1, 0})) = 0: frames 1-8 vote through row 0 (track 1's match) -> 10 wins 8:2.
    assert map_ids(m) == {1: 10, 2: 10}


def test_unmatched_tracks_are_dropped_and_unmatched_queries_left_out_of_temporal_metrics():
    hit_gt = query(1, [track(1, everywhere(A), temporal=[[1, 10]])], text="q one")
    hit_pred = query(1, [track(5, everywhere(A), temporal=[[0, 10, 0.9]])], text="q one")
    miss_gt = query(2, [track(1, everywhere(A), temporal=[[1, 10]])], text="q two")
    miss_pred = query(2, [track(6, everywhere(FAR), temporal=[[0, 10, 0.9]])], text="q two")
    out = evaluate_subset([sq(hit_gt), sq(miss_gt)], [sq(hit_pred), sq(miss_pred)])
    assert out["mIoU"] == 100.0 and out["R1@0.5"] == 100.0     # query 2 neither 0 nor counted
    assert out["HOTA"] < 100
    none = evaluate_subset([sq(miss_gt)], [sq(miss_pred)])
    assert none["mIoU"] == 0.0 and none["R10@0.1"] == 0.0      # nothing matched at all


def test_only_the_last_gt_row_and_last_mapped_prediction_count_so_perfect_can_score_below_100():
    gt = query(1, [track(1, everywhere(A), temporal=[[1, 4]]), track(2, everywhere(B), temporal=[[6, 10]])])
    perfect = query(1, [track(10, everywhere(A), temporal=[[0, 4, 0.9]]),
                        track(20, everywhere(B), temporal=[[5, 10, 0.9]])])
    out = evaluate_subset([sq(gt)], [sq(perfect)])
    # Both GT tracks map to 10 (voting quirk); the last GT row (track 2, [5, 10]) meets 10's [0, 4].
    assert out["HOTA"] == 100.0
    assert out["mIoU"] == 0.0


def test_gt_windows_become_s_minus_1_to_e_and_predictions_are_used_as_given():
    gt = query(1, [track(1, everywhere(A), temporal=[[3, 8]])])
    for window, miou in (([2, 8, 1.0], 100.0), ([3, 8, 1.0], round(5 / 6 * 100, 2)), ([2, 7, 1.0], round(5 / 6 * 100, 2))):
        pred = query(1, [track(1, everywhere(A), temporal=[window])])
        assert evaluate_subset([sq(gt)], [sq(pred)])["mIoU"] == miou


def test_r1_uses_the_first_window_in_list_order_r5_the_best_of_five():
    gt = query(1, [track(1, everywhere(A), temporal=[[1, 10]])])
    pred = query(1, [track(1, everywhere(A), temporal=[[5, 6, 0.99], [0, 10, 0.1]])])
    out = evaluate_subset([sq(gt)], [sq(pred)])
    assert out["R1@0.1"] == 100.0 and out["R1@0.3"] == 0.0 and out["mIoU"] == 10.0
    assert out["R5@0.5"] == 100.0 and out["R10@0.5"] == 100.0


def test_video_names_with_underscores_lose_their_temporal_match_as_upstream():
    gt = query(1, [track(1, everywhere(A))], video="clip_07")
    pred = query(1, [track(1, everywhere(A), temporal=[[0, 10, 1.0]])], video="clip_07")
    out = evaluate_subset([sq(gt)], [sq(pred)])
    assert out["HOTA"] == 100.0 and out["mIoU"] == 0.0


def test_missing_prediction_query_is_empty():
    gt = query(1, [track(1, everywhere(A))])
    out = evaluate_subset([sq(gt)], [])
    assert out["HOTA"] == 0.0 and out["DetRe"] == 0.0


def _file(per_subset: dict[str, list[dict]]) -> dict:
    return {"datasets": [{"name": n, "queries": per_subset.get(n, [])} for n in SUBSETS]}


def test_average_over_subsets_is_rounded_and_m_hiou_uses_the_rounded_means():
    gt_q = query(1, [track(1, everywhere(A), temporal=[[1, 10]])])
    half = query(1, [track(1, everywhere(A), temporal=[[0, 5, 1.0]])])
    gt = _file({n: [gt_q] for n in SUBSETS})
    pred = _file({"OVIS": [gt_q | {"tracks": [track(1, everywhere(A), temporal=[[0, 10, 1.0]])]}],
                  "MOT17": [half], "MOT20": [half]})
    out = evaluate_svag(gt, pred)
    assert out["OVIS"]["mIoU"] == 100.0 and out["MOT17"]["mIoU"] == 50.0
    assert out["average"]["mIoU"] == round(200 / 3, 3) == 66.667
    assert out["average"]["m-HIoU"] == round((out["average"]["HOTA"] + 66.667) / 2, 3)
    assert next(iter(out["average"])) == "m-HIoU"
    keys = ["HOTA", "DetA", "AssA", "DetRe", "DetPr", "AssRe", "AssPr", "LocA", "mIoU", "R1@0.1", "R1@0.3",
            "R1@0.5", "R5@0.1", "R5@0.3", "R5@0.5", "R10@0.1", "R10@0.3", "R10@0.5"]
    assert all(list(out[n]) == keys for n in SUBSETS)


def test_malformed_files_are_refused_with_the_reason(tmp_path):
    gt = _file({n: [query(1, [track(1, everywhere(A))])] for n in SUBSETS})
    with pytest.raises(ValueError, match="lacks the subset"):
        evaluate_svag({"datasets": gt["datasets"][:2]}, gt)
    bad = json.loads(json.dumps(gt))
    bad["datasets"][0]["queries"][0]["tracks"][0]["spatial"][0] = [1, 2, 3]
    with pytest.raises(ValueError, match=r"spatial\[0\] must be \[x, y, w, h\]"):
        evaluate_svag(gt, bad)
    path = tmp_path / "sub.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match=f"prediction file {path} is not valid JSON"):
        load_svag(path, "prediction")
    with pytest.raises(ValueError, match="SVAG-Bench format"):
        load_svag({"datasets": [{"name": "OVIS"}], "x": 1} | {"datasets": [{"queries": 3}]}, "ground-truth")
