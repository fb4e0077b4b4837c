"""A second query on a new video in a running process (what `stag serve` and the demo do) against a cold CLI run.

In one process: ``agent.api.ground`` on clip A (warms imports, models, caches), then on clip B, a
different video, timed. Then a fresh ``stag ground CLIP_B QUERY --json --quiet`` process, timed. Each
uses an empty perception cache, so clip B is really decoded and detected both times. With
``--repeats N`` the warm query and the cold process alternate N times (each warm query with a new empty
cache) and the medians are compared, which is steadier on a shared machine. Prints the ratio and the
load average.

    .venv/bin/python bench/warm_serving.py [--seconds 25] [--query "the person running"] [--repeats 1]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def cut(dst: Path, start_s: float, seconds: float) -> Path:
    """``seconds`` of the bundled film from ``start_s``, re-encoded as H.264."""
    from itertools import takewhile

    from tools.assets import asset_path
    from tools.render import write_h264
    from tools.video import iter_frames, probe

    src = asset_path("sample_video")
    fps = probe(src).fps
    first, stop = round(start_s * fps), round((start_s + seconds) * fps)
    frames = (im for i, im in takewhile(lambda f: f[0] < stop, iter_frames(src)) if i >= first)
    return write_h264(frames, dst, fps)


def main(argv: list[str] | None = None) -> int:
    import os
    from statistics import median

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=25.0)
    ap.add_argument("--query", default="the person running")
    ap.add_argument("--repeats", type=int, default=1, help="warm queries and cold processes, alternating")
    args = ap.parse_args(argv)
    load_before = os.getloadavg()[0]
    warm, cold = [], []
    with tempfile.TemporaryDirectory(prefix="stag-warm-") as tmp:
        a = cut(Path(tmp) / "a.mp4", 0, args.seconds)
        b = cut(Path(tmp) / "b.mp4", 30, args.seconds)
        t0 = time.perf_counter()
        from agent.api import GroundConfig, ground

        ground(a, args.query, GroundConfig(cache_dir=str(Path(tmp) / "cache-a")))
        first = time.perf_counter() - t0
        for i in range(args.repeats):
            t0 = time.perf_counter()
            result = ground(b, args.query, GroundConfig(cache_dir=str(Path(tmp) / f"cache-b{i}")))
            warm.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "agent.cli", "ground", str(b), args.query, "--json", "--quiet",
                                   "--cache", str(Path(tmp) / f"cache-cli{i}")], cwd=ROOT, capture_output=True,
                                  text=True, check=False)
            cold.append(time.perf_counter() - t0)
            if proc.returncode != 0:
                raise RuntimeError(proc.stderr[-2000:])
    runs = f" (median of {args.repeats})" if args.repeats > 1 else ""
    print(f"## Warm process vs cold CLI, {args.seconds:g}-s clips of the real film, query {args.query!r}\n")
    print("| run | wall s |")
    print("|---|---|")
    print(f"| first query in the process (clip A, imports and models load) | {first:.2f} |")
    print(f"| second query, new video (clip B), same process{runs} | {median(warm):.2f} |")
    print(f"| cold `stag ground` process on clip B{runs} | {median(cold):.2f} |")
    if args.repeats > 1:
        print(f"\nwarm runs: {', '.join(f'{w:.2f}' for w in warm)}; cold runs: {', '.join(f'{c:.2f}' for c in cold)}")
    print(f"\ncold / warm: **{median(cold) / median(warm):.1f}x** (referents on B: {len(result.referents)}); "
          f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    print("\nCommand: .venv/bin/python bench/warm_serving.py " + " ".join(argv if argv is not None else sys.argv[1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
