"""The planner alone: the agent on the synthetic benchmark with perfect tracks instead of perception.

    .venv/bin/python bench/agent_oracle.py [--preset small|bench] [--root DIR] [--splits tune,heldout]

Every track is an actor's exact per-second box from the benchmark's frame ground truth (one track
per actor, whole visible span), handed to the agent in place of the tools' 1-FPS pass; everything
else (query reading, predicates, choice, intervals) runs as in ``bench/agent_bench.py``. The gap
between this table and the agent bench's is what perception costs; what is left below 1.0 here is
the planner's own error. Prints the per-kind table for both splits and the command.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.offline import apply_offline_env

apply_offline_env()

import agent.perception
from agent.api import GroundConfig
from agent.perception import Look
from bench import agent_bench
from stagdata.synth.scoring import load_frame_gt
from tools.track import Track
from verifier.groundtruth import seconds_from_frames
from verifier.result import RunStats


def exact_tracks(video: str, _settings=None, _on_progress=None) -> Look:
    """The benchmark's exact per-second boxes of every actor of ``video`` as tracks (the time rule of
    the ground truth, :func:`verifier.groundtruth.seconds_from_frames`)."""
    path = Path(video)
    gt = json.loads((path.parent.parent / "gt" / f"{path.stem}.frames.json").read_text())
    tracks = []
    for pid, frames in load_frame_gt(path.parent.parent / "gt" / f"{path.stem}.frames.json").items():
        tube = seconds_from_frames(frames, (min(frames), max(frames)), gt["fps"]) if frames else None
        if tube is None:
            continue
        boxes = tube[1]
        heights = sorted(b[3] - b[1] for b in boxes.values())
        tracks.append(Track(id=pid, label="person", boxes=boxes, scores=dict.fromkeys(boxes, 0.9),
                            height_px=heights[len(heights) // 2]))
    return Look(tracks=tracks, stats=RunStats(tracks=len(tracks)))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="small", choices=["small", "bench"])
    p.add_argument("--root", default=".cache/synth", help="folder holding the benchmarks")
    p.add_argument("--splits", default="tune,heldout", help="comma-separated splits (default both)")
    args = p.parse_args(argv)
    agent.perception.look = exact_tracks  # the graph's perceive node looks it up at call time
    rows = {split: agent_bench.run_split(agent_bench.bench_manifest(Path(args.root), args.preset, split),
                                         GroundConfig(), limit=None, baselines=False)
            for split in args.splits.split(",")}
    print(agent_bench.tables(rows, ["agent"]))
    splits = "" if args.splits == "tune,heldout" else f" --splits {args.splits}"
    print(f"command: .venv/bin/python bench/agent_oracle.py --preset {args.preset} --root {args.root}{splits}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
