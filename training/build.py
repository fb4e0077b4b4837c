"""``stag data build``: second-level training data (paper 002 §3.4) as a Hugging Face dataset.

Per sample (one query about one video, from any :func:`stagdata.load.load_samples` source): the
paper's tracking prompt (appendix A.1) as chat messages with one image per second; the 1-FPS
frames (``images``: JPEG files, or their bytes with ``embed=True``; longest side ``longest_side``);
the ground truth in the verifier's target form (``ground_truth``, the ``stag eval stvg`` JSON) and
as the GLM-V answer JSON (``answer``, 0-1000 boxes); the same answer as an assistant turn
(``completion``) for SFT; metadata; and verl's columns (``data_source``,
``reward_model.ground_truth``, ``extra_info``). Saved with ``save_to_disk`` (``DIR/hf``) and as parquet
(``DIR/data.parquet``); ``datasets.load_from_disk(DIR/hf)`` gives what TRL's ``SFTTrainer`` /
``GRPOTrainer`` take (``prompt``, ``completion``, ``images``, ``ground_truth``).

Resumable: rows are appended to ``DIR/rows.jsonl`` as they are made and a rerun skips the samples
already there; frames of a video are extracted once. A bad sample (missing or unreadable video, no
second-level ground truth, ...) is skipped and counted by reason in ``DIR/report.json``.

    stag data build --source synth --annotations bench/ --out data/synth-sl --longest-side 448
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from agent.prompts import TRACKING
from stagdata.sample import Sample
from verifier.result import Referent


class BuildReport(BaseModel):
    """What a build did: rows written (now and before), skips by reason, where the dataset is."""

    rows: int = 0
    new_rows: int = 0
    skipped: dict[str, int] = Field(default_factory=dict)
    hf_dir: str = ""
    parquet: str = ""


def ground_truth_json(sample: Sample) -> str:
    """The verifier's target form (``stag eval stvg`` JSON) of the sample's second-level referents."""
    def ref(r: Referent) -> dict[str, Any]:
        return {"id": r.id, "label": r.label, "interval": [int(r.interval[0]), int(r.interval[1])],
                "boxes": {str(k): [float(v) for v in b] for k, b in sorted(r.boxes.items())}}

    if len(sample.referents) == 1 and len(sample.tubes) == 1:
        return json.dumps({"query": sample.query, "width": sample.width, "height": sample.height,
                           **ref(sample.referents[0])})
    return json.dumps({"query": sample.query, "width": sample.width, "height": sample.height,
                       "referents": [ref(r) for r in sample.referents]})


def glmv_answer(sample: Sample) -> str:
    """The GLM-V per-second answer JSON (``{"k": [{"label", "bbox_2d"}]}``, 0-1000 integer boxes).

    >>> from verifier.result import Referent
    >>> s = Sample(sample_id="1", dataset="synth", video="v.mp4", query="q", kind="single", fps=1.0,
    ...            frame_count=2, width=200, height=100,
    ...            referents=[Referent(id=3, label="person", interval=(1, 1), boxes={1: (20, 10, 100, 50)})])
    >>> glmv_answer(s)
    '{"1": [{"label": "person-3", "bbox_2d": [100, 100, 500, 500]}]}'
    """
    per: dict[int, list[dict[str, Any]]] = {}
    for r in sample.referents:
        for k, b in sorted(r.boxes.items()):
            box = [round(b[0] * 1000 / sample.width), round(b[1] * 1000 / sample.height),
                   round(b[2] * 1000 / sample.width), round(b[3] * 1000 / sample.height)]
            per.setdefault(int(k), []).append({"label": f"{r.label}-{r.id}", "bbox_2d": box})
    return json.dumps({str(k): v for k, v in sorted(per.items())})


def prompt_messages(query: str, seconds: int) -> list[dict[str, Any]]:
    """The A.1 tracking prompt as one user turn: ``second k`` then its image, for every second."""
    content: list[dict[str, Any]] = []
    for k in range(seconds):
        content += [{"type": "text", "text": f"second {k}:"}, {"type": "image"}]
    content.append({"type": "text", "text": TRACKING.format(target=query)})
    return [{"role": "user", "content": content}]


def _frames(sample: Sample, frames_root: Path, longest_side: int) -> list[str]:
    """1-FPS JPEGs of the sample's video (extracted once per video and size); their paths."""
    import cv2

    from tools.video import iter_samples

    key = hashlib.sha1(f"{sample.video_key}:{longest_side}".encode()).hexdigest()[:16]
    folder = frames_root / key
    done = folder / "done.json"
    if done.is_file():
        return json.loads(done.read_text())
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for s in iter_samples(sample.video):
        img = s.image
        h, w = img.shape[:2]
        scale = min(1.0, longest_side / max(h, w))
        if scale < 1.0:
            img = cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
        p = folder / f"{s.index:05d}.jpg"
        cv2.imwrite(str(p), img, [cv2.IMWRITE_JPEG_QUALITY, 90])
        paths.append(str(p.resolve()))
    done.write_text(json.dumps(paths))
    return paths


