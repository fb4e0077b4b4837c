"""Perception throughput per detector, and ID switches at 1 FPS: plain vs motion-tolerant IoU, ± appearance cue.

Part 1: ``perceive`` (sample at 1 FPS -> detect -> track) over the real 60 s film, once per
detector: seconds of video processed per wall-second, and where the time goes.

Part 2: ID switches on the real film. The film has no ground-truth ids, so the reference is
ByteTrack run at ``--reference-fps`` (10 by default) samples per second, where boxes of one object
overlap from sample to sample and IoU association is reliable. The 1-FPS trackers get the very
same detections at the 1-FPS frames (a subset of the reference's frames), so only association
differs. Reported against the reference (its boxes at whole seconds): CLEAR-MOT ID switches at
IoU 0.5, HOTA / AssA (verifier), and the number of tracks. Part 3 does the same against the
exact ground truth of a generated synthetic benchmark (``stagdata.synth``).

    .venv/bin/python bench/tools_throughput.py [--parts throughput,film-ids,synth-ids] [--synth small]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.offline import apply_offline_env

apply_offline_env()

from tools.assets import asset_path
from tools.detect import DEFAULT_DETECTOR, load_detector
from tools.perceive import perceive
from tools.track import TrackerConfig, track
from tools.track_metrics import frames_of, id_switches
from tools.video import iter_samples, probe
from verifier.hota import hota

CONFIGS = {
    "ByteTrack (plain IoU)": TrackerConfig(appearance=False, buffer_s=0),
    "plain IoU + appearance cue": TrackerConfig(buffer_s=0),
    "motion-tolerant IoU": TrackerConfig(appearance=False),
    "motion-tolerant IoU + appearance cue (default)": TrackerConfig(),
}
"""The 1-FPS trackers compared: ``buffer_s=0`` is ByteTrack's plain IoU association."""


def throughput(detectors: list[str]) -> None:
    film = asset_path("sample_video")
    seconds = probe(film).duration
    print("## Throughput: perceive() on the real film at 1 FPS (61 samples of a 60.03 s video)\n")
    print("CPU s counts every thread of this process; on a busy shared machine wall time exceeds CPU / cores.\n")
    print("| detector | wall s | video s per wall s | CPU s | video s per CPU s | decode s | detect s | track s "
          "| tracks |")
    print("|---|---|---|---|---|---|---|---|---|")
    for spec in detectors:
        t0, c0 = time.perf_counter(), time.process_time()
        p = perceive(film, detector=spec)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        tm = p.timings
        print(f"| {spec} | {wall:.1f} | {seconds / wall:.2f} | {cpu:.1f} | {seconds / cpu:.2f} | {tm['decode']:.1f} "
              f"| {tm['detect']:.1f} | {tm['track']:.2f} | {len(p.tracks)} |")


def compare(name: str, gt, dets, images, configs: dict[str, TrackerConfig]) -> None:
    for label, cfg in CONFIGS.items():
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
    ref_cfg = TrackerConfig(appearance=False, buffer_s=0, lost_buffer_s=1.0, min_seen_s=1.0)
    reference = track(dets, sample_fps=reference_fps, config=ref_cfg)
    gt = frames_of(reference, step=reference_fps)
    n = len(images)
    one_fps = [dets[k * reference_fps] for k in range(n)]
    print(f"\n## ID switches on the real film ({spec} detections; reference: ByteTrack at {reference_fps} "
          f"samples/s, {len(reference)} tracks; {time.perf_counter() - t0:.0f} s)\n")
    print("| data | tracker at 1 FPS | ID switches | HOTA | AssA | DetA | tracks |")
    print("|---|---|---|---|---|---|---|")
    compare("real film", gt, one_fps, [images[k] for k in range(n)], CONFIGS)


def synth_ids(preset: str, spec: str) -> None:
    """ID switches against the exact ground truth of a generated synthetic benchmark."""
    import json
    import tempfile

    from stagdata.synth.generate import generate
    from verifier.timebase import frame_of_time

    det = load_detector(spec, conf=TrackerConfig().low_thresh)
    totals = {k: [0, 0.0] for k in CONFIGS}
    with tempfile.TemporaryDirectory(prefix="stag-synth-ids-") as tmp:
        manifest = generate(preset, tmp, seed=0)
        print(f"\n## ID switches on the synthetic benchmark '{preset}' ({len(manifest.videos)} videos, exact GT; "
              f"{spec} detections)\n")
        print("| video | tracker at 1 FPS | ID switches | HOTA | AssA | DetA | tracks |")
        print("|---|---|---|---|---|---|---|")
        for v in manifest.videos:
            actors = json.loads((Path(tmp) / v.frames_gt).read_text())["actors"]
            samples = list(iter_samples(Path(tmp) / v.path))
            gt: dict[int, dict[int, tuple[float, ...]]] = {}
            for s in samples:
                for a in actors:
                    i = frame_of_time(s.time, v.fps) - a["first_frame"]
                    if 0 <= i < len(a["boxes"]) and a["boxes"][i] is not None:
                        gt.setdefault(s.index, {})[a["id"]] = tuple(a["boxes"][i])
            dets = det.detect([s.image for s in samples])
            for label, cfg in CONFIGS.items():
                tracks = track(dets, sample_fps=1.0, config=cfg, images=[s.image for s in samples])
                pred = frames_of(tracks)
                res = hota({f: dict(b) for f, b in gt.items()}, pred)
                sw = id_switches(gt, pred)
                totals[label][0] += sw
                totals[label][1] += res.HOTA / len(manifest.videos)
                print(f"| {v.name} | {label} | {sw} | {res.HOTA:.3f} | {res.AssA:.3f} | {res.DetA:.3f} | {len(tracks)} |")
        for label, (sw, h) in totals.items():
            print(f"| **all** | {label} | **{sw}** | **{h:.3f}** (mean) | | | |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--detectors", default="coco,person,coco+person")
    ap.add_argument("--id-detector", default=DEFAULT_DETECTOR, help="detector for the ID-switch comparison")
    ap.add_argument("--reference-fps", type=int, default=10)
    ap.add_argument("--parts", default="throughput,film-ids,synth-ids",
                    help="comma list of: throughput, film-ids, synth-ids")
    ap.add_argument("--synth", default="small", help="synthetic benchmark preset for synth-ids")
    args = ap.parse_args(argv)
    parts = set(args.parts.split(","))
    if "throughput" in parts:
        throughput(args.detectors.split(","))
    if "film-ids" in parts:
        real_film_ids(args.reference_fps, args.id_detector)
    if "synth-ids" in parts:
        synth_ids(args.synth, args.id_detector)
    print("\nCommand: .venv/bin/python bench/tools_throughput.py " + " ".join(argv or sys.argv[1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
