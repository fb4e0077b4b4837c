"""Peak memory of ``tools.perceive`` on a 1-minute vs a 10-minute synthetic video (must not grow).

    .venv/bin/python bench/memory.py [--lengths 60,600] [--detector coco+person] [--classes all] [--tracemalloc]

Each video (a synthetic scene of the given length, made once under ``--videos``) is perceived at
1 FPS (the agent's pass: every class, both models) in its own fresh subprocess, which reports plain
RSS figures from ``/proc/self/status`` (no instrumentation, so the run costs what perception costs):

- ``peak RSS``: the process's peak resident memory (``VmHWM``) at the end;
- ``RSS growth``: that peak minus the peak after the detector was loaded and warmed up, i.e. what
  perceiving the video itself added;
- ``py heap peak`` (only with ``--tracemalloc``, which makes the run several times slower):
  ``tracemalloc``'s peak of Python allocations (numpy arrays included) during ``perceive``.

Criterion: the 10-minute peak is within 10% of the 1-minute peak. Prints a table and the
command; writes ``--out`` (``bench/results/memory.json`` by default).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

RESULTS = Path(__file__).resolve().parent / "results"


def _status_mb(field: str) -> float:
    """A memory figure of this process from ``/proc/self/status`` (``VmHWM``: peak RSS; ``VmRSS``: now), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:  # not Linux: the peak from getrusage (KiB on Linux, bytes on macOS)
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (2**20 if sys.platform == "darwin" else 1024)


def child(video: str, detector_spec: str, classes: list[str] | None, trace: bool) -> dict:
    """Runs in the subprocess: load + warm the detector, then perceive (under tracemalloc if ``trace``)."""
    import numpy as np

    from tools.offline import apply_offline_env

    apply_offline_env()
    from tools.associate import AssociationConfig
    from tools.detect import load_detector
    from tools.perceive import perceive

    detector = load_detector(detector_spec, conf=AssociationConfig().low_thresh, classes=classes)
    detector.detect([np.zeros((360, 640, 3), np.uint8)] * 4)
    before = _status_mb("VmHWM")
    if trace:
        import tracemalloc

        tracemalloc.start()
    t0 = time.perf_counter()
    p = perceive(video, sample_fps=1.0, detector=detector, classes=classes)
    wall = time.perf_counter() - t0
    heap_peak = None
    if trace:
        heap_peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    after = _status_mb("VmHWM")
    return {"video_s": p.video.duration, "samples": len(p.times), "frames_detected": p.stats.frames_detected,
            "tracks": len(p.tracks), "wall_s": wall, "rss_before_mb": before, "peak_rss_mb": after,
            "rss_growth_mb": after - before, "rss_end_mb": _status_mb("VmRSS"), "py_heap_peak_mb": heap_peak}


def make_video(seconds: float, seed: int, folder: Path) -> Path:
    from stagdata.synth import SynthConfig, generate

    root = folder / f"{int(seconds)}s-seed{seed}"
    manifest = root / "manifest.json"
    if not manifest.is_file():
        print(f"making a {seconds:g} s synthetic video in {root} ...", file=sys.stderr)
        cfg = SynthConfig(name=f"mem{int(seconds)}", videos=1, duration=seconds, svag_json=False, crf=28)
        generate(cfg, root, seed=seed, progress_bar=True)
    from stagdata.synth import SynthManifest

    m = SynthManifest.load(root)
    return m.path(m.videos[0].path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lengths", default="60,600", help="video lengths in seconds")
    ap.add_argument("--detector", default="coco+person")
    ap.add_argument("--classes", default="all", help="comma-separated class words, or 'all' (the agent's pass)")
    ap.add_argument("--tracemalloc", action="store_true", help="also trace the Python heap (several times slower)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--videos", type=Path, default=RESULTS / "memory", help="where the synthetic videos are made")
    ap.add_argument("--out", type=Path, default=RESULTS / "memory.json")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    classes = None if args.classes == "all" else args.classes.split(",")
    if args.child:
        print(json.dumps(child(args.child, args.detector, classes, args.tracemalloc)))
        return 0
    command = "python bench/memory.py " + " ".join(argv if argv is not None else sys.argv[1:])
    rows = []
    for seconds in (float(x) for x in args.lengths.split(",")):
        video = make_video(seconds, args.seed, args.videos)
        print(f"perceiving {video.name} in a fresh subprocess ...", file=sys.stderr)
        cmd = [sys.executable, __file__, "--child", str(video), "--detector", args.detector, "--classes", args.classes]
        out = subprocess.run(cmd + (["--tracemalloc"] if args.tracemalloc else []),
                             capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"# {command}")
    print(f"# tools.perceive at 1 FPS, detector {args.detector}, classes {args.classes}, each video in a fresh "
          f"subprocess; load average {os.getloadavg()[0]:.1f}")
    heap = args.tracemalloc
    print(f"{'video s':>8} {'samples':>8} {'detected':>9} {'tracks':>7} {'wall s':>8} {'RSS loaded MB':>14} "
          f"{'peak RSS MB':>12} {'RSS growth MB':>14}" + (f" {'py heap peak MB':>16}" if heap else ""))
    for r in rows:
        print(f"{r['video_s']:>8.0f} {r['samples']:>8} {r['frames_detected']:>9} {r['tracks']:>7} {r['wall_s']:>8.1f} "
              f"{r['rss_before_mb']:>14.1f} {r['peak_rss_mb']:>12.1f} {r['rss_growth_mb']:>14.1f}"
              + (f" {r['py_heap_peak_mb']:>16.1f}" if heap else ""))
    if len(rows) >= 2:
        short, long_ = rows[0], rows[-1]
        ratio = long_["peak_rss_mb"] / short["peak_rss_mb"]
        extra_min = (long_["video_s"] - short["video_s"]) / 60
        held_gb = long_["samples"] * 640 * 360 * 3 / 2**30
        print(f"peak RSS {long_['video_s']:.0f} s / {short['video_s']:.0f} s = {ratio:.3f}: "
              f"{long_['peak_rss_mb'] - short['peak_rss_mb']:+.0f} MB for +{extra_min:.0f} min of video "
              f"({'bounded' if ratio <= 1.10 else 'GROWS'}: criterion <= 10% for "
              f"{long_['video_s'] / short['video_s']:.0f}x the length; holding just the sampled 640x360 frames "
              f"would take {held_gb:.2f} GB, the decoded video {held_gb * 30:.0f} GB)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"command": command, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
