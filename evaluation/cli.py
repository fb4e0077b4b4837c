"""``stag eval-agent``: the agent over a published benchmark (or the synthetic one), scored officially.

    stag eval-agent --dataset synth|hcstvg-v1|hcstvg-v2|vidstg|svag --annotations FILE --videos DIR
                    --out DIR [--limit N] [--workers N] [--executor local|ray] [--ray-address ADDR]
                    [--convention official|tubedetr] [--planner model --base-url URL --model NAME]

Writes ``DIR/predictions.jsonl`` (appended as samples finish; a rerun resumes),
``DIR/predictions_official.json``, ``DIR/metrics.json`` and ``DIR/report.md`` (see
:mod:`evaluation.outputs`), prints the headline table, and shows a progress bar on stderr. For
``synth`` ``--annotations`` is the ``stag synth`` folder and ``--videos`` is not needed.
``stag eval-agent --bench DIR [--limit N] [--json]`` is the quick single-process synthetic check of
:func:`evaluation.secondlevel.evaluate` (no output folder).

>>> main(["--dataset", "hcstvg-v2", "--annotations", "/nonexistent.json", "--out", "/tmp/x"])
2
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from agent.api import GroundConfig
from stagdata.sample import DATASETS


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="stag eval-agent", description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", choices=DATASETS, help="annotation format")
    p.add_argument("--annotations", help="annotation file (synth: the benchmark folder)")
    p.add_argument("--videos", help="folder of the videos (searched as each format names them)")
    p.add_argument("--vidor", help="VidSTG: folder of the VidOR annotations, when records do not embed trajectories")
    p.add_argument("--out", help="output folder (predictions, metrics, report)")
    p.add_argument("--limit", type=int, help="only the first N samples (in annotation order)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (or Ray actors); default 1")
    p.add_argument("--executor", choices=["local", "ray"], default="local")
    p.add_argument("--ray-address", help="Ray cluster address (default: start a local Ray on loopback)")
    p.add_argument("--convention", choices=["official", "tubedetr"], default="official",
                   help="frame-level protocol: the official evaluator's (default) or TubeDETR's 5-fps one")
    p.add_argument("--bench", help="quick check: a stag synth folder, one process, no output folder")
    p.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    p.add_argument("--planner", choices=["embedded", "model"], default="embedded")
    p.add_argument("--base-url")
    p.add_argument("--model")
    p.add_argument("--mode", choices=["plan", "direct"], default="plan")
    p.add_argument("--detector", help="detector spec (default: the agent's)")
    p.add_argument("--fps", type=float, default=1.0, help="sampling rate of the tools (default 1)")
    p.add_argument("--cache", metavar="DIR", help="perception cache folder (default: DIR/cache)")
    return p


def _bench(args: argparse.Namespace, config: GroundConfig) -> int:
    from evaluation.secondlevel import evaluate

    try:
        report = evaluate(args.bench, config, limit=args.limit)
    except FileNotFoundError as exc:
        print(f"stag eval-agent: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report) if args.json else json.dumps(report["summary"], indent=1))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``stag eval-agent``; returns the exit code."""
    p = _parser()
    args = p.parse_args(argv)
    from tools.offline import apply_offline_env

    apply_offline_env()
    config = GroundConfig(planner=args.planner, base_url=args.base_url, model=args.model, model_mode=args.mode,
                          cache_dir=args.cache, sample_fps=args.fps, **({"detector": args.detector} if args.detector else {}))
    if args.bench:
        return _bench(args, config)
    if not (args.dataset and args.annotations and args.out):
        p.error("--dataset, --annotations and --out are required (or --bench DIR)")
    if args.workers < 1 or (args.limit is not None and args.limit < 0):
        p.error("--workers must be >= 1 and --limit >= 0")
    if args.dataset not in ("synth",) and args.videos is None:
        print("stag eval-agent: --videos DIR is required for this dataset", file=sys.stderr)
        return 2
    from evaluation.outputs import metrics, official_predictions, write_report
    from evaluation.runner import run
    from stagdata.load import load_samples

    try:
        samples = load_samples(args.dataset, args.annotations, args.videos, vidor=args.vidor)
    except (FileNotFoundError, ValueError) as exc:
        print(f"stag eval-agent: {exc}", file=sys.stderr)
        return 2
    if args.limit is not None:
        samples = samples[: args.limit]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from tqdm import tqdm

    bar = tqdm(total=len(samples), file=sys.stderr, unit="sample", desc=f"eval-agent {args.dataset}")
    t0 = time.perf_counter()
    try:
        preds = run(samples, out, config, workers=args.workers, executor=args.executor,
                    ray_address=args.ray_address, on_done=lambda _: bar.update(1))
        bar.n = len(preds)
        bar.refresh()
    finally:
        bar.close()
    wall = time.perf_counter() - t0
    official = official_predictions(samples, preds)
    (out / "predictions_official.json").write_text(json.dumps(official))
    svag_gt = None
    if args.dataset == "svag":
        svag_gt = args.annotations
    elif args.dataset == "synth":
        from stagdata.synth import SynthManifest

        m = SynthManifest.load(args.annotations)
        svag_gt = m.path(m.svag_gt) if m.svag_gt else None
    result, rows = metrics(samples, preds, convention=args.convention, official=official,
                           svag_gt=svag_gt, wall_seconds=wall)
    (out / "metrics.json").write_text(json.dumps(result, indent=1))
    (out / "scores.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    write_report(out, result, rows)
    if args.json:
        print(json.dumps(result))
    else:
        sl = result["second_level"]
        print(f"{args.dataset} ({result['samples']} samples, {args.convention} frames): "
              f"m_tIoU {result['m_tIoU']:.4f}  m_vIoU {result['m_vIoU']:.4f}  vIoU@0.3 {result['vIoU@0.3']:.4f}  "
              f"vIoU@0.5 {result['vIoU@0.5']:.4f} | seconds: m_tIoU {sl['m_tIoU']:.4f} m_vIoU {sl['m_vIoU']:.4f} "
              f"HOTA {sl.get('HOTA', 0.0):.4f} | wall {wall:.1f} s -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
