"""Perception throughput per detector, and ID switches at 1 FPS with and without the appearance cue.

Part 1: ``perceive`` (sample at 1 FPS -> detect -> track) over the real 60 s film, once per
detector: seconds of video processed per wall-second, and where the time goes.

Part 2: ID switches on the real film. The film has no ground-truth ids, so the reference is
ByteTrack run at ``--reference-fps`` (10 by default) samples per second, where boxes of one object
overlap from sample to sample and IoU association is reliable. The 1-FPS trackers get the very
same detections at the 1-FPS frames (a subset of the reference's frames), so only association
differs. Reported against the reference (its boxes at whole seconds): CLEAR-MOT ID switches at
IoU 0.5, HOTA / AssA (verifier), and the number of tracks. Part 3 does the same against the
exact ground truth of synthetic videos when ``tools.synth`` can generate them.

    .venv/bin/python bench/tools_throughput.py [--detectors coco,person,coco+person] [--skip-ids]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.offline import apply_offline_env  # noqa: E402

apply_offline_env()

from tools.assets import asset_path  # noqa: E402
from tools.detect import DEFAULT_DETECTOR, load_detector  # noqa: E402
from tools.perceive import perceive  # noqa: E402
from tools.track import Track, TrackerConfig, track  # noqa: E402
from tools.video import iter_samples, probe  # noqa: E402
from verifier.boxes import box_iou  # noqa: E402
from verifier.hota import hota  # noqa: E402

FrameBoxes = Mapping[int, Mapping[int, Sequence[float]]]


def id_switches(gt: FrameBoxes, pred: FrameBoxes, threshold: float = 0.5) -> int:
    """CLEAR-MOT identity switches: a ground-truth object matched to a different id than last time.

    Matches of the previous frame are kept while their IoU stays >= ``threshold``; the rest are
    assigned by the Hungarian method on IoU.
    """
    last: dict[int, int] = {}
    switches = 0
    for f in sorted(gt):
        g, p = gt[f], pred.get(f, {})
        match = {gid: pid for gid, pid in last.items()
                 if gid in g and pid in p and box_iou(g[gid], p[pid]) >= threshold}
        free_g = [gid for gid in g if gid not in match]
        free_p = [pid for pid in p if pid not in match.values()]
        if free_g and free_p:
            iou = np.array([[box_iou(g[a], p[b]) for b in free_p] for a in free_g])
            rows, cols = linear_sum_assignment(-iou)
            for r, c in zip(rows, cols):
                if iou[r, c] >= threshold:
                    gid, pid = free_g[r], free_p[c]
                    if gid in last and last[gid] != pid:
                        switches += 1
                    match[gid] = pid
        last.update(match)
    return switches


def frames_of(tracks: Sequence[Track], step: int = 1) -> dict[int, dict[int, tuple[float, ...]]]:
    """``{sample // step: {track id: box}}`` for samples that are multiples of ``step``."""
    out: dict[int, dict[int, tuple[float, ...]]] = {}
    for t in tracks:
        for k, b in t.boxes.items():
            if k % step == 0:
                out.setdefault(k // step, {})[t.id] = b
    return out


def throughput(detectors: list[str]) -> None:
    film = asset_path("sample_video")
    seconds = probe(film).duration
    print("## Throughput: perceive() on the real film at 1 FPS (61 samples of a 60.03 s video)\n")
    print("| detector | wall s | video s per wall s | decode s | detect s | track s | load s | tracks |")
    print("|---|---|---|---|---|---|---|---|")
    for spec in detectors:
        t0 = time.perf_counter()
        p = perceive(film, detector=spec)
        wall = time.perf_counter() - t0
        tm = p.timings
        print(f"| {spec} | {wall:.1f} | {seconds / wall:.2f} | {tm['decode']:.1f} | {tm['detect']:.1f} | "
              f"{tm['track']:.2f} | {tm['load']:.1f} | {len(p.tracks)} |")


def compare(name: str, gt: FrameBoxes, dets, images, configs: dict[str, TrackerConfig]) -> None:
    for label, cfg in configs.items():
        tracks = track(dets, sample_fps=1.0, config=cfg, images=images)
        pred = frames_of(tracks)
        res = hota({f: dict(v) for f, v in gt.items()}, pred)
        print(f"| {name} | {label} | {id_switches(gt, pred)} | {res.HOTA:.3f} | {res.AssA:.3f} | "
              f"{res.DetA:.3f} | {len(tracks)} |")


def real_film_ids(reference_fps: int, spec: str) -> None:
    film = asset_path("sample_video")
    det = load_detector(spec, conf=TrackerConfig().low_thresh)
    t0 = time.perf_counter()
    dets, images = [], {}
    batch = []
    for s in iter_samples(film, sample_fps=reference_fps):
        batch.append(s)
        if s.index % reference_fps == 0:
            images[s.index // reference_fps] = s.image
        if len(batch) == 8:
            dets += det.detect([b.image for b in batch])
            batch = []
    if batch:
        dets += det.detect([b.image for b in batch])
    ref_cfg = TrackerConfig(appearance=False, lost_buffer_s=1.0, min_seen_s=1.0)
    reference = track(dets, sample_fps=reference_fps, config=ref_cfg)
    gt = frames_of(reference, step=reference_fps)
    n = len(images)
    one_fps = [dets[k * reference_fps] for k in range(n)]
    print(f"\n## ID switches on the real film ({spec} detections; reference: ByteTrack at {reference_fps} "
          f"samples/s, {len(reference)} tracks; {time.perf_counter() - t0:.0f} s)\n")
    print("| data | tracker at 1 FPS | ID switches | HOTA | AssA | DetA | tracks |")
    print("|---|---|---|---|---|---|---|")
    compare("real film", gt, one_fps, [images[k] for k in range(n)], {
        "ByteTrack (IoU only)": TrackerConfig(appearance=False),
        "ByteTrack + appearance cue": TrackerConfig(),
    })


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--detectors", default="coco,person,coco+person")
    ap.add_argument("--id-detector", default=DEFAULT_DETECTOR, help="detector for the ID-switch comparison")
    ap.add_argument("--reference-fps", type=int, default=10)
    ap.add_argument("--skip-throughput", action="store_true")
    ap.add_argument("--skip-ids", action="store_true")
    args = ap.parse_args(argv)
    if not args.skip_throughput:
        throughput(args.detectors.split(","))
    if not args.skip_ids:
        real_film_ids(args.reference_fps, args.id_detector)
    print("\nCommand: .venv/bin/python bench/tools_throughput.py " + " ".join(argv or sys.argv[1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