def make_row(sample: Sample, frames: list[str]) -> dict[str, Any]:
    """One dataset row of a sample whose 1-FPS frames are ``frames``; ValueError if it cannot be used."""
    if not sample.referents:
        raise ValueError("no second-level ground truth")
    last = max(r.interval[1] for r in sample.referents)
    if last >= len(frames):
        raise ValueError("ground truth beyond the video's last second")
    answer = glmv_answer(sample)
    gt = ground_truth_json(sample)
    return {
        "id": f"{sample.dataset}:{sample.sample_id}",
        "prompt": prompt_messages(sample.query, len(frames)),
        "completion": [{"role": "assistant", "content": [{"type": "text", "text": answer}]}],
        "images": frames,
        "answer": answer,
        "ground_truth": gt,
        "data_source": f"stag-{sample.dataset}", "reward_model": {"style": "rule", "ground_truth": gt},
        "extra_info": {"id": f"{sample.dataset}:{sample.sample_id}"},
        "source": sample.dataset, "sample_id": sample.sample_id, "query": sample.query, "kind": sample.kind,
        "video": sample.video, "fps": sample.fps, "seconds": len(frames),
        "width": sample.width, "height": sample.height,
    }


def _reason(exc: BaseException) -> str:
    text = str(exc).split(":")[0] if isinstance(exc, ValueError) and str(exc) else type(exc).__name__
    return text[:80]


def build(samples: Iterable[Sample], out: str | Path, *, longest_side: int = 448, embed: bool = False,
          progress: bool = True, total: int | None = None) -> BuildReport:
    """Write the dataset for ``samples`` into ``out`` (resuming a previous build there)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows_path = out / "rows.jsonl"
    done = set()
    if rows_path.is_file():
        good = []
        for line in rows_path.read_text().splitlines():
            try:
                done.add(json.loads(line)["id"])
                good.append(line)
            except (ValueError, KeyError):      # a row cut short by an interrupted build
                continue
        rows_path.write_text("".join(g + "\n" for g in good))
    skipped: Counter[str] = Counter()
    new = 0
    items = samples
    if progress:
        from tqdm import tqdm

        items = tqdm(samples, total=total, desc="stag data build", unit="sample")
    with rows_path.open("a") as f:
        for s in items:
            rid = f"{s.dataset}:{s.sample_id}"
            if rid in done:
                continue
            try:
                row = make_row(s, _frames(s, out / "frames", longest_side))
            except Exception as exc:  # noqa: BLE001 - a bad sample is skipped with its reason, never a crash
                skipped[_reason(exc)] += 1
                continue
            f.write(json.dumps(row) + "\n")
            f.flush()
            done.add(rid)
            new += 1
    report = _save(rows_path, out, embed)
    report.new_rows, report.skipped = new, dict(skipped)
    (out / "report.json").write_text(report.model_dump_json(indent=1))
    return report


def features(embed: bool):  # -> datasets.Features
    """The dataset's schema (``images`` decode to PIL images; paths, or bytes when ``embed``)."""
    from datasets import Features, Image, List, Value

    text_part = {"type": Value("string"), "text": Value("string")}
    message = {"role": Value("string"), "content": List(text_part)}
    return Features({
        "id": Value("string"), "prompt": List(message), "completion": List(message),
        "images": List(Image()), "answer": Value("string"), "ground_truth": Value("string"),
        "source": Value("string"), "sample_id": Value("string"), "query": Value("string"), "kind": Value("string"),
        "video": Value("string"), "fps": Value("float64"), "seconds": Value("int64"),
        "width": Value("int64"), "height": Value("int64"), "data_source": Value("string"),
        "reward_model": {"style": Value("string"), "ground_truth": Value("string")}, "extra_info": {"id": Value("string")},
    })


def _save(rows_path: Path, out: Path, embed: bool) -> BuildReport:
    from datasets import Dataset

    rows = [json.loads(line) for line in rows_path.read_text().splitlines()]
    for r in rows:
        r["images"] = [{"path": p, "bytes": Path(p).read_bytes() if embed else None} for p in r["images"]]
        for turn in r["prompt"] + r["completion"]:
            turn["content"] = [{"type": c["type"], "text": c.get("text")} for c in turn["content"]]
    ds = Dataset.from_list(rows, features=features(embed))
    hf_dir, parquet = out / "hf", out / "data.parquet"
    ds.save_to_disk(str(hf_dir))
    ds.to_parquet(str(parquet))
    return BuildReport(rows=len(rows), hf_dir=str(hf_dir), parquet=str(parquet))
