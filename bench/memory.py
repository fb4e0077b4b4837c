"""Peak memory of ``tools.perceive`` on a 1-minute vs a 10-minute synthetic video (must not grow).

    .venv/bin/python bench/memory.py [--lengths 60,600] [--detector coco+person]

Each video (a synthetic scene of the given length, made once under ``bench/results/memory/``) is
perceived at 1 FPS in its own subprocess, which reports:

- ``peak RSS``: the process's peak resident memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss``);
- ``RSS growth``: peak RSS at the end minus peak RSS after the detector was loaded and warmed up,
  i.e. what perceiving the video itself added;
- ``py heap peak``: ``tracemalloc``'s peak of Python allocations (numpy arrays included) during
  ``perceive``.

Criterion: the 10-minute peak is within 10% of the 1-minute peak. Prints a table and the
command; writes ``bench/results/memory.json``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

RESULTS = Path(__file__).resolve().parent / "results"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def child(video: str, detector_spec: str) -> dict:
    """Runs in the subprocess: load + warm the detector, then perceive under tracemalloc."""
    import tracemalloc

    import numpy as np

    from tools.offline import apply_offline_env

    apply_offline_env()
    from tools.detect import load_detector
    from tools.perceive import perceive
    from tools.track import TrackerConfig

    detector = load_detector(detector_spec, conf=TrackerConfig().low_thresh, classes=["person"])
    detector.detect([np.zeros((360, 640, 3), np.uint8)] * 4)
    before = _rss_mb()
    tracemalloc.start()
    t0 = time.perf_counter()
    p = perceive(video, sample_fps=1.0, detector=detector, classes=["person"])
    wall = time.perf_counter() - t0
    _, heap_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    after = _rss_mb()
    return {"video_s": p.video.duration, "samples": len(p.times), "tracks": len(p.tracks), "wall_s": wall,
            "rss_before_mb": before, "peak_rss_mb": after, "rss_growth_mb": after - before,
            "py_heap_peak_mb": heap_peak / 2**20}


def make_video(seconds: float, seed: int) -> Path:
    from stagdata.synth import SynthConfig, generate

    root = RESULTS / "memory" / f"{int(seconds)}s-seed{seed}"
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
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.detector)))
        return 0
    command = "python bench/memory.py " + " ".join(argv if argv is not None else sys.argv[1:])
    rows = []
    for seconds in (float(x) for x in args.lengths.split(",")):
        video = make_video(seconds, args.seed)
        print(f"perceiving {video.name} in a subprocess ...", file=sys.stderr)
        out = subprocess.run([sys.executable, __file__, "--child", str(video), "--detector", args.detector],
                             capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"# {command}")
    print(f"# tools.perceive at 1 FPS, detector {args.detector}, each video in a fresh subprocess")
    print(f"{'video s':>8} {'samples':>8} {'tracks':>7} {'wall s':>8} {'peak RSS MB':>12} {'RSS growth MB':>14} "
          f"{'py heap peak MB':>16}")
    for r in rows:
        print(f"{r['video_s']:>8.0f} {r['samples']:>8} {r['tracks']:>7} {r['wall_s']:>8.1f} {r['peak_rss_mb']:>12.1f} "
              f"{r['rss_growth_mb']:>14.1f} {r['py_heap_peak_mb']:>16.1f}")
    if len(rows) >= 2:
        short, long_ = rows[0], rows[-1]
        ratio = long_["peak_rss_mb"] / short["peak_rss_mb"]
        extra_min = (long_["video_s"] - short["video_s"]) / 60
        held_gb = long_["samples"] * 640 * 360 * 3 / 2**30
        print(f"peak RSS {long_['video_s']:.0f} s / {short['video_s']:.0f} s = {ratio:.3f}: "
              f"+{long_['peak_rss_mb'] - short['peak_rss_mb']:.0f} MB for +{extra_min:.0f} min of video "
              f"({'bounded' if ratio <= 1.10 else 'GROWS'}: criterion <= 10% for "
              f"{long_['video_s'] / short['video_s']:.0f}x the length; holding just the sampled 640x360 frames "
              f"would take {held_gb:.2f} GB, the decoded video {held_gb * 30:.0f} GB)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "memory.json").write_text(json.dumps({"command": command, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
