"""What a run writes besides ``predictions.jsonl``: official predictions, metrics and a report.

* ``predictions_official.json`` in the official evaluator's layout. HC-STVG (``eval_hcvg.py``):
  ``{video: {"st_frame", "ed_frame", "bbox": {"<frame>": [x1, y1, x2, y2]}}}``, frames in the
  annotation's numbering (1-based, inclusive ``ed_frame``); VidSTG likewise keyed by sample id
  (``"<record>:<q|c><index>"``) with ``vid``, ``qtype`` and 0-based VidOR frame ids; SVAG-Bench and
  the synthetic benchmark: the SVAG-Bench submission JSON (:func:`verifier.exports.to_svag_submission`).
* ``metrics.json``: ``m_tIoU``, ``m_vIoU``, ``vIoU@0.3``, ``vIoU@0.5`` under the frame-level protocol
  (:mod:`evaluation.protocol`), ``second_level`` (paper 002: multi-referent tIoU / mvIoU / vIoU and
  HOTA pooled over queries), ``by_kind``, ``svag`` (SVAGEval HOTA, mIoU, m-HIoU per subset) where
  the ground truth is in that format, and timing.
* ``report.md`` with tables, ``hist.png`` (tIoU / vIoU histograms), ``by_kind.png`` and the worst
  cases with their query.

>>> summarize_rows([{"tIoU": 1.0, "vIoU": 0.6}, {"tIoU": 0.5, "vIoU": 0.2}])
{'samples': 2, 'm_tIoU': 0.75, 'm_vIoU': 0.4, 'vIoU@0.3': 0.5, 'vIoU@0.5': 0.5}
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from evaluation.protocol import SINGLE_REFERENT, Convention, frame_scores, referent_frames, top_referent
from evaluation.runner import Prediction
from evaluation.secondlevel import score_query
from stagdata.sample import Sample
from verifier.stvg import viou_at


def official_predictions(samples: Sequence[Sample], preds: Mapping[str, Prediction]) -> dict[str, Any]:
    """``predictions_official.json`` for ``samples`` (see the module docs); samples without a
    prediction are left out, as the official evaluators score a missing video 0."""
    if not samples:
        return {}
    if samples[0].dataset in ("svag", "synth"):
        from verifier.exports import SvagItem, to_svag_submission

        items = []
        for s in samples:
            p = preds.get(s.sample_id)
            if p is not None and p.result is not None:
                items.append(SvagItem(result=p.result, dataset=s.meta["subset"], query_id=int(s.meta["query_id"]),
                                      video_id=s.meta["video_id"], video_name=s.meta["video_name"]))
        return to_svag_submission(items)
    out: dict[str, Any] = {}
    for s in samples:
        p = preds.get(s.sample_id)
        ref = top_referent(p.result) if p is not None and p.result is not None else None
        if ref is None:
            continue
        frames = referent_frames(ref, s, p.result.video.sample_fps)   # type: ignore[union-attr]
        if not frames:
            continue
        entry: dict[str, Any] = {
            "st_frame": min(frames) + s.frame_base, "ed_frame": max(frames) + s.frame_base,
            "bbox": {str(f + s.frame_base): list(b) for f, b in sorted(frames.items())},
        }
        if s.dataset == "vidstg":
            entry.update({"vid": s.meta["vid"], "qtype": s.meta["qtype"], "target_id": s.meta["target_id"]})
        out[s.meta.get("key", s.sample_id)] = entry
    return out


def summarize_rows(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Frame-level means over per-sample rows (``tIoU``, ``vIoU``)."""
    n = len(rows)
    out: dict[str, Any] = {"samples": n,
                           "m_tIoU": sum(r["tIoU"] for r in rows) / n if n else 0.0,
                           "m_vIoU": sum(r["vIoU"] for r in rows) / n if n else 0.0}
    out.update(viou_at(r["vIoU"] for r in rows))
    return out


