"""Score tracks against a synthetic video's exact per-frame ground truth (all visible people).

Three numbers, all from the verifier:

- ``hota``: HOTA at the sampled instants (GT = every visible person at each sampled frame);
- ``viou``: frame-level vIoU of GT-matched tracks after interpolating them to every frame
  (:func:`verifier.interpolate.frame_boxes`): per GT person, the sum of per-frame IoU over the
  frames both have, divided by the union of their frame spans (0 when unmatched); mean over people;
- ``sample_miou`` / ``frame_miou``: mean IoU of matched pairs at the sampled frames vs at every frame
  of the same spans (how much interpolation between samples loses).

People are matched to tracks one-to-one (Hungarian) on the summed IoU at the sampled frames.

>>> gt = {1: {f: (10.0 + f, 0.0, 50.0 + f, 80.0) for f in range(0, 61)}}
>>> tracks = {7: {0: (10.0, 0.0, 50.0, 80.0), 1: (40.0, 0.0, 80.0, 80.0), 2: (70.0, 0.0, 110.0, 80.0)}}
>>> s = score_tracks(gt, tracks, sample_fps=1.0, fps=30.0, frame_count=61)
>>> round(s.hota.HOTA, 3), round(s.viou, 3), s.matched
(1.0, 1.0, 1)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from verifier.boxes import paired_iou
from verifier.hota import HotaResult, hota
from verifier.interpolate import frame_boxes
from verifier.result import Box
from verifier.timebase import sample_frames

FrameGT = dict[int, dict[int, Box]]
"""person id -> frame -> box."""


def load_frame_gt(path: str | Path) -> FrameGT:
    """Read a ``gt/<video>.frames.json`` file as person id -> frame -> box."""
    data = json.loads(Path(path).read_text())
    out: FrameGT = {}
    for a in data["actors"]:
        out[int(a["id"])] = {int(a["first_frame"]) + i: tuple(float(v) for v in b)  # type: ignore[misc]
                             for i, b in enumerate(a["boxes"]) if b is not None}
    return out


@dataclass(frozen=True)
class TrackScores:
    """Quality of one video's tracks (see module docs)."""

    hota: HotaResult
    viou: float
    sample_miou: float
    frame_miou: float
    matched: int
    people: int


def _iou_sum(gt: Mapping[int, Box], pred: Mapping[int, Box], frames: list[int]) -> float:
    common = [f for f in frames if f in gt and f in pred]
    if not common:
        return 0.0
    return float(paired_iou(np.array([gt[f] for f in common]), np.array([pred[f] for f in common])).sum())


def score_tracks(gt: FrameGT, tracks: Mapping[int, Mapping[int, Box]], *, sample_fps: float, fps: float,
                 frame_count: int) -> TrackScores:
    """Score ``tracks`` (track id -> sample index -> box) against ``gt`` (see module docs)."""
    samples = sample_frames(frame_count, fps, sample_fps)
    frame_of_sample = dict(enumerate(samples))
    pred_at = {tid: {frame_of_sample[i]: b for i, b in boxes.items() if i in frame_of_sample}
               for tid, boxes in tracks.items()}
    gt_frames = {k: {pid: boxes[f] for pid, boxes in gt.items() if f in boxes} for k, f in enumerate(samples)}
    pr_frames = {k: {tid: boxes[f] for tid, boxes in pred_at.items() if f in boxes} for k, f in enumerate(samples)}
    h = hota(gt_frames, pr_frames)

    pids, tids = sorted(gt), sorted(tracks)
    pairs: list[tuple[int, int]] = []
    if pids and tids:
        score = np.array([[_iou_sum(gt[p], pred_at[t], samples) for t in tids] for p in pids])
        rows, cols = linear_sum_assignment(-score)
        pairs = [(pids[r], tids[c]) for r, c in zip(rows, cols) if score[r, c] > 0]
    vious = {p: 0.0 for p in pids}
    s_sum = s_n = f_sum = f_n = 0.0
    for p, t in pairs:
        dense = frame_boxes(tracks[t], fps, frame_count, sample_fps)
        g = gt[p]
        union = len(set(g) | set(dense))
        inter = sorted(set(g) & set(dense))
        vious[p] = _iou_sum(g, dense, inter) / union if union else 0.0
        on_samples = [f for f in inter if f in pred_at[t]]
        s_sum += _iou_sum(g, dense, on_samples)
        s_n += len(on_samples)
        f_sum += _iou_sum(g, dense, inter)
        f_n += len(inter)
    return TrackScores(
        hota=h, viou=float(np.mean(list(vious.values()))) if vious else 0.0,
        sample_miou=s_sum / s_n if s_n else 0.0, frame_miou=f_sum / f_n if f_n else 0.0,
        matched=len(pairs), people=len(pids),
    )
