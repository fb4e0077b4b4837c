"""``stag data traces``: time-then-space reasoning traces with corrected geometry (paper 002 §3.5).

A multimodal model behind any OpenAI-compatible endpoint is asked, per sample of a ``stag data
build`` folder, for a concise time-then-space trace (appendix A.3) ending in a per-second answer.
:func:`correct` then keeps the model's words and replaces its answer's seconds and boxes with the
ground truth's (labels kept, in order of appearance): "we do not trust generated geometry as
supervision". Traces that cannot be used are rejected and counted by reason. The output is JSONL
in TRL's conversational format (``messages`` with image placeholders, plus ``images``), which
``SFTTrainer`` takes as it is.

>>> gt = {"1": [{"label": "person-3", "bbox_2d": [10, 20, 30, 40]}]}
>>> correct('<think>He walks in at the start.</think><answer>{"0": [{"label": "man", "bbox_2d": [1, 2, 3, 4]}]}</answer>', gt)
'<think>He walks in at the start.</think><answer>{"1": [{"label": "man", "bbox_2d": [10, 20, 30, 40]}]}</answer>'
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

TRACE_PROMPT = (
    "Given the sampled video frames (one per second, numbered) and the query \"{query}\", write a concise "
    "reasoning trace for spatio-temporal grounding inside <think>...</think>: first WHEN (the rough seconds "
    "where the described event happens), then WHO (the referred target, its discriminative attributes, its "
    "actions and any distractors). Do not write coordinates in the reasoning. Then give the answer inside "
    "<answer>...</answer> as JSON keyed by second (from 0): "
    '{{"0": [{{"label": "person-1", "bbox_2d": [x1, y1, x2, y2]}}]}} with boxes in 0-1000 units.'
)
"""Paper 002 appendix A.3 (the trace synthesis instruction), with the answer format spelled out."""


class TraceRejected(ValueError):
    """A trace that cannot be corrected; ``reason`` is the counted reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_ANSWER_RE = re.compile(r"<answer>(.*?)(?:</answer>|$)", re.DOTALL | re.IGNORECASE)
_BOX_IN_TEXT_RE = re.compile(r"\[\s*\d+(?:\.\d+)?\s*,\s*\d+(?:\.\d+)?\s*,\s*\d+(?:\.\d+)?\s*,\s*\d+(?:\.\d+)?\s*\]")
_SECOND_KEY_RE = re.compile(r"^\s*\d+\s*$")
_DECODER = json.JSONDecoder()


def _answer_span(text: str) -> tuple[int, int, dict[str, Any]]:
    """(start, end, decoded) of the per-second answer JSON: inside <answer> if present, else the last one."""
    m = _ANSWER_RE.search(text)
    lo, hi = (m.start(1), m.end(1)) if m else (0, len(text))
    found = None
    for i in range(lo, hi):
        if text[i] != "{":
            continue
        try:
            obj, end = _DECODER.raw_decode(text, i)
        except ValueError:
            continue
        if isinstance(obj, dict) and obj and all(_SECOND_KEY_RE.match(str(k)) for k in obj) and lo + (end - i) <= hi:
            found = (i, end, obj)
            if m:
                break
    if found is None:
        raise TraceRejected("answer is not per-second JSON" if m else "no answer")
    return found


