"""A text-rendered second-level grounding task made from the synthetic benchmark (for ``make rl-smoke``).

Each example is a window of ``seconds`` seconds of a synthetic video. The prompt lists every
visible person with a one-letter label and, for each second it is visible, its box in 0-1000 units
rounded to ``step`` (``layout="per_object"``, the default, like a tracker's output; or second by
second, ``"per_second"``); the query names one letter. The answer is the paper's second-level form in the compact
per-second shape the verifier parses (``{"1": [x1, y1, x2, y2], ...}``): the seconds where that
person is visible and its box at each. The ground truth is the benchmark's exact pixel box at the
frame that represents each second (:mod:`verifier.timebase`), so a perfect copy of the rounded
input scores a little below the maximum reward; words are space separated so that a word-level
tokenizer can read it.

>>> ex = TextExample(prompt="track a : 0 a 10 20 30 40 ;", answer='{ "0" : [ 10 , 20 , 30 , 40 ] }',
...                  ground_truth='{"width": 1000, "height": 1000, "interval": [0, 0], "boxes": {"0": [10, 20, 30, 40]}}')
>>> from verifier.rewards import stvg_reward
>>> stvg_reward(ex.answer, ex.ground_truth).reward
2.0
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from stagdata.synth import SynthConfig, SynthManifest, generate
from verifier.timebase import sample_frames

LETTERS = "abcde"
PUNCT = ["{", "}", "[", "]", ":", ",", ";", "track"]


class TextTaskConfig(BaseModel):
    """How the text task is cut from the benchmark."""

    model_config = ConfigDict(frozen=True)

    seconds: int = Field(5, ge=1, le=20, description="window length in seconds")
    step: int = Field(10, ge=1, le=100, description="rounding of the 0-1000 coordinates shown and answered")
    max_objects: int = Field(4, ge=1, le=len(LETTERS), description="at most this many people per window")
    videos: int = Field(16, ge=1, le=200, description="synthetic videos to generate")
    duration: float = Field(20.0, gt=0, le=120, description="seconds per synthetic video")
    layout: Literal["per_object", "per_second"] = Field(
        "per_object", description="prompt lists each person's seconds and boxes, or each second's people")


class TextExample(BaseModel):
    """One example: prompt text, reference answer text and the verifier's ground truth (JSON string)."""

    prompt: str
    answer: str
    ground_truth: str


def vocabulary(cfg: TextTaskConfig) -> list[str]:
    """Every word the task can contain (the tiny tokenizer's vocabulary, specials excluded).

    >>> len(vocabulary(TextTaskConfig(seconds=2, step=100)))
    26
    """
    numbers = [str(v) for v in range(0, 1001, cfg.step)]
    seconds = [str(s) for s in range(cfg.seconds) if str(s) not in numbers]
    quoted = [f'"{s}"' for s in range(cfg.seconds)]
    return PUNCT + list(LETTERS[:cfg.max_objects]) + numbers + seconds + quoted


def _norm(box: list[float], width: int, height: int, step: int) -> list[int]:
    sx, sy = 1000.0 / width, 1000.0 / height
    vals = [box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy]
    return [min(1000, max(0, round(v / step) * step)) for v in vals]


def _answer(per_second: dict[int, list[int]]) -> str:
    parts = [f'"{s}" : [ {b[0]} , {b[1]} , {b[2]} , {b[3]} ]' for s, b in sorted(per_second.items())]
    return "{ " + " , ".join(parts) + " }"


def examples_from_frames(frames_gt: dict, cfg: TextTaskConfig, rng: random.Random) -> list[TextExample]:
    """Every window x target example of one video's per-frame ground truth (``gt/<name>.frames.json``)."""
    width, height, fps = int(frames_gt["width"]), int(frames_gt["height"]), float(frames_gt["fps"])
    frames = sample_frames(int(frames_gt["frame_count"]), fps)
    tracks: dict[int, dict[int, list[float]]] = {}
    for actor in frames_gt["actors"]:
        first, boxes = int(actor["first_frame"]), actor["boxes"]
        per = {}
        for sec, f in enumerate(frames):
            i = f - first
            if 0 <= i < len(boxes) and boxes[i] is not None:
                per[sec] = boxes[i]
        if per:
            tracks[int(actor["id"])] = per
    out: list[TextExample] = []
    for start in range(len(frames) - cfg.seconds + 1):
        window = range(start, start + cfg.seconds)
        present = [a for a, per in sorted(tracks.items()) if any(s in per for s in window)]
        if not present or len(present) > cfg.max_objects:
            continue
        letters = rng.sample(LETTERS[:cfg.max_objects], len(present))
        if cfg.layout == "per_second":
            lines = []
            for k, s in enumerate(window):
                items = sorted(f"{letters[j]} " + " ".join(map(str, _norm(tracks[a][s], width, height, cfg.step)))
                               for j, a in enumerate(present) if s in tracks[a])
                lines.append(" ".join([str(k), *items, ";"]))
        else:
            lines = [" ".join([letters[j], *(f"{s - start} " + " ".join(map(str, _norm(tracks[a][s], width, height,
                                                                                      cfg.step)))
                                             for s in window if s in tracks[a]), ";"])
                     for j, a in sorted(enumerate(present), key=lambda ja: letters[ja[0]])]
        for j, a in enumerate(present):
            secs = [s for s in window if s in tracks[a]]
            rel = {s - start: tracks[a][s] for s in secs}
            gt = {"width": width, "height": height, "interval": [min(rel), max(rel)],
                  "boxes": {str(k): [float(v) for v in b] for k, b in rel.items()}}
            answer = _answer({k: _norm(b, width, height, cfg.step) for k, b in rel.items()})
            prompt = f"track {letters[j]} : " + " ".join(lines)
            out.append(TextExample(prompt=prompt, answer=answer, ground_truth=json.dumps(gt)))
    return out


def make_examples(out_dir: str | Path, cfg: TextTaskConfig | None = None, seed: int = 0) -> list[TextExample]:
    """Generate the synthetic benchmark into ``out_dir`` (random programs) and cut it into examples.

    The same seed gives the same examples, in a shuffled order.
    """
    cfg = cfg or TextTaskConfig()
    synth = SynthConfig(name="textgrid", videos=cfg.videos, duration=cfg.duration, channels=2,
                        phrasings=1, svag_json=False, crf=35)
    root = Path(out_dir)
    manifest_path = root / "manifest.json"
    manifest = SynthManifest.load(root) if manifest_path.is_file() else generate(synth, root, seed=seed)
    if manifest.config != synth or manifest.seed != seed:
        manifest = generate(synth, root, seed=seed)
    rng = random.Random(seed)
    out: list[TextExample] = []
    for video in manifest.videos:
        out += examples_from_frames(json.loads(manifest.path(video.frames_gt).read_text()), cfg, rng)
    rng.shuffle(out)
    return out
