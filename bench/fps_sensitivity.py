"""Tracking cost vs quality at 0.5, 1, 2, 5 samples per second and the native 30 fps (paper 002).

    .venv/bin/python bench/fps_sensitivity.py [--bench DIR] [--videos N] [--detector coco+person]
        [--tracker associate|bytetrack] [--cache FILE]

On the synthetic benchmark (``stag synth --preset bench``; made in ``--bench`` if absent), every
video is tracked by ``tools.perceive`` at each rate, and scored against the exact per-frame ground
truth of every visible person with the verifier (``stagdata.synth.scoring``): HOTA at the sampled
instants, and vIoU of GT-matched tracks after interpolating them to every frame. Cost is the wall
time of ``perceive`` (decode + detect + track; the detector is loaded once, outside the timing) and
the number of frames the detector ran on, also per second of video (``det/s``: adaptive temporal
resolution adds frames inside ambiguous seconds; goal <= 1.5 at 1 FPS). ``--tracker bytetrack`` runs
the older ByteTrack-based tracker (no densification) for a before/after; ``--cache FILE`` keeps the
detections between runs so both see the same boxes. Goal: 1 FPS costs <= 1/15 of native-rate
tracking while keeping >= 90% of its vIoU.

Prints a table and the command; writes ``bench/results/fps_sensitivity.{json,png}``.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.offline import apply_offline_env

apply_offline_env()

from bench.tracker_compare import CachedDetector
from stagdata.synth import SynthManifest, generate
from stagdata.synth.scoring import load_frame_gt, score_tracks
from tools.associate import AssociationConfig
from tools.detect import load_detector
from tools.perceive import perceive
from tools.track import TrackerConfig
from verifier.hota import combine_hota
from verifier.timebase import sample_frames

RESULTS = Path(__file__).resolve().parent / "results"


def _bench(path: Path, seed: int) -> SynthManifest:
    if (path / "manifest.json").is_file():
        return SynthManifest.load(path)
    print(f"making the synthetic bench set in {path} ...", file=sys.stderr)
    return generate("bench", path, seed=seed, progress_bar=True)


def oracle_tracks(gt: dict, rate: float, fps: float, frame_count: int) -> dict:
    """A perfect tracker at ``rate``: every person's true box at every sampled frame, one id each."""
    frames = sample_frames(frame_count, fps, rate)
    tracks = {pid: {i: boxes[f] for i, f in enumerate(frames) if f in boxes} for pid, boxes in gt.items()}
    return {pid: t for pid, t in tracks.items() if t}


def run_rate(manifest: SynthManifest, videos: list, rate: float, detector, tracker: str = "associate") -> dict:
    """Track every video at ``rate`` samples/s; cost and quality summed / pooled over videos.

    ``vIoU_ceiling`` is the vIoU of the perfect tracker at this rate: what sampling plus
    interpolation between the first and last sample can reach at best.
    """
    wall = 0.0
    frames = 0
    hotas, vious, ceiling, s_miou, f_miou = {}, [], [], [], []
    for v in videos:
        t0 = time.perf_counter()
        config = TrackerConfig() if tracker == "bytetrack" else AssociationConfig()
        dense = {} if rate < v.fps / 2 else {"densify": 0.0}  # the product default below half the native rate
        p = perceive(manifest.path(v.path), sample_fps=rate, detector=detector, classes=["person"],
                     tracker=config, **dense)
        wall += time.perf_counter() - t0
        frames += p.stats.frames_detected
        gt = load_frame_gt(manifest.path(v.frames_gt))
        s = score_tracks(gt, {t.id: t.boxes for t in p.tracks}, sample_fps=rate, fps=v.fps, frame_count=v.frame_count)
        best = score_tracks(gt, oracle_tracks(gt, rate, v.fps, v.frame_count), sample_fps=rate, fps=v.fps,
                            frame_count=v.frame_count)
        hotas[v.name] = s.hota
        vious += [s.viou] * s.people  # person-weighted mean over videos
        ceiling += [best.viou] * best.people
        s_miou.append(s.sample_miou)
        f_miou.append(s.frame_miou)
    h = combine_hota(hotas)
    return {"rate": rate, "wall_s": wall, "frames": frames, "det_per_s": frames / sum(v.duration for v in videos), "HOTA": h.HOTA, "DetA": h.DetA, "AssA": h.AssA,
            "vIoU": sum(vious) / max(1, len(vious)), "vIoU_ceiling": sum(ceiling) / max(1, len(ceiling)),
            "sample_mIoU": sum(s_miou) / len(s_miou), "frame_mIoU": sum(f_miou) / len(f_miou)}


