"""The official frame-level protocol, checked against an independent re-implementation of the evaluators.

Predictions are made here from the ground truth (shifted in time, boxes moved, some missing, some
with a second, lower-scoring referent), written to ``predictions_official.json``'s layout, and
re-scored by the formula of HC-STVG's official ``eval_hcvg.py`` (github.com/tzhhhh123/HC-STVG),
written below from its definition and reading the annotation file directly, not through the loaders.
"""

from __future__ import annotations

import doctest
import importlib
import json
import random
from pathlib import Path

import numpy as np
import pytest

from evaluation.outputs import metrics, official_predictions, write_report
from evaluation.protocol import frame_scores, tubedetr_scores
from evaluation.runner import Prediction, PredictionLog, group_by_video, share
from stagdata.convert import to_hcstvg, to_svag, to_vidstg
from stagdata.load import load_samples
from stagdata.sample import Sample
from stagdata.synth import ActCue, SynthConfig, generate
from verifier.groundtruth import FrameTube
from verifier.result import GroundingResult, Referent, VideoInfo

TINY = SynthConfig(name="tiny", videos=2, duration=4.0,
                   programs=[[ActCue(act="meet", at=0.0)], [ActCue(act="cross", at=0.0)]])


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tiny")
    generate(TINY, root, seed=3)
    return root


# -- the official evaluator, re-implemented from eval_hcvg.py ------------------------------------

def _iou(a, b) -> float:
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])
    x1, y1, x2, y2 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    if x1 >= x2 or y1 >= y2:
        return 0
    inter = (x2 - x1) * (y2 - y1)
    return inter / (area - inter)


def hcvg_eval(pred: dict, gt: dict) -> list[float]:
    """[m_vIoU, m_tIoU, vIoU@0.3, vIoU@0.5] exactly as eval_hcvg.py computes them."""
    vious, tious = [], []
    for video, g in gt.items():
        if video not in pred:
            viou = tiou = 0
        else:
            p = pred[video]
            ious = [_iou(p["bbox"][f], g["bbox"][f]) for f in g["bbox"] if f in p["bbox"]]
            all_frame = max(g["ed_frame"], p["ed_frame"]) - min(g["st_frame"], p["st_frame"]) + 1
            viou, tiou = sum(ious) / all_frame, len(ious) / all_frame
        vious.append(viou)
        tious.append(tiou)
    v = np.array(vious)
    return [np.mean(v), np.mean(tious), np.mean((v > 0.3) + 0), np.mean((v > 0.5) + 0)]


def _hcstvg_gt(path: Path) -> dict:
    out = {}
    for video, a in json.loads(path.read_text()).items():
        out[video] = {"st_frame": a["st_frame"], "ed_frame": a["st_frame"] + len(a["bbox"]) - 1,
                      "bbox": {str(a["st_frame"] + i): [x, y, x + w, y + h] for i, (x, y, w, h) in enumerate(a["bbox"])}}
    return out


def _fake_predictions(samples: list[Sample], seed: int = 0) -> dict[str, Prediction]:
    """Ground truth moved about: shifted seconds, jittered boxes, a decoy referent, some missing."""
    rng = random.Random(seed)
    out = {}
    for i, s in enumerate(samples):
        if i % 5 == 4:
            continue                                  # no prediction at all
        refs = []
        for j, r in enumerate(s.referents):
            shift = rng.choice([-1, 0, 0, 1, 2])
            boxes = {}
            for k, b in r.boxes.items():
                if k + shift < 0:
                    continue
                d = rng.uniform(-15, 15)
                boxes[k + shift] = (b[0] + d, b[1], b[2] + d, b[3] + rng.uniform(-10, 10))
            if boxes:
                refs.append(Referent(id=10 + j, label="person", interval=(min(boxes), max(boxes)), boxes=boxes,
                                     score=0.9 - 0.1 * j))
        if i % 3 == 0 and refs:                       # a lower-scoring decoy the official file must not use
            refs.append(Referent(id=99, label="person", interval=(0, 1), boxes={0: (0, 0, 5, 5), 1: (0, 0, 5, 5)},
                                 score=0.5))
        video = VideoInfo(path=s.video, width=s.width, height=s.height, fps=s.fps, frame_count=s.frame_count,
                          duration=s.frame_count / s.fps)
        out[s.sample_id] = Prediction(sample_id=s.sample_id, query=s.query, video=s.video,
                                      result=GroundingResult(query=s.query, video=video, referents=refs))
    return out


def test_hcstvg_official_metrics_equal_the_official_formula(bench: Path, tmp_path: Path) -> None:
    path = to_hcstvg(bench, tmp_path)
    samples = load_samples("hcstvg-v2", path, tmp_path / "videos")
    preds = _fake_predictions(samples)
    official = official_predictions(samples, preds)
    assert 0 < len(official) <= len(preds) < len(samples)     # a tube pushed past the end has no frames
    first = next(iter(official.values()))
    assert set(first) == {"st_frame", "ed_frame", "bbox"} and all(k.isdigit() for k in first["bbox"])
    m, rows = metrics(samples, preds, official=official)
    # the file is re-read as JSON (string frame keys), as a user would feed it to the official code
    ref = hcvg_eval(json.loads(json.dumps(official)), _hcstvg_gt(path))
    assert [m["m_vIoU"], m["m_tIoU"], m["vIoU@0.3"], m["vIoU@0.5"]] == pytest.approx(ref, abs=1e-9)
    assert 0.05 < m["m_vIoU"] < m["m_tIoU"] < 1.0            # a real spread, not all 0 or 1
    assert m["second_level"]["m_tIoU"] > 0 and "HOTA" in m["second_level"]
    write_report(tmp_path, m, rows)
    report = (tmp_path / "report.md").read_text()
    assert "Worst" in report and (tmp_path / "hist.png").stat().st_size > 1000 and (tmp_path / "by_kind.png").exists()


