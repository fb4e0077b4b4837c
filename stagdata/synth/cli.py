"""``stag synth``: generate the synthetic grounding benchmark (or one example clip).

    stag synth --out bench/synth-small --preset small --seed 0
    stag synth --out bench/synth-small-heldout --preset small --split heldout
    stag synth --out outputs/synth-bench --preset bench --seed 0 --videos 24
    stag synth --out outputs/clip --clip meet --seconds 12
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from stagdata.synth.generate import PRESETS, generate, render_clip
from stagdata.synth.scenes import ACTS


def _positive(kind: type) -> object:
    def parse(text: str) -> float | int:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {kind.__name__}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value
    return parse


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="stag synth",
        description="Generate the synthetic grounding benchmark: real people from the bundled film moving over "
                    "real street plates, with exact boxes, action labels, queries, per-second GT and SVAG-Bench JSON.",
    )
    ap.add_argument("--out", required=True, help="output folder (created; existing files are overwritten)")
    ap.add_argument("--preset", default="small", choices=sorted(PRESETS), help="small: 4 x 12 s; bench: 12 x 20 s")
    ap.add_argument("--split", default="tune", choices=["tune", "heldout"],
                    help="tune, or heldout (other seeds, plates, sprite looks and paraphrases; never tune on it)")
    ap.add_argument("--seed", type=int, default=0, help="same seed, same videos and ground truth")
    ap.add_argument("--videos", type=_positive(int), help="override the preset's number of videos")
    ap.add_argument("--duration", type=_positive(float), help="override the preset's seconds per video")
    ap.add_argument("--clip", choices=sorted(ACTS), help="render one example clip of this act instead")
    ap.add_argument("--seconds", type=float, default=12.0, help="length of the --clip video")
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``stag synth``; returns the exit code."""
    args = _parser().parse_args(argv)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        print(f"stag synth: --out {out} exists and is not a folder; give a folder path", file=sys.stderr)
        return 2
    if args.seed < 0:
        print(f"stag synth: --seed must be >= 0, got {args.seed}", file=sys.stderr)
        return 2
    try:
        if args.clip:
            if not 2.0 <= args.seconds <= 600.0:
                raise ValueError(f"--seconds must be between 2 and 600, got {args.seconds}")
            video = render_clip(out, args.clip, seconds=args.seconds, seed=args.seed)
            print(f"clip: {out / video.path} ({video.duration:g} s, {len(video.actors)} people)")
            for q in video.queries:
                refs = ", ".join(f"#{r.actor} {r.interval[0]}-{r.interval[1]}s" for r in q.referents)
                print(f"  {q.text!r}: {refs}")
            return 0
        config = PRESETS[args.preset]
        updates = {k: v for k, v in (("videos", args.videos), ("duration", args.duration)) if v is not None}
        if updates:
            config = config.model_validate({**config.model_dump(), **updates})
        manifest = generate(config, out, args.seed, split=args.split, progress_bar=True)
    except (ValueError, OSError) as exc:
        print(f"stag synth: {exc}", file=sys.stderr)
        return 2
    queries = [q for v in manifest.videos for q in v.queries]
    kinds = Counter(q.kind for q in queries)
    print(f"{len(manifest.videos)} videos, {len(queries)} queries "
          f"({sum(q.multi for q in queries)} multi-referent) -> {out / 'manifest.json'}")
    print(f"  split {manifest.split}; kinds: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    if manifest.svag_gt:
        print(f"  SVAG-Bench ground truth: {out / manifest.svag_gt}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
