"""The "40-line script" baseline: 1-FPS YOLOv3-tiny, ByteTrack tuned for 1 FPS, keyword rules.

What a competent user would write in an afternoon instead of using stag; the agent must beat it.
``perceive(video)`` tracks people once per video; ``answer(tracks, query, width)`` maps keywords to
rules on the tracks' per-second boxes and returns ``[(interval, {second: box})]``.

>>> answer({1: {0: (0, 0, 10, 40), 1: (20, 0, 30, 40), 2: (40, 0, 50, 40)}}, "someone walking right", 640)
[((0, 2), {0: (0, 0, 10, 40), 1: (20, 0, 30, 40), 2: (40, 0, 50, 40)})]
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

Box = tuple[float, float, float, float]
Tracks = dict[int, dict[int, Box]]


def perceive(video: str | Path) -> Tracks:
    """Person tracks (id -> second -> box): YOLOv3-tiny at 1 FPS, ByteTrack on boxes widened by 0.8 body
    heights each side (so a walker's boxes one second apart still overlap) and a loose IoU gate."""
    from ultralytics.engine.results import Boxes
    from ultralytics.trackers.byte_tracker import BYTETracker
    from ultralytics.utils import IterableSimpleNamespace

    from tools.detect import DarknetDetector
    from tools.video import iter_samples

    det = DarknetDetector(conf=0.15, classes=["person"], input_size=608)
    args = IterableSimpleNamespace(track_high_thresh=0.3, track_low_thresh=0.1, new_track_thresh=0.3,
                                   match_thresh=0.95, fuse_score=False, track_buffer=3)  # 1 FPS: loose IoU, 3 s
    bt, tracks = BYTETracker(args), {}
    for s in iter_samples(video, 1.0):
        d = det.detect([s.image])[0]
        pad = (d.xyxy[:, 3:4] - d.xyxy[:, 1:2]) * np.array([[-0.8, 0, 0.8, 0]])  # widen: boxes overlap 1 s apart
        rows = np.column_stack([d.xyxy + pad, d.confidence, np.zeros(len(d))]) if len(d) else np.zeros((0, 6))
        for *_, tid, _score, _cls, idx in bt.update(Boxes(rows, s.image.shape[:2])):
            tracks.setdefault(int(tid), {})[s.index] = tuple(float(v) for v in d.xyxy[int(idx)])
    return {k: v for k, v in tracks.items() if len(v) >= 2}


def _motion(t: dict[int, Box]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    secs = sorted(t)
    b = np.array([t[k] for k in secs], float)
    h = np.maximum(b[:, 3] - b[:, 1], 1.0)
    vx = np.gradient((b[:, 0] + b[:, 2]) / 2, secs) / h if len(secs) > 1 else np.zeros(1)  # body heights / s
    return np.array(secs), vx, np.gradient(np.log(h), secs) if len(secs) > 1 else np.zeros(1)


def answer(tracks: Tracks, query: str, width: int) -> list[tuple[tuple[int, int], dict[int, Box]]]:
    """Referents for ``query``: keyword rules over the tracks (whole track unless a state is asked)."""
    q, out = query.lower(), []
    has = lambda *words: any(re.search(rf"\b{w}", q) for w in words)
    side = "left" if has("left") else "right" if has("right") else None
    mot = {i: {int(k): ((t[k][0] + t[k][2]) / 2, t[k][3] - t[k][1], v) for k, v in zip(*_motion(t)[:2])}
           for i, t in tracks.items()}

    def pair(tid: int, test) -> np.ndarray:  # seconds in which another track is in relation test(gap in heights, v, v_other)
        me = mot[tid]
        return np.array([abs(me[k][2]) > 0.1 and any(test((o[k][0] - me[k][0]) / max(me[k][1], 1.0) * np.sign(me[k][2]),
                                                           me[k][2], o[k][2]) for j, o in mot.items() if j != tid and k in o)
                         for k in sorted(me)], bool)

    for tid, t in tracks.items():
        secs, vx, grow = _motion(t)
        first, last = t[secs[0]], t[secs[-1]]
        at = lambda b, s: b[0] < 0.15 * width if s == "left" else b[2] > 0.85 * width  # 1 FPS: near the edge
        mask = np.ones(len(secs), bool)  # seconds the rule holds
        if has("followed", "ahead of", "heels", "tailed", "behind them"):
            mask = pair(tid, lambda d, v, w: -2.5 <= d <= -0.5 and v * w > 0)
        elif has("follow", "behind", "trail", "tail"):
            mask = pair(tid, lambda d, v, w: 0.5 <= d <= 2.5 and v * w > 0)
        elif has("walks up", "walk up", "comes up", "goes over", "walk over", "approach", "meet", "each other"):
            mask = pair(tid, lambda d, v, w: 0 < d <= 3 and abs(w) < 0.1)
        elif has("together", "side by side", "next to", "group"):
            mask = pair(tid, lambda d, v, w: abs(d) <= 0.6 and v * w > 0)
        elif has("run", "jog", "sprint", "dash", "hurr"):
            mask = np.abs(vx) > 0.9
        elif has("stand", "still", "not moving", "motionless", "stays", "staying"):
            mask = np.abs(vx) < 0.1
        elif has("toward", "closer", "nearer", "our way", "approaching the camera"):
            mask = grow > 0.04
        elif has("away", "distance", "reced"):
            mask = grow < -0.04
        elif has("stop", "halt"):
            mask[:] = (np.abs(vx) < 0.1).any() and (np.abs(vx[:1]) > 0.2).any()
        elif has("turn", "back", "revers", "u-turn"):
            mask[:] = (vx > 0.2).any() and (vx < -0.2).any()
        elif has("enter", "come", "comes", "appear", "arriv", "show", "into view") and side:
            mask[:] = at(first, side)
        elif has("leav", "exit", "out of", "disappear", "depart", "vanish", "goes out") and side:
            mask[:] = at(last, side)
        elif has("cross", "across", "travers", "whole way") and side:
            src = re.search(r"from (?:the )?(left|right)", q)
            src = src.group(1) if src else "left" if side == "right" else "right"
            mask[:] = at(first, src) and at(last, "left" if src == "right" else "right")
        elif side:
            mask = vx > 0.1 if side == "right" else vx < -0.1
        elif not has("first", "earliest", "last", "final", "whoever"):
            mask = np.abs(vx) > 0.1  # "walking", "passes": the moving people
        if mask.sum() >= 1:
            on = secs[mask]
            out.append(((int(on[0]), int(on[-1])), {int(k): t[k] for k in secs if on[0] <= k <= on[-1]}))
    if has("first", "earliest", "last", "final") and out:
        out = [min(out, key=lambda r: r[0][0]) if has("first", "earliest") else max(out, key=lambda r: r[0][1])]
    return out