def test_vidstg_official_metrics_equal_the_formula_per_query(bench: Path, tmp_path: Path) -> None:
    path = to_vidstg(bench, tmp_path)
    samples = load_samples("vidstg", path, tmp_path / "videos")
    preds = _fake_predictions(samples, seed=1)
    official = official_predictions(samples, preds)
    records = json.loads(path.read_text())
    gt = {}
    for s in samples:                                  # GT straight from the records (VidOR boxes, end exclusive)
        rec = records[s.meta["record"]]
        tid, b0, b1 = s.meta["target_id"], rec["temporal_gt"]["begin_fid"], rec["temporal_gt"]["end_fid"]
        boxes = {str(f): [o["bbox"]["xmin"], o["bbox"]["ymin"], o["bbox"]["xmax"], o["bbox"]["ymax"]]
                 for f in range(b0, b1) for o in rec["trajectories"][f] if o["tid"] == tid}
        gt[s.sample_id] = {"st_frame": b0, "ed_frame": b1 - 1, "bbox": boxes}
    m, _ = metrics(samples, preds, official=official)
    ref = hcvg_eval(json.loads(json.dumps(official)), gt)
    assert [m["m_vIoU"], m["m_tIoU"], m["vIoU@0.3"], m["vIoU@0.5"]] == pytest.approx(ref, abs=1e-9)
    assert set(m["by_kind"]) == {"declarative", "interrogative"}


def test_svag_metrics_and_submission(bench: Path, tmp_path: Path) -> None:
    path = to_svag(bench, tmp_path)
    samples = load_samples("svag", path, tmp_path / "videos")
    preds = _fake_predictions(samples, seed=2)
    official = official_predictions(samples, preds)
    assert {d["name"] for d in official["datasets"]} == {"OVIS", "MOT17", "MOT20"}
    m, _ = metrics(samples, preds, official=official, svag_gt=path)
    assert 0 < m["svag"]["average"]["m-HIoU"] < 100 and 0 < m["second_level"]["HOTA"] < 1


def test_perfect_and_empty_predictions() -> None:
    tube = FrameTube(id=1, boxes={f: (0.0, 0.0, 10.0, 10.0) for f in range(30, 90)}, windows=[(30, 89)])
    s = Sample.build(sample_id="a", dataset="hcstvg-v2", video="v.mp4", query="q", kind="person", fps=30.0,
                     frame_count=120, width=64, height=48, frame_base=1, tubes=[tube])
    v = VideoInfo(path="v.mp4", width=64, height=48, fps=30.0, frame_count=120, duration=4.0)
    perfect = GroundingResult(query="q", video=v, referents=[Referent(id=1, label="p", interval=(1, 2),
                                                                      boxes={1: tube.boxes[30], 2: tube.boxes[60]})])
    assert frame_scores(perfect, s) == (1.0, 1.0)
    assert frame_scores(None, s) == (0.0, 0.0)
    assert frame_scores(perfect.model_copy(update={"referents": []}), s) == (0.0, 0.0)
    # TubeDETR reads st_frame (31) as a 0-based index with an exclusive end: one frame off, 5 fps
    t, vi = tubedetr_scores({f: (0.0, 0.0, 10.0, 10.0) for f in range(30, 90)}, s)
    assert t == pytest.approx(59 / 61) and vi == pytest.approx(9 / 10)   # 5-fps frames 36..84 of 30..84


def test_prediction_log_drops_a_torn_line(tmp_path: Path) -> None:
    log = PredictionLog(tmp_path / "predictions.jsonl")
    log.append(Prediction(sample_id="1", query="q", video="v"))
    with log.path.open("a") as f:
        f.write('{"sample_id": "2", "que')           # killed mid-write
    assert list(log.load()) == ["1"]
    log.append(Prediction(sample_id="3", query="q", video="v"))
    assert list(log.load()) == ["1", "3"]


def test_videos_are_dealt_whole() -> None:
    mk = lambda i, v: Sample(sample_id=str(i), dataset="synth", video=f"/v/{v}.mp4", query="q", kind="single",
                             fps=30, frame_count=9, width=8, height=8)
    samples = [mk(i, v) for i, v in enumerate("aabbbcd")]
    queues = share(group_by_video(samples), 3)
    assert sorted(len(q) for q in queues) == [2, 2, 3]
    assert all(len({s.video for s in q}) <= 2 for q in queues)
    assert {s.video for q in queues for s in q if s.video.endswith("b.mp4")} and \
        sum(any(s.video.endswith("b.mp4") for s in q) for q in queues) == 1


@pytest.mark.parametrize("name", ["protocol", "outputs", "runner", "cli", "secondlevel"])
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(f"evaluation.{name}"))
    assert result.failed == 0 and result.attempted > 0
