"""The agent on the synthetic benchmark: quality, time per query, and model cost against a per-frame design.

    .venv/bin/python bench/agent_bench.py [--preset small|bench] [--bench DIR] [--detector SPEC]
                                          [--base-url URL --model NAME]

1. The embedded planner grounds every query of ``stag synth --preset PRESET`` (made in ``--bench``
   if absent) and the verifier scores it (:mod:`agent.evaluate`): m_tIoU, m_mvIoU, m_vIoU,
   vIoU@0.3, vIoU@0.5, HOTA (all and multi-referent), and wall time per query (perception starts
   cold and is cached per video and window, so the first query of a video pays for it; the mean
   covers both).
2. Model mode: the model planner grounds the same queries against an OpenAI-compatible endpoint
   (``--base-url``/``--model``; by default a scripted loopback server per query that answers "the
   whole video" and "no track matches", enough to count what the design sends). Reported per query: model
   calls and image tokens (28-pixel merged patches, GLM-4.xV / Qwen-VL), against two designs that
   send frames: every second's frame in one request (1 call), and every native frame one call
   each (iterative per-frame tracking).

Prints tables and the command; writes ``bench/results/agent_bench.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.offline import apply_offline_env

apply_offline_env()

from agent.api import GroundConfig
from evaluation.secondlevel import evaluate
from agent.model_client import fit, image_tokens
from stagdata.synth.generate import generate
from stagdata.synth.manifest import SynthManifest

RESULTS = Path(__file__).resolve().parent / "results"


def _manifest(path: Path, preset: str) -> SynthManifest:
    if not (path / "manifest.json").exists():
        generate(preset, path, seed=0, progress_bar=True)
    return SynthManifest.load(path)


def _frame_tokens(width: int, height: int, max_side: int) -> int:
    import numpy as np

    h, w = fit(np.zeros((height, width, 1), np.uint8), max_side).shape[:2]
    return image_tokens(w, h)


def _model_costs(manifest: SynthManifest, config: GroundConfig, limit: int | None) -> list[tuple[int, int, bool]]:
    """(model calls, image tokens, fell back?) per query in model mode.

    Without an endpoint, each query gets a fresh scripted loopback server (the project's test helper)
    that answers the time step with the whole video and the space step with "no track matches".
    """
    from agent.api import ground
    from evaluation.secondlevel import model_cost

    out = []
    for video in manifest.videos:
        for q in video.queries:
            if limit is not None and len(out) >= limit:
                return out
            server = None
            if config.base_url is None:
                from tests.scripted_openai import ScriptedOpenAI, ScriptedReply

                server = ScriptedOpenAI(model="scripted-glm").start()
                server.push(
                    ScriptedReply.glm_answer("scan", json.dumps({"intervals": [[0, int(video.duration) - 1]],
                                                                 "reason": "whole video"})),
                    ScriptedReply.glm_answer("none", json.dumps({"action": "accept", "referents": [],
                                                                 "reason": "-"})),
                )
                cfg = config.model_copy(update={"base_url": server.base_url, "model": server.model})
            else:
                cfg = config
            try:
                result = ground(manifest.path(video.path), q.text, cfg)
            finally:
                if server is not None:
                    server.stop()
            calls, tokens = model_cost(result)
            out.append((calls, tokens, any(e.kind == "fallback" for e in result.trace)))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--preset", default="small", choices=["small", "bench"])
    p.add_argument("--bench", help="benchmark folder (default: .cache/synth-<preset>)")
    p.add_argument("--detector", help="detector spec (default: the agent's)")
    p.add_argument("--base-url", help="model endpoint for model mode (default: a scripted loopback server)")
    p.add_argument("--model", help="model name at --base-url")
    p.add_argument("--limit", type=int, help="only the first N queries")
    args = p.parse_args(argv)
    root = Path(args.bench or Path(__file__).resolve().parents[1] / ".cache" / f"synth-{args.preset}")
    manifest = _manifest(root, args.preset)
    cache = Path(tempfile.mkdtemp(prefix="stag-bench-cache-"))  # cold: the times include perception
    extra = {"detector": args.detector} if args.detector else {}
    command = "bench/agent_bench.py " + " ".join(argv if argv is not None else sys.argv[1:])

    t = time.perf_counter()
    embedded = evaluate(root, GroundConfig(cache_dir=str(cache), **extra), limit=args.limit)
    embedded_wall = time.perf_counter() - t

    model_cfg = GroundConfig(planner="model", base_url=args.base_url, model=args.model or "scripted-glm",
                             cache_dir=str(cache), **extra)
    costs = _model_costs(manifest, model_cfg, args.limit)
    calls = statistics.mean(c for c, _, _ in costs)
    tokens = statistics.mean(t for _, t, _ in costs)

    videos = {v.name: v for v in manifest.videos}
    per_second, per_frame_calls, per_frame_tokens = [], [], []
    for video in videos.values():
        tok = _frame_tokens(video.width, video.height, model_cfg.model_image_px)
        for _ in video.queries:
            per_second.append(int(video.duration) * tok)
            per_frame_calls.append(video.frame_count)
            per_frame_tokens.append(video.frame_count * tok)
    n = args.limit or len(per_second)
    per_second, per_frame_calls, per_frame_tokens = per_second[:n], per_frame_calls[:n], per_frame_tokens[:n]

    s, multi = embedded["summary"], embedded["multi"]
    single_v, multi_v = embedded["single"]["m_vIoU"], multi["m_vIoU"]
    median_s = statistics.median(q["seconds"] for q in embedded["queries"])
    header = (f"{'m_tIoU':>8} {'m_mvIoU':>8} {'m_vIoU':>8} {'vIoU@0.3':>9} {'vIoU@0.5':>9} {'HOTA':>6} "
              f"{'HOTA_multi':>11} {'s/query':>8}")
    row = (f"{s['m_tIoU']:>8.3f} {s['m_mvIoU']:>8.3f} {s['m_vIoU']:>8.3f} {s['vIoU@0.3']:>9.3f} "
           f"{s['vIoU@0.5']:>9.3f} {s['HOTA']:>6.3f} {s.get('HOTA_multi', float('nan')):>11.3f} "
           f"{s['seconds_per_query']:>8.2f}")
    lines = [
        (f"embedded planner on synth '{args.preset}' ({s['queries']} queries, {multi['queries']} multi-referent, "
         f"{len(manifest.videos)} videos of {manifest.config.duration:g} s)"),
        header,
        row,
        (f"single-referent m_vIoU {single_v:.3f}, multi-referent m_vIoU {multi_v:.3f}; wall {embedded_wall:.0f} s "
         f"in all, median {median_s:.2f} s per query"),
        "",
        f"model mode ({args.model or 'scripted loopback server'}; {sum(f for _, _, f in costs)} fallbacks): per query",
        f"{'design':<44} {'calls':>8} {'image tokens':>13}",
        f"{'stag: time sheet + set-of-marks sheet':<44} {calls:>8.1f} {tokens:>13.0f}",
        f"{'every second as a frame, one request':<44} {1:>8.1f} {statistics.mean(per_second):>13.0f}",
        (f"{'every native frame, one call each':<44} {statistics.mean(per_frame_calls):>8.1f} "
         f"{statistics.mean(per_frame_tokens):>13.0f}"),
        "",
        f"command: .venv/bin/python {command}".rstrip(),
    ]
    print("\n".join(lines))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "agent_bench.json").write_text(json.dumps({
        "command": command, "embedded": embedded, "embedded_wall_s": embedded_wall,
        "model": {"calls_per_query": calls, "image_tokens_per_query": tokens, "per_second_tokens": statistics.mean(per_second),
                  "per_frame_calls": statistics.mean(per_frame_calls),
                  "per_frame_tokens": statistics.mean(per_frame_tokens)},
    }, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