def _labels_in_order(answer: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for k in sorted(answer, key=lambda s: int(s)):
        dets = answer[k] if isinstance(answer[k], list) else [answer[k]]
        for d in dets:
            if isinstance(d, dict) and isinstance(d.get("label"), str) and d["label"] not in out:
                out.append(d["label"])
    return out


def correct(text: str, gt_answer: dict[str, Any] | str) -> str:
    """``text`` with its answer's seconds and boxes replaced by ``gt_answer``'s (GLM-V per-second JSON).

    Everything outside the answer JSON is kept byte for byte; the model's labels are kept, matched to
    the ground truth's referents in order of first appearance (ground-truth labels where the model
    named fewer). Raises :class:`TraceRejected` (empty, no answer, coordinates in the reasoning).
    """
    if not isinstance(text, str) or not text.strip():
        raise TraceRejected("empty")
    gt = json.loads(gt_answer) if isinstance(gt_answer, str) else gt_answer
    start, end, answer = _answer_span(text)
    if _BOX_IN_TEXT_RE.search(text[:start]):
        raise TraceRejected("coordinates in the reasoning")
    mine = _labels_in_order(answer)
    theirs = _labels_in_order(gt)
    rename = {g: (mine[i] if i < len(mine) else g) for i, g in enumerate(theirs)}
    fixed = {k: [{"label": rename.get(d["label"], d["label"]), "bbox_2d": d["bbox_2d"]} for d in v]
             for k, v in gt.items()}
    return text[:start] + json.dumps(fixed) + text[end:]


def _image_part(path: str) -> dict[str, Any]:
    data = base64.b64encode(Path(path).read_bytes()).decode()
    return {"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{data}"}}


def _pick(n: int, k: int) -> list[int]:
    if n <= k:
        return list(range(n))
    return sorted({round(i * (n - 1) / (k - 1)) for i in range(k)}) if k > 1 else [0]


def request_messages(row: dict[str, Any], max_images: int) -> tuple[list[dict[str, Any]], list[int]]:
    """The chat request for one dataset row (evenly spaced seconds) and the seconds it shows."""
    seconds = _pick(len(row["images"]), max_images)
    content: list[dict[str, Any]] = []
    for k in seconds:
        content += [{"type": "text", "text": f"second {k}:"}, _image_part(row["images"][k])]
    content.append({"type": "text", "text": TRACE_PROMPT.format(query=row["query"])})
    return [{"role": "user", "content": content}], seconds


def sft_record(row: dict[str, Any], seconds: list[int], trace: str) -> dict[str, Any]:
    """A TRL conversational example: the user turn with image placeholders, the corrected trace."""
    content: list[dict[str, Any]] = []
    for k in seconds:
        content += [{"type": "text", "text": f"second {k}:"}, {"type": "image"}]
    content.append({"type": "text", "text": TRACE_PROMPT.format(query=row["query"])})
    return {"id": row["id"], "messages": [{"role": "user", "content": content},
                                          {"role": "assistant", "content": [{"type": "text", "text": trace}]}],
            "images": [row["images"][k] for k in seconds], "ground_truth": row["ground_truth"]}


def make_traces(data: str | Path, base_url: str, model: str, out: str | Path, *, limit: int | None = None,
                max_images: int = 8, max_tokens: int = 1024, timeout: float = 120.0) -> dict[str, Any]:
    """Ask the model for a trace per row of ``data`` (a 'stag data build' folder), correct, write JSONL."""
    from openai import APIError, OpenAI

    rows_path = Path(data) / "rows.jsonl"
    if not rows_path.is_file():
        raise FileNotFoundError(f"no rows.jsonl in {data}: build the dataset with 'stag data build' first")
    rows = [json.loads(line) for line in rows_path.read_text().splitlines() if line.strip()]
    rows = rows[:limit] if limit else rows
    client = OpenAI(base_url=base_url, api_key="EMPTY", timeout=timeout, max_retries=0)
    rejected: Counter[str] = Counter()
    written = 0
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w") as f:
        for row in rows:
            messages, seconds = request_messages(row, max_images)
            try:
                reply = client.chat.completions.create(model=model, messages=messages, max_tokens=max_tokens,
                                                       temperature=0.7)
            except APIError as exc:
                rejected[f"request failed: {type(exc).__name__}"] += 1
                continue
            msg = reply.choices[0].message
            text = msg.content or ""
            reasoning = getattr(msg, "reasoning_content", None) or (msg.model_extra or {}).get("reasoning_content")
            if reasoning and "<think>" not in text:
                text = f"<think>{reasoning}</think>{text}"
            try:
                trace = correct(text, row["answer"])
            except TraceRejected as exc:
                rejected[exc.reason] += 1
                continue
            f.write(json.dumps(sft_record(row, seconds, trace)) + "\n")
            written += 1
    return {"requests": len(rows), "written": written, "rejected": dict(rejected), "out": str(out)}
