"""``stag ground``: answer one query about one video, from the terminal.

    stag ground VIDEO "QUERY" [--json] [--out DIR] [--planner embedded|model] [--base-url URL --model NAME]
    stag ground VIDEO "QUERY" --out DIR --query-id 12 --video-id 3 --svag-subset MOT17   # + SVAG-Bench submission
    stag ground --example "the people walking" --out outputs/quickstart

Without ``--json`` it prints a short table of referents on stdout and a progress bar on stderr; with
``--json`` stdout is exactly one JSON object (the result: query, video facts, referents with
``interval`` and per-second ``boxes``, trace, timings). ``--out DIR`` writes the result, its exports and
the annotated H.264 video (see :mod:`agent.outputs`). Exit codes: 0 done, 2 bad input, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading

EXAMPLE_HELP = "use the bundled real street film (60 s, 640x360) as VIDEO"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="stag ground",
        description="Find WHEN and WHERE a typed query happens in a video: every referent's interval "
                    "(seconds) and one box per second.",
        epilog='example: stag ground --example "the people walking" --out outputs/quickstart',
    )
    p.add_argument("args", nargs="+", metavar="VIDEO QUERY", help="video file and query (only QUERY with --example)")
    p.add_argument("--example", action="store_true", help=EXAMPLE_HELP)
    p.add_argument("--json", action="store_true", help="print the result as one JSON object on stdout")
    p.add_argument("--out", metavar="DIR", help="write result.json, the exports and annotated.mp4 here")
    p.add_argument("--no-video", action="store_true", help="with --out, skip the annotated video")
    p.add_argument("--query-id", type=int, help="with --out: the query's SVAG-Bench id (writes svag_submission.json)")
    p.add_argument("--video-id", type=int, help="with --out: the video's SVAG-Bench id (with --query-id)")
    p.add_argument("--svag-subset", choices=["OVIS", "MOT17", "MOT20"], default="OVIS",
                   help="SVAG-Bench subset of the submission (default OVIS)")
    p.add_argument("--planner", choices=["embedded", "model"], default="embedded")
    p.add_argument("--base-url", help="OpenAI-compatible endpoint of the model planner (e.g. http://127.0.0.1:8000/v1)")
    p.add_argument("--model", help="model name at --base-url")
    p.add_argument("--mode", choices=["plan", "direct"], default="plan",
                   help="model planner: plan (model plans, tools perceive) or direct (model outputs tracks)")
    p.add_argument("--fps", type=float, default=1.0, help="sampling rate of the tools (default 1)")
    p.add_argument("--detector", help="'coco+person' (default), 'coco' (about 3x faster), 'person' or a .pt path")
    p.add_argument("--thread", metavar="ID", help="resumable run id (with --checkpoint)")
    p.add_argument("--checkpoint", metavar="FILE", help="SQLite checkpoint file for --thread")
    p.add_argument("--cache", metavar="DIR", help="cache what the tools saw here (later queries on the video reuse it)")
    p.add_argument("--quiet", action="store_true", help="no progress bar (nothing on stderr unless an error)")
    return p


def _table(result) -> str:
    lines = [f"{result.query!r} in {result.video.path} ({result.video.duration:.1f} s, planner: {result.planner})"]
    if not result.referents:
        last = result.trace[-1].message if result.trace else "nothing found"
        return "\n".join([*lines, f"no referent: {last}"])
    lines.append(f"{'id':>4}  {'label':<10} {'start':>5} {'end':>5}  {'boxes':>5}  {'score':>5}")
    for r in result.referents:
        lines.append(f"{r.id:>4}  {r.label:<10} {r.interval[0]:>5} {r.interval[1]:>5}  {len(r.boxes):>5}  {r.score:>5.2f}")
    return "\n".join(lines)


def _validate(video: str, query: str, detector: str | None) -> str | None:
    """What is wrong with the request, checked cheaply (no model, no video decoding), or None."""
    from pathlib import Path

    from tools.runtime import check_detector_spec

    if not query.strip():
        return "the query is empty; type what to find, e.g. \"the person running\""
    if not Path(video).is_file():
        return f"video file not found: {video}"
    if detector is not None:
        try:
            check_detector_spec(detector)
        except (ValueError, FileNotFoundError) as exc:
            return str(exc)
    return None


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``stag ground``; returns the exit code."""
    args = _parser().parse_args(argv)
    from tools.offline import apply_offline_env

    apply_offline_env()
    if args.example:
        if len(args.args) != 1:
            print("stag ground: with --example give only the QUERY", file=sys.stderr)
            return 2
        from tools.assets import AssetMissing, asset_path

        try:
            video = str(asset_path("sample_video"))
        except AssetMissing as exc:
            print(f"stag ground: {exc}", file=sys.stderr)
            return 2
        query = args.args[0]
    else:
        if len(args.args) != 2:
            print('stag ground: give VIDEO and "QUERY" (or --example "QUERY")', file=sys.stderr)
            return 2
        video, query = args.args
    if (args.query_id is None) != (args.video_id is None) or (args.query_id is not None and not args.out):
        print("stag ground: --query-id and --video-id go together, with --out", file=sys.stderr)
        return 2
    if args.planner == "model" and not (args.base_url and args.model):
        print("stag ground: --planner model needs --base-url and --model", file=sys.stderr)
        return 2
    problem = _validate(video, query, args.detector)
    if problem:  # checked before anything heavy is imported or loaded
        print(f"stag ground: {problem}", file=sys.stderr)
        return 2

    bar = None
    if not args.quiet:  # shown at once, before the agent and the models load
        from tqdm import tqdm

        bar = tqdm(total=100, file=sys.stderr, unit="%", bar_format="{desc:<28.28}|{bar}| {n:.0f}% [{elapsed}]")
        bar.set_description_str("loading")
        bar.refresh()

    from pydantic import ValidationError

    from agent.api import Cancelled, GroundConfig, ground
    from tools.video import VideoError

    try:
        config = GroundConfig(planner=args.planner, base_url=args.base_url, model=args.model, model_mode=args.mode,
                              sample_fps=args.fps, thread_id=args.thread, checkpoint=args.checkpoint,
                              cache_dir=args.cache, **({"detector": args.detector} if args.detector else {}))
    except ValidationError as exc:
        if bar is not None:
            bar.close()
        print(f"stag ground: bad option: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}", file=sys.stderr)
        return 2

    def on_progress(ev) -> None:
        if bar is not None:
            bar.set_description_str(f"{ev.stage}: {ev.message}"[:28])
            bar.n = round(100 * ev.fraction)
            bar.refresh()

    cancel = threading.Event()
    try:
        result = ground(video, query, config, on_progress=on_progress, cancel=cancel)
        if args.out:
            from agent.outputs import write_outputs

            if bar is not None:
                bar.set_description_str("render: annotated video")
            paths = write_outputs(result, args.out, video=not args.no_video, svag_dataset=args.svag_subset,
                                  query_id=args.query_id, video_id=args.video_id)
    except (ValueError, VideoError, FileNotFoundError) as exc:
        if bar is not None:
            bar.close()
        print(f"stag ground: {exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, Cancelled):
        cancel.set()
        if bar is not None:
            bar.close()
        print("stag ground: interrupted", file=sys.stderr)
        return 130
    if bar is not None:
        bar.close()
    if args.json:
        sys.stdout.write(json.dumps(result.model_dump(mode="json")) + "\n")
    else:
        print(_table(result))
        if args.out:
            print("wrote: " + ", ".join(str(p) for p in paths.values()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