def plot(rows: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))
    walls = [r["wall_s"] for r in rows]
    ax.plot(walls, [r["HOTA"] for r in rows], "o-", label="HOTA (at the sampled instants)")
    ax.plot(walls, [r["vIoU"] for r in rows], "s-", label="vIoU (GT-matched tracks, interpolated to frames)")
    ax.plot(walls, [r["vIoU_ceiling"] for r in rows], "^:", color="grey", label="vIoU of a perfect tracker at that rate")
    for r in rows:
        name = "native" if r["native"] else f"{r['rate']:g} fps"
        ax.annotate(f"{name}\n{r['frames']} frames", (r["wall_s"], r["vIoU"]), textcoords="offset points",
                    xytext=(4, 6), fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("tracking wall time, s (log)")
    ax.set_ylabel("quality")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", default=str(RESULTS / "synth-bench"), help="synthetic bench folder (made if absent)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--videos", type=int, help="only the first N videos")
    ap.add_argument("--rates", default="0.5,1,2,5", help="sampling rates below native (native is always run)")
    ap.add_argument("--detector", default="coco+person", help="detector spec (the agent's default)")
    ap.add_argument("--tracker", default="associate", choices=["associate", "bytetrack"])
    ap.add_argument("--cache", help="pickle file keeping detections between runs (same boxes before/after)")
    args = ap.parse_args(argv)
    command = "python bench/fps_sensitivity.py " + " ".join(argv if argv is not None else sys.argv[1:])

    manifest = _bench(Path(args.bench), args.seed)
    videos = manifest.videos[: args.videos] if args.videos else manifest.videos
    native = max(v.fps for v in videos)
    rates = [float(r) for r in args.rates.split(",")] + [native]
    inner = load_detector(args.detector, conf=TrackerConfig().low_thresh, classes=["person"])
    inner.detect([np.zeros((360, 640, 3), np.uint8)] * 2)  # warm up (first calls build kernels) before timing
    detector = CachedDetector(inner)
    if args.cache and Path(args.cache).is_file():
        detector.load(pickle.loads(Path(args.cache).read_bytes()))
    rows = []
    for rate in rates:
        print(f"tracking {len(videos)} videos at {rate:g} fps ...", file=sys.stderr)
        row = run_rate(manifest, videos, rate, detector, args.tracker)
        row["native"] = rate == native
        rows.append(row)
    nat = rows[-1]
    seconds = sum(v.duration for v in videos)
    print(f"# {command}")
    if args.cache:
        Path(args.cache).write_bytes(pickle.dumps(detector.state()))
    print(f"# {len(videos)} synthetic videos, {seconds:g} s of {native:g}-fps video, detector {args.detector}, "
          f"tracker {args.tracker}" + (" (wall times include cached detections: compare frames)" if args.cache else ""))
    print(f"{'rate':>8} {'frames':>7} {'det/s':>6} {'wall s':>8} {'cost/native':>12} {'HOTA':>6} {'DetA':>6} {'AssA':>6} "
          f"{'vIoU':>6} {'vIoU/native':>12} {'vIoU ceil':>10} {'mIoU@samples':>13} {'mIoU@frames':>12}")
    for r in rows:
        name = "native" if r["native"] else f"{r['rate']:g}"
        print(f"{name:>8} {r['frames']:>7} {r['det_per_s']:>6.2f} {r['wall_s']:>8.1f} {r['wall_s'] / nat['wall_s']:>12.4f} "
              f"{r['HOTA']:>6.3f} {r['DetA']:>6.3f} {r['AssA']:>6.3f} {r['vIoU']:>6.3f} "
              f"{r['vIoU'] / max(1e-9, nat['vIoU']):>12.3f} {r['vIoU_ceiling']:>10.3f} "
              f"{r['sample_mIoU']:>13.3f} {r['frame_mIoU']:>12.3f}")
    print("vIoU ceil = a perfect tracker at that rate, interpolated with verifier.interpolate.frame_boxes "
          "(first to last sample only)")
    one = next((r for r in rows if r["rate"] == 1.0), None)
    if one is not None:
        cost, keep = one["wall_s"] / nat["wall_s"], one["vIoU"] / max(1e-9, nat["vIoU"])
        print(f"1 FPS: cost {cost:.4f} of native (goal <= {1 / 15:.4f}: {'met' if cost <= 1 / 15 else 'NOT met'}), "
              f"vIoU {keep:.3f} of native (goal >= 0.90: {'met' if keep >= 0.9 else 'NOT met'})")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"fps_sensitivity-{args.tracker}.json").write_text(json.dumps({"command": command, "rows": rows}, indent=1))
    plot(rows, RESULTS / f"fps_sensitivity-{args.tracker}.png",
         f"{len(videos)} synthetic videos ({seconds:g} s), detector {args.detector}: cost vs quality by sampling rate")
    print(f"plot: {RESULTS / f'fps_sensitivity-{args.tracker}.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
