"""``stag data build|traces`` and ``stag train sft|grpo``.

    stag data build --source synth --annotations BENCH --out data/synth-sl
    stag data build --source hcstvg-v2 --annotations anno/ --videos videos/ --out data/hcstvg-sl
    stag data traces --data data/synth-sl --base-url http://127.0.0.1:8000/v1 --model glm --out traces.jsonl
    stag train grpo --config training/recipes/tiny-cpu.yaml
"""

from __future__ import annotations

import argparse
import json
import sys

SOURCES = ("synth", "hcstvg-v1", "hcstvg-v2", "vidstg", "svag")


def data_main(argv: list[str] | None = None) -> int:
    """``stag data build ...`` / ``stag data traces ...``."""
    p = argparse.ArgumentParser(prog="stag data", description="build second-level training data")
    sub = p.add_subparsers(dest="verb", required=True)
    b = sub.add_parser("build", help="a Hugging Face dataset of prompts, 1-FPS frames and ground truth")
    b.add_argument("--source", required=True, choices=SOURCES)
    b.add_argument("--annotations", required=True, help="annotation file or folder (synth: the benchmark folder)")
    b.add_argument("--videos", help="folder of the videos (not needed for synth)")
    b.add_argument("--vidor", help="VidOR annotations (vidstg)")
    b.add_argument("--out", required=True)
    b.add_argument("--longest-side", type=int, default=448, help="frames are resized to this longest side")
    b.add_argument("--embed", action="store_true", help="store image bytes in the dataset (default: paths)")
    b.add_argument("--limit", type=int, help="only the first N samples")
    t = sub.add_parser("traces", help="corrected time-then-space reasoning traces for SFT (messages JSONL)")
    t.add_argument("--data", required=True, help="a folder made by 'stag data build'")
    t.add_argument("--base-url", required=True, help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1")
    t.add_argument("--model", required=True)
    t.add_argument("--out", required=True, help="JSONL file to write")
    t.add_argument("--limit", type=int)
    t.add_argument("--max-images", type=int, default=8, help="frames sent per request (evenly spaced)")
    t.add_argument("--max-tokens", type=int, default=1024)
    t.add_argument("--timeout", type=float, default=120.0)
    a = p.parse_args(argv)
    if a.verb == "build":
        from stagdata.load import load_samples
        from training.build import build

        try:
            samples = load_samples(a.source, a.annotations, a.videos, vidor=a.vidor)
        except (ValueError, FileNotFoundError) as exc:
            print(f"stag data build: {exc}", file=sys.stderr)
            return 2
        samples = samples[: a.limit] if a.limit else samples
        report = build(samples, a.out, longest_side=a.longest_side, embed=a.embed, total=len(samples))
        print(report.model_dump_json(indent=1))
        return 0 if report.rows else 1
    from training.traces import make_traces

    try:
        report = make_traces(a.data, a.base_url, a.model, a.out, limit=a.limit, max_images=a.max_images,
                             max_tokens=a.max_tokens, timeout=a.timeout)
    except (ValueError, FileNotFoundError) as exc:
        print(f"stag data traces: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=1))
    return 0 if report["written"] else 1


def train_main(argv: list[str] | None = None) -> int:
    """``stag train sft|grpo --config FILE.yaml``."""
    p = argparse.ArgumentParser(prog="stag train", description="SFT or GRPO with the verifier's reward (TRL)")
    p.add_argument("stage", choices=("sft", "grpo"))
    p.add_argument("--config", required=True, help="a recipe YAML (training/recipes/)")
    p.add_argument("--dry-run", action="store_true", help="validate the recipe and print the trainer arguments")
    a = p.parse_args(argv)
    from training.recipe import load_recipe, train

    try:
        recipe = load_recipe(a.config)
    except (ValueError, FileNotFoundError) as exc:
        print(f"stag train: {exc}", file=sys.stderr)
        return 2
    return train(recipe, a.stage, dry_run=a.dry_run)
