"""The per-kind agent bench's bookkeeping and its two baselines (no detector, no agent: fast).

The bench itself (``bench/agent_bench.py``) runs the agent; here its summaries, the random-person
baseline (perfect boxes from the ground truth) and the script baseline's keyword rules are checked
on hand-made rows and tracks.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import script_baseline
from stagdata.synth import SynthConfig, generate
from stagdata.synth.scenes import ActCue
from verifier.groundtruth import GroundTruth


def _bench():
    spec = importlib.util.spec_from_file_location("agent_bench", ROOT / "bench" / "agent_bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _row(video: str, kind: str, form: str, n_gt: int, agent: tuple[float, float, int], frames: int) -> dict:
    return {"video": video, "duration": 10.0, "kind": kind, "form": form, "n_gt": n_gt, "text": "q",
            "agent": {"tIoU": agent[0], "mvIoU": agent[1], "n": agent[2], "seconds": 1.0,
                      "frames_detected": frames, "model_calls": 0}}


def test_summary_counts_errors_and_detector_rate_per_video_second() -> None:
    ab = _bench()
    rows = [_row("a", "walk", "plural", 2, (1.0, 0.5, 2), 12), _row("a", "stand", "one", 1, (0.0, 0.0, 3), 12),
            _row("b", "walk", "counted", 3, (0.5, 0.5, 3), 15)]
    s = ab.summary(rows, "agent")
    assert (s["n"], s["count_errors"]) == (3, 1)
    assert s["m_tIoU"] == pytest.approx(0.5) and s["m_mvIoU"] == pytest.approx(1 / 3)
    assert s["det_frames_per_s"] == pytest.approx((12 + 15) / 20.0)  # each video's pass counted once
    g = ab.groups(rows)
    assert [len(g[k]) for k in ("walk", "stand", "form:plural", "form:counted", "all")] == [2, 1, 1, 1, 3]
    text = ab.tables({"tune": rows, "heldout": rows[:1]}, ["agent"])
    assert "walk" in text and "heldout" in text and "run " not in text  # kinds without queries are left out
    md = ab.markdown({"tune": rows, "heldout": rows}, ["agent"])
    assert md.splitlines()[2].startswith("| walk | 2 | 0.750 | 0.500 | 0 |")


def test_random_person_has_perfect_boxes_over_a_whole_track(tmp_path: Path) -> None:
    ab = _bench()
    m = generate(SynthConfig(name="t", videos=1, duration=6.0, programs=[[ActCue(act="cross", at=0.0)]]), tmp_path)
    video = m.videos[0]
    ((iv, boxes),) = ab.random_person(m, video, "seed")
    q = next(q for q in video.queries if q.kind == "enter")  # the one person, whole track
    gt = GroundTruth.from_stvg(m.path(q.gt).read_text())
    t_iou, mv_iou, n = ab._score([(iv, boxes)], gt)
    assert (t_iou, mv_iou, n) == (1.0, 1.0, 1)


def test_script_rules_pick_by_keywords() -> None:
    h = 100.0
    walker = {k: (50.0 * k, 0.0, 50.0 * k + 40, h) for k in range(8)}  # 0.5 body heights / s to the right
    stander = {k: (300.0, 0.0, 340.0, h) for k in range(8)}
    runner = {k: (600.0 - 120.0 * k, 0.0, 640.0 - 120.0 * k, h) for k in range(5)}  # enters on the right
    follower = {k: (50.0 * k - 100.0, 0.0, 50.0 * k - 60, h) for k in range(2, 8)}  # one body height behind 1
    tracks = {1: walker, 2: stander, 3: runner, 4: follower}
    ids = lambda q: sorted(next(t for t, v in tracks.items() if v[min(b)] == b[min(b)]) for _, b in
                           script_baseline.answer(tracks, q, 640))
    assert ids("the men walking to the right") == [1, 4]
    assert ids("somebody trailing behind another pedestrian") == [4]
    assert ids("the man being followed") == [1]
    assert ids("somebody who stays put") == [2]
    assert ids("a guy jogging") == [3]
    assert ids("the man who comes in from the right") == [3]
    (iv, _), = script_baseline.answer(tracks, "the man standing still", 640)
    assert iv == (0, 7)
