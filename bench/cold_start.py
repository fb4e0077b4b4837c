"""Cold ``stag ground`` against the 30-line 1-FPS detection script, timed in one run, with the ratio.

Cuts a clip (25 s by default) from the bundled real film, then alternates fresh processes of
``stag ground CLIP "the person running" --json --quiet`` (with an empty perception cache each
run, so nothing seen before is reused; the set-up's exported detectors are) and ``bench/script_detect_1fps.py CLIP``
(PyAV decode of one frame per second + YOLOv3-tiny through cv2.dnn, imports included), and prints
the median wall time of each and their ratio. Alternating keeps both under the same machine load.

    .venv/bin/python bench/cold_start.py [--seconds 25] [--repeats 3] [--query "the person running"]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_clip(dst: Path, seconds: float) -> Path:
    """The first ``seconds`` of the bundled film, re-encoded as H.264 (the clip the CLI is timed on)."""
    from itertools import takewhile

    from tools.assets import asset_path
    from tools.render import write_h264
    from tools.video import iter_frames, probe

    src = asset_path("sample_video")
    fps = probe(src).fps
    stop = round(seconds * fps)
    return write_h264((im for _, im in takewhile(lambda f: f[0] < stop, iter_frames(src))), dst, fps)


def timed(cmd: list[str]) -> float:
    """Wall seconds of one fresh process; raises if it fails."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return wall


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=25.0, help="clip length cut from the film")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--query", default="the person running")
    args = ap.parse_args(argv)
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="stag-cold-") as tmp:
        clip = make_clip(Path(tmp) / "clip.mp4", args.seconds)
        ground = [py, "-m", "agent.cli", "ground", str(clip), args.query, "--json", "--quiet"]
        script = [py, str(ROOT / "bench" / "script_detect_1fps.py"), str(clip)]
        timed(script)  # warm the OS file cache for both, so neither pays for disk reads
        times: dict[str, list[float]] = {"stag ground": [], "30-line script": []}
        for k in range(args.repeats):
            times["30-line script"].append(timed(script))
            # a fresh perception cache each run: the video is really decoded and detected every time
            # (the exported detectors and the encoder's vectors stay cached, as after set-up)
            times["stag ground"].append(timed([*ground, "--cache", str(Path(tmp) / f"perception-{k}")]))
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"## Cold start on a {args.seconds:g}-s clip of the real film (median of {args.repeats}, alternating)\n")
    print("| process | median wall s | runs (s) |")
    print("|---|---|---|")
    for k, v in times.items():
        print(f"| {k} | {med[k]:.2f} | {', '.join(f'{x:.2f}' for x in v)} |")
    print(f"\nratio stag ground / script: **{med['stag ground'] / med['30-line script']:.1f}x**")
    print("\nCommand: .venv/bin/python bench/cold_start.py " + " ".join(argv if argv is not None else sys.argv[1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
