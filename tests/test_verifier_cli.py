"""`stag eval` / `python -m verifier`: each subcommand on real files, against TrackEval for `hota`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from verifier.cli import main
from verifier.svageval import SUBSETS

ROOT = Path(__file__).resolve().parents[1]
KEYS = ["HOTA", "DetA", "AssA", "DetRe", "DetPr", "AssRe", "AssPr", "LocA"]


def run(capsys, *argv: str) -> tuple[int, dict | None, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def _write_mot(rng: np.random.Generator, root: Path, seq: str, n_frames: int, with_classes: bool) -> None:
    gt_lines, pred_lines = [], []
    for g in range(1, 9):
        cls = int(rng.choice([1, 1, 1, 1, 2, 7, 8, 12])) if with_classes else 1
        x, y, w, h = *rng.uniform(0, 400, 2), *rng.uniform(20, 60, 2)
        for f in range(1, n_frames + 1):
            if rng.random() < 0.1:
                continue
            conf = 0 if rng.random() < 0.05 else 1
            gt_lines.append(f"{f},{g},{x + f:.2f},{y:.2f},{w:.2f},{h:.2f},{conf},{cls},1.0")
            if rng.random() < 0.85:
                pid = g if f < n_frames // 2 else g + 20
                pred_lines.append(f"{f},{pid},{x + f + rng.normal(0, 2):.2f},{y + rng.normal(0, 2):.2f},"
                                  f"{w:.2f},{h:.2f},0.9,-1,-1,-1")
    for f in range(1, n_frames + 1, 3):
        pred_lines.append(f"{f},99,{rng.uniform(0, 400):.2f},{rng.uniform(0, 400):.2f},30,30,0.5,-1,-1,-1")
    (root / "gt" / seq / "gt").mkdir(parents=True)
    (root / "gt" / seq / "gt" / "gt.txt").write_text("\n".join(gt_lines) + "\n")
    (root / "trackers" / "t" / "data").mkdir(parents=True, exist_ok=True)
    (root / "trackers" / "t" / "data" / f"{seq}.txt").write_text("\n".join(pred_lines) + "\n")


def _trackeval(root: Path, seq_lengths: dict[str, int], preprocess: bool) -> dict:
    trackeval = pytest.importorskip("trackeval")
    dataset = trackeval.datasets.MotChallenge2DBox({
        "GT_FOLDER": str(root / "gt"), "TRACKERS_FOLDER": str(root / "trackers"), "TRACKERS_TO_EVAL": ["t"],
        "SKIP_SPLIT_FOL": True, "SEQ_INFO": dict(seq_lengths), "BENCHMARK": "MOT17", "DO_PREPROC": preprocess,
        "PRINT_CONFIG": False, "OUTPUT_FOLDER": str(root / "te_out")})
    evaluator = trackeval.Evaluator({"PRINT_RESULTS": False, "PRINT_CONFIG": False, "TIME_PROGRESS": False,
                                     "OUTPUT_SUMMARY": False, "OUTPUT_DETAILED": False, "PLOT_CURVES": False,
                                     "LOG_ON_ERROR": str(root / "te_errors.txt")})
    res, _ = evaluator.evaluate([dataset], [trackeval.metrics.HOTA()])
    return res["MotChallenge2DBox"]["t"]


@pytest.mark.parametrize("preprocess", ["none", "MOT17"])
def test_hota_command_equals_trackeval_run_on_the_same_files(tmp_path, capsys, preprocess):
    rng = np.random.default_rng(5 if preprocess == "none" else 6)
    lengths = {"seq-a": 40, "seq-b": 25, "seq-c": 30}
    for seq, n in lengths.items():
        _write_mot(rng, tmp_path, seq, n, with_classes=preprocess != "none")
    ref = _trackeval(tmp_path, lengths, preprocess != "none")
    capsys.readouterr()                         # TrackEval prints its progress
    code, out, err = run(capsys, "hota", "--gt", str(tmp_path / "gt"), "--pred", str(tmp_path / "trackers/t/data"),
                         "--preprocess", preprocess)
    assert code == 0, err
    for name, ours in [("COMBINED_SEQ", out["combined"])] + [(s, out["sequences"][s]) for s in lengths]:
        theirs = ref[name]["pedestrian"]["HOTA"]
        assert list(ours) == KEYS
        for key in KEYS:
            assert ours[key] == pytest.approx(float(np.mean(theirs[key])), abs=1e-9), (name, key)


def test_hota_command_flat_layout_missing_prediction_and_errors(tmp_path, capsys):
    gt, pred = tmp_path / "gt", tmp_path / "pred"
    gt.mkdir()
    pred.mkdir()
    (gt / "a.txt").write_text("1,1,10,10,20,20,1,1,1\n2,1,11,10,20,20,1,1,1\n")
    (gt / "b.txt").write_text("1,5,10,10,20,20,1,1,1\n")
    (pred / "a.txt").write_text("1 1 10 10 20 20 1 -1 -1 -1\n2 1 11 10 20 20 1 -1 -1 -1\n")
    code, out, _ = run(capsys, "hota", "--gt", str(gt), "--pred", str(pred))
    assert code == 0
    assert out["sequences"]["a"]["HOTA"] == pytest.approx(1.0) and out["sequences"]["b"]["HOTA"] == 0.0
    assert out["combined"]["DetRe"] == pytest.approx(2 / 3)
    (pred / "b.txt").write_text("1,5,10,10,20\n")
    code, out, err = run(capsys, "hota", "--gt", str(gt), "--pred", str(pred))
    assert code == 1 and out is None and f"{pred / 'b.txt'}, line 1" in err
    (pred / "b.txt").write_text("1,5,10,10,20,20,1\n1,5,0,0,5,5,1\n")
    code, _, err = run(capsys, "hota", "--gt", str(gt), "--pred", str(pred))
    assert code == 1 and "id 5 appears more than once in frame 1" in err
    code, _, err = run(capsys, "hota", "--gt", str(tmp_path / "nope"), "--pred", str(pred))
    assert code == 1 and "does not exist" in err


def test_mr_command(tmp_path, capsys):
    gt = tmp_path / "gt.jsonl"
    pred = tmp_path / "pred.jsonl"
    gt.write_text('{"qid": 1, "relevant_windows": [[0, 10]]}\n\n{"qid": 2, "relevant_windows": [[20, 30], [40, 50]]}\n')
    pred.write_text('{"qid": 1, "pred_relevant_windows": [[0, 10, 0.9]]}\n'
                    '{"qid": 2, "pred_relevant_windows": [[40, 48, 0.8], [20, 30, 0.7]]}\n')
    code, out, _ = run(capsys, "mr", "--gt", str(gt), "--pred", str(pred))
    assert code == 0 and out == {"MR-full-R1@0.5": 100.0, "MR-full-R1@0.7": 100.0, "MR-full-mAP": 88.75,
                                 "MR-full-mAP@0.5": 100.0, "MR-full-mAP@0.75": 100.0}
    pred.write_text('{"qid": 1, "pred_relevant_windows": [[0, 10, 0.9]]}\n{"qid": 2, oops}\n')
    code, out, err = run(capsys, "mr", "--gt", str(gt), "--pred", str(pred))
    assert code == 1 and out is None and f"{pred}, line 2" in err
    pred.write_text('{"qid": 1, "pred_relevant_windows": [[0, 10, 0.9]]}\n')
    code, _, err = run(capsys, "mr", "--gt", str(gt), "--pred", str(pred))
    assert code == 1 and "qids differ" in err


def test_stvg_command_single_and_multi_referent(tmp_path, capsys):
    gt = tmp_path / "gt.json"
    gt.write_text(json.dumps({"width": 640, "height": 360, "interval": [2, 5],
                              "boxes": {str(k): [64, 36, 128, 108] for k in range(2, 6)}}))
    comp = tmp_path / "completion.txt"
    comp.write_text('<think>the man on the left</think><answer>```json\n'
                    + json.dumps({str(k): [{"label": "man-1", "bbox_2d": [100, 100, 200, 300]},
                                           {"label": "car-2", "bbox_2d": [0, 0, 50, 50]}] if k == 3 else
                                  [{"label": "man-1", "bbox_2d": [100, 100, 200, 300]}] for k in range(3, 7)})
                    + "\n```</answer>")
    code, out, _ = run(capsys, "stvg", "--gt", str(gt), "--pred", str(comp))
    assert code == 0 and set(out) == {"tIoU", "mvIoU", "vIoU", "reward"}
    assert out["tIoU"] == pytest.approx(3 / 5) and out["mvIoU"] == pytest.approx(1.0)
    assert out["vIoU"] == pytest.approx(3 / 5) and out["reward"] == pytest.approx(1.6)
    code, out, _ = run(capsys, "stvg", "--gt", str(gt), "--pred", str(comp), "--coords", "pixels", "--w-t", "0.5")
    assert out["mvIoU"] < 0.2 and out["reward"] == pytest.approx(0.5 * 0.6 + out["mvIoU"])

    multi = tmp_path / "multi.json"
    multi.write_text(json.dumps({"width": 640, "height": 360, "referents": [
        {"id": 4, "interval": [3, 6], "boxes": {str(k): [64, 36, 128, 108] for k in range(3, 7)}},
        {"id": 8, "interval": [0, 1], "boxes": {"0": [0, 0, 32, 18], "1": [0, 0, 32, 18]}}]}))
    code, out, _ = run(capsys, "stvg", "--gt", str(multi), "--pred", str(comp))
    assert code == 0 and out["tIoU"] == pytest.approx((1.0 + 0.0) / 2)
    assert [(r["id"], r["label"]) for r in out["referents"]] == [(4, "man-1"), (8, "car-2")]
    assert 0 < out["HOTA"] < 1

    comp.write_text("I could not find him.")
    code, out, err = run(capsys, "stvg", "--gt", str(gt), "--pred", str(comp))
    assert code == 0 and out == {"tIoU": 0.0, "mvIoU": 0.0, "vIoU": 0.0, "reward": 0.0}
    assert "no JSON object" in err


@pytest.mark.parametrize("content,message", [
    ("{", "not valid JSON"),
    ('{"width": 640, "height": 360}', "needs 'interval' and 'boxes'"),
    ('{"width": 640, "height": 360, "interval": [5, 2], "boxes": {}}', "interval must be 0 <= start <= end"),
    ('{"width": 640, "height": 360, "interval": [0, 2], "boxes": {"7": [0, 0, 1, 1]}}', "outside interval"),
    ('{"width": 640, "height": 360, "interval": [0, 2], "boxes": {"1": [0, 0, 1]}}', "must be [x1, y1, x2, y2]"),
    ('{"width": -1, "height": 360, "interval": [0, 2], "boxes": {}}', "width"),
])
def test_stvg_command_rejects_malformed_ground_truth(tmp_path, capsys, content, message):
    gt = tmp_path / "gt.json"
    gt.write_text(content)
    comp = tmp_path / "c.txt"
    comp.write_text("{}")
    code, out, err = run(capsys, "stvg", "--gt", str(gt), "--pred", str(comp))
    assert code == 1 and out is None and str(gt) in err and message in err


def test_svageval_command(tmp_path, capsys):
    track = {"track_id": 1, "spatial": [[0, 0, 10, 10], [1, 0, 10, 10], None], "temporal": [[1, 2]]}
    q = {"query_id": 1, "query": "A fish swims", "video_id": 1, "video_name": "v1", "video_length": 3, "tracks": [track]}
    gt = tmp_path / "gt.json"
    gt.write_text(json.dumps({"datasets": [{"name": n, "queries": [q]} for n in SUBSETS]}))
    sub = tmp_path / "submission.json"
    sub.write_text(json.dumps({"datasets": [{"name": n, "queries": [dict(q, tracks=[dict(track, temporal=[[0, 2, 0.8]])])]}
                                            for n in SUBSETS]}))
    code, out, _ = run(capsys, "svageval", "--gt", str(gt), "--pred", str(sub))
    assert code == 0 and list(out) == ["OVIS", "MOT17", "MOT20", "average"]
    assert out["average"]["m-HIoU"] == 100.0 and out["MOT20"]["R10@0.5"] == 100.0
    sub.write_text(json.dumps({"datasets": []}))
    code, _, err = run(capsys, "svageval", "--gt", str(gt), "--pred", str(sub))
    assert code == 1 and f"prediction file {sub} lacks the subset" in err


def test_usage_errors_and_module_entry_points(tmp_path, capsys):
    assert main([]) == 2
    assert main(["hota", "--gt", "x"]) == 2
    assert main(["--help"]) == 0
    capsys.readouterr()
    gt = tmp_path / "gt.json"
    gt.write_text('{"width": 10, "height": 10, "interval": [0, 0], "boxes": {"0": [0, 0, 5, 5]}}')
    comp = tmp_path / "c.txt"
    comp.write_text('{"0": [[0, 0, 5, 5]]}')
    for cmd in ([sys.executable, "-m", "verifier"], [sys.executable, "-m", "agent.cli", "eval"]):
        done = subprocess.run(cmd + ["stvg", "--gt", str(gt), "--pred", str(comp), "--coords", "pixels"],
                              cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["reward"] == 2.0