def _second_level(rows: Sequence[Mapping[str, Any]], hotas: Sequence[Any]) -> dict[str, Any]:
    from verifier.hota import combine_hota

    n = len(rows) or 1
    out = {"m_tIoU": sum(r["s_tIoU"] for r in rows) / n, "m_mvIoU": sum(r["s_mvIoU"] for r in rows) / n,
           "m_vIoU": sum(r["s_vIoU"] for r in rows) / n}
    out.update(viou_at(r["s_vIoU"] for r in rows))
    if hotas:
        out["HOTA"] = combine_hota(list(hotas)).HOTA
    return out


def score_rows(samples: Sequence[Sample], preds: Mapping[str, Prediction],
               convention: Convention = "official") -> tuple[list[dict[str, Any]], list[Any]]:
    """Per-sample scores (frame-level and second-level) and each sample's second-level HOTA."""
    from verifier.hota import hota

    rows, hotas = [], []
    for s in samples:
        p = preds.get(s.sample_id)
        result = p.result if p is not None else None
        t, v = frame_scores(result, s, convention)
        if result is not None:
            if s.dataset in SINGLE_REFERENT:
                top = top_referent(result)
                result = result.model_copy(update={"referents": [top] if top is not None else []})
            st, smv, sv, h = score_query(result, s.ground_truth())
        else:
            gt_frames: dict[int, dict[int, tuple]] = {}
            for i, r in enumerate(s.referents, start=1):
                for k, b in r.boxes.items():
                    gt_frames.setdefault(k, {})[i] = b
            st = smv = sv = 0.0
            h = hota(gt_frames, {})
        rows.append({"sample_id": s.sample_id, "kind": s.kind, "query": s.query, "video": Path(s.video).name,
                     "tIoU": t, "vIoU": v, "s_tIoU": st, "s_mvIoU": smv, "s_vIoU": sv,
                     "n_pred": len(result.referents) if result is not None else 0, "n_gt": len(s.tubes),
                     "seconds": p.seconds if p is not None else 0.0,
                     "error": p.error if p is not None else "not run"})
        hotas.append(h)
    return rows, hotas


def _svag_metrics(samples: Sequence[Sample], official: Mapping[str, Any], svag_gt: str | Path) -> dict[str, Any]:
    """SVAGEval over the evaluated queries only (the ground truth filtered to them)."""
    from verifier.svageval import evaluate_svag

    keep = {(s.meta["subset"], int(s.meta["query_id"])) for s in samples}
    gt = json.loads(Path(svag_gt).read_text())
    for ds in gt["datasets"]:
        ds["queries"] = [q for q in ds["queries"] if (ds["name"], int(q["query_id"])) in keep]
    names = {ds["name"] for ds in gt["datasets"] if ds["queries"]}
    res = evaluate_svag(gt, official)
    return {k: v for k, v in res.items() if k in names or k == "average"}


