"""tools.smooth.smooth_boxes against scipy's filters on real 1-FPS tracks of the synthetic benchmark.

    .venv/bin/python bench/smooth_compare.py [--bench DIR] [--videos N]

Each track (4+ seconds) of ``tools.perceive`` (detector coco+person, no densification) is matched to
the true person it overlaps most; printed: the mean IoU with the true box at the sampled seconds of
the raw boxes, of ``smooth_boxes``, and of scipy's ``savgol_filter`` (window 5, order 1: a local line
like ours, but uniform weights) and ``gaussian_filter1d`` (sigma 1 s), both run on each run of
consecutive seconds (they assume uniform sampling; ``smooth_boxes`` does not).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.offline import apply_offline_env

apply_offline_env()

from scipy.ndimage import gaussian_filter1d
from scipy.signal import savgol_filter

from stagdata.synth import SynthManifest, generate
from stagdata.synth.scoring import load_frame_gt
from tools.detect import load_detector
from tools.perceive import perceive
from tools.smooth import _to_box, _to_state, smooth_boxes
from verifier.boxes import box_iou
from verifier.timebase import sample_frames


def scipy_smooth(boxes: dict, kind: str) -> dict:
    """``savgol`` or ``gauss`` over each run of consecutive seconds, in smooth_boxes' state (centre, log size)."""
    keys, st = _to_state(boxes)
    runs: list[list[int]] = [[0]]
    for i in range(1, len(keys)):
        runs[-1].append(i) if keys[i] == keys[i - 1] + 1 else runs.append([i])
    out = {}
    for r in runs:
        s = st[r]
        if kind == "savgol" and len(r) >= 5:
            s = savgol_filter(s, 5, 1, axis=0, mode="interp")
        elif kind == "gauss" and len(r) >= 2:
            s = gaussian_filter1d(s, 1.0, axis=0, mode="nearest")
        out.update({int(keys[k]): _to_box(s[i]) for i, k in enumerate(r)})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", default=str(Path(__file__).resolve().parent / "results" / "synth-bench"))
    ap.add_argument("--videos", type=int)
    args = ap.parse_args(argv)
    path = Path(args.bench)
    manifest = SynthManifest.load(path) if (path / "manifest.json").is_file() else generate("bench", path, seed=0)
    videos = manifest.videos[: args.videos] if args.videos else manifest.videos
    detector = load_detector("coco+person", conf=0.1, classes=["person"])
    res: dict[str, list[float]] = {"raw": [], "tools.smooth": [], "scipy savgol(5,1)": [], "scipy gaussian(1)": []}
    for v in videos:
        p = perceive(manifest.path(v.path), detector=detector, classes=["person"], densify=0)
        gt = load_frame_gt(manifest.path(v.frames_gt))
        frames = sample_frames(v.frame_count, v.fps, 1.0)
        for t in p.tracks:
            if len(t.boxes) < 4:
                continue
            best = max(gt, key=lambda g: sum(box_iou(t.boxes[k], gt[g][frames[k]]) for k in t.boxes
                                             if frames[k] in gt[g]))
            for name, b in (("raw", t.boxes), ("tools.smooth", smooth_boxes(t.boxes)),
                            ("scipy savgol(5,1)", scipy_smooth(t.boxes, "savgol")),
                            ("scipy gaussian(1)", scipy_smooth(t.boxes, "gauss"))):
                res[name] += [box_iou(b[k], gt[best][frames[k]]) for k in t.boxes if frames[k] in gt[best]]
    print(f"# python bench/smooth_compare.py {' '.join(argv if argv is not None else sys.argv[1:])}")
    for name, r in res.items():
        print(f"{name:<18} mean IoU with the true box {np.mean(r):.3f} (n={len(r)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
