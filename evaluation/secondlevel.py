"""Second-level scores of paper 002 (the verifier's), and the synthetic benchmark's quick evaluation.

:func:`score_query` and :func:`summarize` are what ``stag eval-agent`` reports as its second-level
numbers on every dataset. :func:`evaluate` grounds a ``stag synth`` folder in one process (what
the agent's floors and ``bench/agent_bench.py`` use; ``stag eval-agent --bench DIR --json`` prints it).

The benchmark is a folder made by ``stag synth`` (``manifest.json``, the videos, per-second ground
truth per query). Every query is grounded with :func:`agent.api.ground`; perception of a video is
cached, so its many queries perceive it once. Scores come from :mod:`verifier`:

- per query, the multi-referent assignment score (:func:`verifier.multiref.assign`: predicted and true
  referents matched one-to-one, unmatched ones score 0), giving tIoU, mvIoU and vIoU;
- over queries, m_tIoU, m_mvIoU, m_vIoU, vIoU@0.3 and vIoU@0.5;
- HOTA at second level, pooled over queries as TrackEval pools sequences (all queries, and the
  multi-referent ones apart);
- wall time per query, and in model mode model calls and image tokens per query.

>>> summarize([QueryScore(query_id=1, text="q", multi=False, tIoU=1.0, mvIoU=0.5, vIoU=0.5, seconds=2.0)])["m_vIoU"]
0.5
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from pydantic import BaseModel

from agent.api import GroundConfig
from verifier.result import GroundingResult


class QueryScore(BaseModel):
    """The verifier's scores of one grounded query, and what it cost."""

    query_id: int
    text: str
    multi: bool
    tIoU: float
    mvIoU: float
    vIoU: float
    n_pred: int = 0
    n_gt: int = 0
    seconds: float = 0.0
    model_calls: int = 0
    image_tokens: int = 0
    fallback: bool = False
    verb: str = ""


def _gt(path: Path):
    from verifier.groundtruth import GroundTruth

    return GroundTruth.from_stvg(path.read_text())


def model_cost(result: GroundingResult) -> tuple[int, int]:
    """(model calls, image tokens) recorded in a result's trace."""
    events = [e for e in result.trace if e.kind == "model"]
    return len(events), sum(int(e.data.get("image_tokens") or 0) for e in events)


def score_query(result: GroundingResult, gt) -> tuple[float, float, float, object]:
    """Multi-referent tIoU, mvIoU, vIoU of ``result`` against a :class:`verifier.groundtruth.GroundTruth`,
    and the second-level HOTA of the query."""
    from verifier.hota import hota
    from verifier.multiref import assign
    from verifier.stvg import Tube

    preds = [Tube(interval=r.interval, boxes=r.boxes) for r in result.referents]
    gts = [Tube(interval=r.interval, boxes=r.boxes) for r in gt.referents]
    s = assign(preds, gts)
    frames_gt: dict[int, dict[int, tuple]] = {}
    for i, r in enumerate(gt.referents, start=1):
        for k, b in r.boxes.items():
            frames_gt.setdefault(k, {})[i] = b
    frames_pr: dict[int, dict[int, tuple]] = {}
    for r in result.referents:
        for k, b in r.boxes.items():
            frames_pr.setdefault(k, {})[r.id] = b
    return s.tIoU, s.mvIoU, s.vIoU, hota(frames_gt, frames_pr)


def summarize(scores: list[QueryScore], hotas: Iterable[tuple[bool, object]] = ()) -> dict[str, float]:
    """Means over queries (and pooled HOTA when given)."""
    from verifier.stvg import TubeScores, mean_scores

    out = mean_scores([TubeScores(s.tIoU, s.mvIoU, s.vIoU) for s in scores])
    out["queries"] = len(scores)
    out["seconds_per_query"] = sum(s.seconds for s in scores) / max(1, len(scores))
    out["model_calls_per_query"] = sum(s.model_calls for s in scores) / max(1, len(scores))
    out["image_tokens_per_query"] = sum(s.image_tokens for s in scores) / max(1, len(scores))
    out["fallbacks"] = sum(s.fallback for s in scores)
    hotas = list(hotas)
    if hotas:
        from verifier.hota import combine_hota

        out["HOTA"] = combine_hota([h for _, h in hotas]).HOTA
        multi = [h for m, h in hotas if m]
        if multi:
            out["HOTA_multi"] = combine_hota(multi).HOTA
    return out


def evaluate(
    bench: str | Path,
    config: GroundConfig,
    *,
    limit: int | None = None,
    on_query: Callable[[QueryScore], None] | None = None,
) -> dict:
    """Ground every query of the benchmark at ``bench`` and score it; returns ``{"summary", "single",
    "multi", "queries"}``."""
    from agent.api import ground
    from stagdata.synth.manifest import SynthManifest

    manifest = SynthManifest.load(bench)
    if config.cache_dir is None:
        config = config.model_copy(update={"cache_dir": tempfile.mkdtemp(prefix="stag-eval-cache-")})
    scores: list[QueryScore] = []
    hotas: list[tuple[bool, object]] = []
    for video in manifest.videos:
        for q in video.queries:
            if limit is not None and len(scores) >= limit:
                break
            gt = _gt(manifest.path(q.gt))
            t = time.perf_counter()
            result = ground(manifest.path(video.path), q.text, config)
            seconds = time.perf_counter() - t
            t_iou, mv_iou, v_iou, h = score_query(result, gt)
            calls, tokens = model_cost(result)
            s = QueryScore(query_id=q.query_id, text=q.text, multi=q.multi, tIoU=t_iou, mvIoU=mv_iou, vIoU=v_iou,
                           n_pred=len(result.referents), n_gt=len(gt.referents), seconds=round(seconds, 3),
                           model_calls=calls, image_tokens=tokens, verb=q.verb,
                           fallback=any(e.kind == "fallback" for e in result.trace))
            scores.append(s)
            hotas.append((q.multi, h))
            if on_query:
                on_query(s)
    return {
        "summary": summarize(scores, hotas),
        "single": summarize([s for s in scores if not s.multi], [h for h in hotas if not h[0]]),
        "multi": summarize([s for s in scores if s.multi], [h for h in hotas if h[0]]),
        "queries": [s.model_dump() for s in scores],
    }
