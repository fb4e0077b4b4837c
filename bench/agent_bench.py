"""The agent on the synthetic benchmark, per kind of query, tune and held-out side by side, against two baselines.

    .venv/bin/python bench/agent_bench.py [--preset small|bench] [--root DIR] [--limit N] [--detector SPEC]
                                          [--no-baselines] [--model-costs] [--markdown] [--out NAME]

For each split (``tune``, ``heldout``; made with ``stag synth`` in ``--root`` if absent) every query
is grounded by :func:`agent.api.ground` (perception cold, then cached per video) and scored by the
verifier's multi-referent score (:func:`verifier.multiref.assign`: Hungarian matching of referents
on tIoU + mvIoU, unmatched referents score 0). Printed:

1. per kind (and the plural / counted forms): n, m_tIoU, m_mvIoU, count errors (queries answered
   with another number of referents than the truth) for tune and held-out;
2. per method, overall on both splits, with cost columns from ``GroundingResult.stats``: detector
   frames per second of video, model calls per query, wall seconds per query. Baselines:
   "a 40-line script" (:mod:`bench.script_baseline`: 1-FPS YOLOv3-tiny, ByteTrack tuned for 1 FPS,
   keyword rules) and "one random person, whole track, perfect boxes" (from the ground truth);
3. held-out m_mvIoU per kind for the three methods.

``--model-costs`` adds the model planner's calls and image tokens per query against designs that
send frames (a scripted loopback endpoint by default). Writes ``bench/results/<NAME>.json`` and
``bench/results/<NAME>.png`` (``--out``, default ``agent_bench``); prints the command that made them.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.offline import apply_offline_env

apply_offline_env()

from agent.api import GroundConfig, ground
from bench import script_baseline
from evaluation.secondlevel import model_cost, score_query
from stagdata.synth.generate import generate
from stagdata.synth.manifest import SynthManifest, VideoEntry
from stagdata.synth.queries import KINDS
from stagdata.synth.scoring import load_frame_gt
from verifier.groundtruth import GroundTruth, seconds_from_frames
from verifier.multiref import assign
from verifier.stvg import Tube

RESULTS = Path(__file__).resolve().parent / "results"
SPLITS = ("tune", "heldout")
METHODS = {"agent": "stag agent (ground)", "script": "a 40-line script (1-FPS YOLOv3-tiny + ByteTrack + keywords)",
           "random": "one random person, whole track, perfect boxes"}


def bench_manifest(root: Path, preset: str, split: str) -> SynthManifest:
    """The benchmark of ``preset`` and ``split`` under ``root`` (generated with seed 0 if absent)."""
    path = root / f"{preset}-{split}"
    if not (path / "manifest.json").exists():
        generate(preset, path, seed=0, split=split, progress_bar=True)
    return SynthManifest.load(path)


def _score(pred: list[tuple[tuple[int, int], dict]], gt: GroundTruth) -> tuple[float, float, int]:
    s = assign([Tube(interval=iv, boxes=b) for iv, b in pred], [Tube(interval=r.interval, boxes=r.boxes) for r in gt.referents])
    return s.tIoU, s.mvIoU, len(pred)


def random_person(manifest: SynthManifest, video: VideoEntry, seed: str) -> list[tuple[tuple[int, int], dict]]:
    """One random person of the video: the whole visible track with its exact per-second boxes."""
    frames = load_frame_gt(manifest.path(video.frames_gt))
    pid = random.Random(seed).choice(sorted(frames))
    conv = seconds_from_frames(frames[pid], (min(frames[pid]), max(frames[pid])), video.fps)
    return [] if conv is None else [conv]


def run_split(manifest: SynthManifest, config: GroundConfig, *, limit: int | None, baselines: bool) -> list[dict]:
    """Every query of one split: the agent's and the baselines' scores and costs."""
    from tqdm import tqdm

    rows: list[dict] = []
    total = sum(len(v.queries) for v in manifest.videos)
    bar = tqdm(total=min(total, limit or total), desc=f"{manifest.split}", unit="query", file=sys.stderr, leave=False)
    for video in manifest.videos:
        if limit is not None and len(rows) >= limit:
            break
        path = manifest.path(video.path)
        tracks, script_s = None, 0.0
        if baselines:
            t = time.perf_counter()
            tracks = script_baseline.perceive(path)
            script_s = time.perf_counter() - t
        for q in video.queries:
            if limit is not None and len(rows) >= limit:
                break
            gt = GroundTruth.from_stvg(manifest.path(q.gt).read_text())
            t = time.perf_counter()
            result = ground(path, q.text, config)
            seconds = time.perf_counter() - t
            t_iou, mv_iou, _v, _h = score_query(result, gt)
            calls = result.stats.model_calls or model_cost(result)[0]
            row = {"video": video.name, "duration": video.duration, "query_id": q.query_id, "text": q.text,
                   "kind": q.kind, "form": q.form, "n_gt": len(gt.referents),
                   "agent": {"tIoU": t_iou, "mvIoU": mv_iou, "n": len(result.referents), "seconds": seconds,
                             "frames_detected": result.stats.frames_detected, "model_calls": calls}}
            if tracks is not None:
                t = time.perf_counter()
                pred = script_baseline.answer(tracks, q.text, video.width)
                ts, ms, n = _score(pred, gt)
                row["script"] = {"tIoU": ts, "mvIoU": ms, "n": n, "frames_detected": int(video.duration),
                                 "seconds": time.perf_counter() - t + script_s / max(1, len(video.queries))}
                ts, ms, n = _score(random_person(manifest, video, f"{video.name}:{q.query_id}"), gt)
                row["random"] = {"tIoU": ts, "mvIoU": ms, "n": n}
            rows.append(row)
            bar.update(1)
    bar.close()
    return rows


def _mean(xs: list[float]) -> float:
    return statistics.fmean(xs) if xs else float("nan")


def summary(rows: list[dict], method: str) -> dict:
    """n, m_tIoU, m_mvIoU, count errors of ``method`` over ``rows`` (and its costs when recorded)."""
    got = [r for r in rows if method in r]
    out = {"n": len(got), "m_tIoU": _mean([r[method]["tIoU"] for r in got]),
           "m_mvIoU": _mean([r[method]["mvIoU"] for r in got]),
           "count_errors": sum(r[method]["n"] != r["n_gt"] for r in got)}
    if got and "seconds" in got[0][method]:
        out["s_per_query"] = _mean([r[method]["seconds"] for r in got])
    if got and "frames_detected" in got[0][method]:
        per_video: dict[str, tuple[float, int]] = {}
        for r in got:  # a video's perception pass is reported by each of its queries (cached after the first)
            seen = per_video.get(r["video"], (r["duration"], 0))
            per_video[r["video"]] = (r["duration"], max(seen[1], r[method]["frames_detected"]))
        seconds = sum(d for d, _ in per_video.values())
        out["det_frames_per_s"] = sum(f for _, f in per_video.values()) / seconds if seconds else float("nan")
    if got and "model_calls" in got[0][method]:
        out["model_calls_per_query"] = _mean([r[method]["model_calls"] for r in got])
    return out


def groups(rows: list[dict]) -> dict[str, list[dict]]:
    """Rows by kind (table order), then the plural and counted forms, then all."""
    out: dict[str, list[dict]] = {k: [r for r in rows if r["kind"] == k] for k in KINDS}
    for form in ("plural", "counted"):
        out[f"form:{form}"] = [r for r in rows if r["form"] == form]
    out["all"] = rows
    return out


def _f(x: float | None, w: int = 6) -> str:
    return f"{'-':>{w}}" if x is None or math.isnan(x) else f"{x:>{w}.3f}"


def tables(by_split: dict[str, list[dict]], methods: list[str]) -> str:
    """The three printed tables (see module docs)."""
    g = {s: groups(rows) for s, rows in by_split.items()}
    head = f"{'kind':<16}" + "".join(f"| {s:<7}{'n':>4} {'tIoU':>6} {'mvIoU':>6} {'cnt_err':>7} " for s in by_split)
    lines = ["per kind, stag agent", head]
    for name in g[next(iter(g))]:
        if not any(g[s][name] for s in by_split):
            continue
        cells = ""
        for s in by_split:
            m = summary(g[s][name], "agent")
            cells += f"| {'':<7}{m['n']:>4} {_f(m['m_tIoU'])} {_f(m['m_mvIoU'])} {m['count_errors']:>7} "
        lines.append(f"{name:<16}{cells}")
    lines += ["", f"{'method':<62}" + "".join(f"| {s:<7} {'tIoU':>6} {'mvIoU':>6} " for s in by_split)
              + f"| {'det fr/s':>8} {'calls/q':>7} {'s/query':>7}"]
    for m in methods:
        cells = "".join(f"| {'':<7} {_f(summary(by_split[s], m)['m_tIoU'])} {_f(summary(by_split[s], m)['m_mvIoU'])} "
                        for s in by_split)
        allrows = [r for rows in by_split.values() for r in rows]
        c = summary(allrows, m)
        cost = f"| {_f(c.get('det_frames_per_s'), 8)} {_f(c.get('model_calls_per_query'), 7)} {_f(c.get('s_per_query'), 7)}"
        lines.append(f"{METHODS[m]:<62}{cells}{cost}")
    if len(methods) > 1 and "heldout" in g:
        lines += ["", f"{'heldout m_mvIoU':<16}" + "".join(f"{m:>9}" for m in methods)]
        for name, rows in g["heldout"].items():
            if rows:
                lines.append(f"{name:<16}" + "".join(_f(summary(rows, m)["m_mvIoU"], 9) for m in methods))
    return "\n".join(lines)


def markdown(by_split: dict[str, list[dict]], methods: list[str]) -> str:
    """The per-kind table as Markdown (agent per split, then each baseline's m_tIoU / m_mvIoU on the last split)."""
    g = {s: groups(rows) for s, rows in by_split.items()}
    last = list(by_split)[-1]
    head = ["kind"] + [f"{s} {c}" for s in by_split for c in ("n", "m_tIoU", "m_mvIoU", "count err")]
    head += [f"{last} {m} {c}" for m in methods[1:] for c in ("m_tIoU", "m_mvIoU")]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in g[last]:
        if not any(g[s][name] for s in by_split):
            continue
        cells = [name]
        for s in by_split:
            m = summary(g[s][name], "agent")
            cells += [str(m["n"]), _f(m["m_tIoU"], 0), _f(m["m_mvIoU"], 0), str(m["count_errors"])]
        for m in methods[1:]:
            b = summary(g[last][name], m)
            cells += [_f(b["m_tIoU"], 0), _f(b["m_mvIoU"], 0)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(by_split: dict[str, list[dict]], methods: list[str], path: Path) -> None:
    """Per-kind m_mvIoU bars, one panel per split, one bar per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(by_split), 1, figsize=(13, 3.2 * len(by_split)), squeeze=False)
    for ax, (split, rows) in zip(axes[:, 0], by_split.items()):
        g = groups(rows)
        names = list(g)
        width = 0.8 / len(methods)
        for i, m in enumerate(methods):
            vals = [summary(g[n], m)["m_mvIoU"] for n in names]
            ax.bar([k + i * width for k in range(len(names))], [0 if math.isnan(v) else v for v in vals], width, label=METHODS[m])
        ax.set_xticks([k + 0.4 - width / 2 for k in range(len(names))], names, rotation=40, ha="right", fontsize=8)
        ax.set_ylim(0, 1)
        ax.set_ylabel("m_mvIoU")
        ax.set_title(f"synthetic benchmark, {split} split")
    axes[0, 0].legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def model_costs(manifest: SynthManifest, config: GroundConfig, limit: int | None) -> dict:
    """Model planner calls and image tokens per query against designs that send frames (scripted endpoint)."""
    import numpy as np

    from agent.model_client import fit, image_tokens
    from tests.scripted_openai import ScriptedOpenAI, ScriptedReply

    calls, tokens, per_second, per_frame, frame_calls = [], [], [], [], []
    for video, q in manifest.queries():
        if limit is not None and len(calls) >= limit:
            break
        server = ScriptedOpenAI(model="scripted-glm").start()
        server.push(
            ScriptedReply.glm_answer("scan", json.dumps({"intervals": [[0, int(video.duration) - 1]], "reason": "whole"})),
            ScriptedReply.glm_answer("none", json.dumps({"action": "accept", "referents": [], "reason": "-"})),
        )
        try:
            result = ground(manifest.path(video.path), q.text,
                            config.model_copy(update={"planner": "model", "base_url": server.base_url, "model": server.model}))
        finally:
            server.stop()
        c, t = model_cost(result)
        calls.append(c)
        tokens.append(t)
        h, w = fit(np.zeros((video.height, video.width, 1), np.uint8), config.model_image_px).shape[:2]
        per_second.append(int(video.duration) * image_tokens(w, h))
        per_frame.append(video.frame_count * image_tokens(w, h))
        frame_calls.append(video.frame_count)
    return {"calls_per_query": _mean(calls), "image_tokens_per_query": _mean(tokens),
            "per_second_tokens": _mean(per_second), "per_frame_calls": _mean(frame_calls),
            "per_frame_tokens": _mean(per_frame)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--preset", default="small", choices=["small", "bench"])
    p.add_argument("--root", help="folder holding the benchmarks (default: .cache/synth)")
    p.add_argument("--splits", default="tune,heldout", help="comma-separated splits (default both)")
    p.add_argument("--limit", type=int, help="only the first N queries of each split")
    p.add_argument("--detector", help="detector spec (default: the agent's)")
    p.add_argument("--no-baselines", action="store_true", help="the agent only")
    p.add_argument("--model-costs", action="store_true", help="also count the model planner's calls and tokens")
    p.add_argument("--markdown", action="store_true", help="also print the per-kind table as Markdown (README)")
    p.add_argument("--cache-dir", help="perception cache to reuse (default: a fresh folder, so perception "
                   "runs cold and the cost columns count it); a kept folder re-scores the planner alone fast")
    p.add_argument("--out", default="agent_bench", help="name of the JSON and PNG under bench/results (default agent_bench)")
    args = p.parse_args(argv)
    splits = [s for s in args.splits.split(",") if s]
    if not splits or any(s not in SPLITS for s in splits):
        p.error(f"--splits must name some of {SPLITS}")
    root = Path(args.root or Path(__file__).resolve().parents[1] / ".cache" / "synth")
    command = "bench/agent_bench.py " + " ".join(argv if argv is not None else sys.argv[1:])
    config = GroundConfig(cache_dir=args.cache_dir or tempfile.mkdtemp(prefix="stag-bench-cache-"),
                          **({"detector": args.detector} if args.detector else {}))
    methods = ["agent"] + ([] if args.no_baselines else ["script", "random"])
    by_split, manifests = {}, {}
    t0 = time.perf_counter()
    for split in splits:
        manifests[split] = bench_manifest(root, args.preset, split)
        by_split[split] = run_split(manifests[split], config, limit=args.limit, baselines=not args.no_baselines)
    wall = time.perf_counter() - t0
    n_videos = {s: len({r["video"] for r in rows}) for s, rows in by_split.items()}
    text = [f"synthetic '{args.preset}': " + ", ".join(f"{s} {len(rows)} queries / {n_videos[s]} videos"
                                                       for s, rows in by_split.items()) + f"; wall {wall:.0f} s", "",
            tables(by_split, methods)]
    report = {"command": command, "preset": args.preset, "wall_s": wall,
              "summary": {s: {name: {m: summary(rows, m) for m in methods} for name, rows in groups(by_split[s]).items()}
                          for s in by_split},
              "queries": by_split}
    if args.model_costs:
        report["model"] = costs = model_costs(manifests[splits[0]], config, args.limit)
        text += ["", (f"model planner (scripted endpoint), per query: {costs['calls_per_query']:.1f} calls, "
                      f"{costs['image_tokens_per_query']:.0f} image tokens; every second as a frame: "
                      f"{costs['per_second_tokens']:.0f} tokens; every native frame: {costs['per_frame_tokens']:.0f} tokens")]
    if args.markdown:
        text += ["", markdown(by_split, methods)]
    text += ["", f"command: .venv/bin/python {command}".rstrip()]
    print("\n".join(text))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(report, indent=1))
    plot(by_split, methods, RESULTS / f"{args.out}.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