def metrics(samples: Sequence[Sample], preds: Mapping[str, Prediction], *, convention: Convention = "official",
            official: Mapping[str, Any] | None = None, svag_gt: str | Path | None = None,
            wall_seconds: float | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``metrics.json``'s content and the per-sample rows."""
    rows, hotas = score_rows(samples, preds, convention)
    out: dict[str, Any] = {"dataset": samples[0].dataset if samples else None, "convention": convention}
    out.update(summarize_rows(rows))
    out["second_level"] = _second_level(rows, hotas)
    kinds = sorted({r["kind"] for r in rows})
    out["by_kind"] = {}
    for k in kinds:
        idx = [i for i, r in enumerate(rows) if r["kind"] == k]
        sub = [rows[i] for i in idx]
        out["by_kind"][k] = {**summarize_rows(sub), "second_level": _second_level(sub, [hotas[i] for i in idx])}
    if svag_gt is not None and official is not None:
        out["svag"] = _svag_metrics(samples, official, svag_gt)
    secs = [r["seconds"] for r in rows if r["error"] != "not run"]
    out["timing"] = {"seconds_per_sample": sum(secs) / len(secs) if secs else 0.0,
                     "videos": len({s.video_key for s in samples}),
                     "errors": sum(1 for r in rows if r["error"]),
                     **({"wall_seconds": round(wall_seconds, 2)} if wall_seconds is not None else {})}
    return out, rows


def _fmt(v: Any) -> str:
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def write_report(out: str | Path, m: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], worst: int = 8) -> Path:
    """``report.md`` with its plots (``hist.png``, ``by_kind.png``) in ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    for ax, key in zip(axes, ("tIoU", "vIoU")):
        ax.hist([r[key] for r in rows], bins=20, range=(0, 1), color="#4c72b0")
        ax.set_xlabel(f"{key} (frame level, {m['convention']})")
        ax.set_ylabel("samples")
    fig.tight_layout()
    fig.savefig(out / "hist.png", dpi=100)
    plt.close(fig)
    kinds = list(m["by_kind"])
    fig, ax = plt.subplots(figsize=(max(4, 1.4 * len(kinds) + 2), 3.2))
    xs = range(len(kinds))
    ax.bar([x - 0.2 for x in xs], [m["by_kind"][k]["m_tIoU"] for k in kinds], 0.4, label="m_tIoU")
    ax.bar([x + 0.2 for x in xs], [m["by_kind"][k]["m_vIoU"] for k in kinds], 0.4, label="m_vIoU")
    ax.set_xticks(list(xs), kinds)
    ax.set_ylim(0, 1)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "by_kind.png", dpi=100)
    plt.close(fig)

    keys = ["samples", "m_tIoU", "m_vIoU", "vIoU@0.3", "vIoU@0.5"]
    lines = [f"# stag eval-agent: {m['dataset']}", "",
             f"Frame-level protocol: **{m['convention']}**. Second level: paper 002 (multi-referent assignment, HOTA pooled).",
             "", "| group | " + " | ".join(keys) + " | s m_tIoU | s m_mvIoU | s m_vIoU | HOTA |",
             "|---" * (len(keys) + 5) + "|"]
    groups = [("all", m)] + [(k, v) for k, v in m["by_kind"].items()]
    for name, g in groups:
        sl = g["second_level"]
        lines.append(f"| {name} | " + " | ".join(_fmt(g[k]) for k in keys) + " | "
                     + " | ".join(_fmt(sl.get(k, float("nan"))) for k in ("m_tIoU", "m_mvIoU", "m_vIoU", "HOTA")) + " |")
    if "svag" in m:
        lines += ["", "SVAGEval (0-100):", "", "| subset | HOTA | mIoU | m-HIoU |", "|---|---|---|---|"]
        for name, r in m["svag"].items():
            lines.append(f"| {name} | {_fmt(r.get('HOTA'))} | {_fmt(r.get('mIoU'))} | {_fmt(r.get('m-HIoU', ''))} |")
    t = m["timing"]
    lines += ["", f"Timing: {t['seconds_per_sample']:.2f} s per sample over {t['videos']} videos"
              + (f", {t['wall_seconds']} s wall in this invocation (resumed samples cost none)" if "wall_seconds" in t else "") + f"; errors: {t['errors']}.",
              "", "![tIoU and vIoU histograms](hist.png)", "", "![per kind](by_kind.png)", "",
              f"## Worst {worst} cases", "", "| sample | kind | query | tIoU | vIoU | referents (pred/gt) | error |",
              "|---|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: (r["vIoU"], r["tIoU"]))[:worst]:
        q = r["query"].replace("|", "/")
        lines.append(f"| {r['sample_id']} | {r['kind']} | {q} | {r['tIoU']:.3f} | {r['vIoU']:.3f} | "
                     f"{r['n_pred']}/{r['n_gt']} | {r['error'] or ''} |")
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n")
    return path
