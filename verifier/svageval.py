"""SVAGEval-compatible evaluation of SVAG-Bench submissions (the ICCV 2025 BMTT challenge).

Reproduces the official pipeline's rules, quirks included:

* Spatial: each (video, query) is one MOT sequence named ``<video_name>+<query lowercased, spaces
  -> '-'>``; its rows are the tracks' boxes in JSON order (``spatial[i]`` is frame ``i + 1``). HOTA
  is pooled over a subset's queries (:func:`~verifier.hota.combine_hota`), reported x100 with the 5
  significant digits TrackEval's summary file keeps.
* ID mapping at alpha 0.5: per ground-truth track, ``key`` is the first element of the Python set of
  row positions it occupies (frames in order); each frame where it appears and ``key`` is a matched
  row votes once for the predicted id of EVERY matched column of that frame; the most votes wins,
  ties to the first voted. Tracks without boxes or votes are dropped.
* Temporal: ground-truth windows ``[s, e]`` (1-based frames) become ``[s - 1, e]``; predicted
  windows are used as given. Rows are ordered by query id. A query keeps only predictions mapped to
  one of its ground-truth tracks (looked up by ``video_name.split("_")[0]``, as the official code
  does); queries without any are left out. For R1/R5/R10/mIoU only the LAST ground-truth row and
  the LAST mapped prediction of a query count; R1 and mIoU use the first predicted window in list
  order. Percent with 2 decimals.
* Final: the plain mean over OVIS, MOT17 and MOT20 rounded to 3 decimals, and
  ``m-HIoU = round((HOTA + mIoU) / 2, 3)`` from those means.

Where the official code would crash, this one does not: a subset whose queries all lose their
predictions scores 0 on the temporal metrics, and a window list that is empty counts as a
zero-length window (IoU 0). A ground-truth query missing from the submission is an empty prediction.

>>> track = {"track_id": 1, "spatial": [[0, 0, 10, 10], [1, 0, 10, 10]], "temporal": [[1, 2]]}
>>> q = {"query_id": 1, "query": "A fish swims", "video_id": 1, "video_name": "v1", "video_length": 2, "tracks": [track]}
>>> gt = {"datasets": [{"name": n, "queries": [q]} for n in SUBSETS]}
>>> pt = dict(track, temporal=[[0, 2, 0.9]])
>>> pred = {"datasets": [{"name": n, "queries": [dict(q, tracks=[pt])]} for n in SUBSETS]}
>>> out = evaluate_svag(gt, pred)
>>> out["average"]["m-HIoU"], out["OVIS"]["HOTA"], out["OVIS"]["R1@0.5"]
(100.0, 100.0, 100.0)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from verifier.hota import ALPHAS, SUMMARY_KEYS, HotaMatches, HotaResult, combine_hota, hota_from_arrays
from verifier.moment_retrieval import SVAG_THRESHOLDS, recall_at_1, recall_at_k

SUBSETS = ("OVIS", "MOT17", "MOT20")
TEMPORAL_KEYS = ("mIoU", "R1@0.1", "R1@0.3", "R1@0.5", "R5@0.1", "R5@0.3", "R5@0.5", "R10@0.1", "R10@0.3", "R10@0.5")
_MAPPING_ALPHA = 9          # ALPHAS[9] == 0.5, the official ID-mapping threshold
_EPS = float(np.finfo("float").eps)


class SvagTrack(BaseModel):
    """One track of a query (ground truth: ``temporal`` ``[[s, e]]``; prediction: ``[[s, e, score]]``)."""

    model_config = ConfigDict(extra="allow")

    track_id: int
    spatial: list[list[float] | None] = Field(default_factory=list)
    temporal: list[list[float] | None] | None = Field(default_factory=list)


class SvagQuery(BaseModel):
    """One (video, query) pair and its tracks."""

    model_config = ConfigDict(extra="allow")

    query_id: int
    query: str
    video_id: int | str
    video_name: str
    video_length: int = Field(ge=0)
    tracks: list[SvagTrack] = Field(default_factory=list)


class SvagDataset(BaseModel):
    """One subset (OVIS, MOT17 or MOT20)."""

    model_config = ConfigDict(extra="allow")

    name: str
    queries: list[SvagQuery] = Field(default_factory=list)


class SvagFile(BaseModel):
    """A ground-truth or submission file."""

    model_config = ConfigDict(extra="allow")

    datasets: list[SvagDataset]


def load_svag(source: Mapping[str, Any] | str | Path, what: str) -> SvagFile:
    """Read and validate an SVAG-Bench JSON (a dict or a path); ``ValueError`` names the problem."""
    name = what
    if not isinstance(source, Mapping):
        path = Path(source)
        name = f"{what} file {path}"
        try:
            source = json.loads(path.read_text())
        except FileNotFoundError:
            raise ValueError(f"{name} does not exist") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError(f"{name} is not valid JSON: {exc}") from None
    try:
        data = SvagFile.model_validate(source)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err.get("loc", ()))
        raise ValueError(f"{name} is not in the SVAG-Bench format: {where}: {err.get('msg')}") from None
    names = [d.name for d in data.datasets]
    missing = [s for s in SUBSETS if s not in names]
    if missing:
        raise ValueError(f"{name} lacks the subset(s) {missing}; all of {list(SUBSETS)} are required")
    for ds in data.datasets:
        for q in ds.queries:
            for t in q.tracks:
                for i, box in enumerate(t.spatial):
                    if box is not None and (len(box) != 4 or not np.isfinite(box).all()):
                        raise ValueError(f"{name}: {ds.name} query {q.query_id} track {t.track_id}: "
                                         f"spatial[{i}] must be [x, y, w, h] numbers, got {box}")
                if len(t.spatial) > q.video_length:
                    raise ValueError(f"{name}: {ds.name} query {q.query_id} track {t.track_id} has "
                                     f"{len(t.spatial)} frames but video_length is {q.video_length}")
    return data


def sequence_name(video_name: str, query: str) -> str:
    """The MOT sequence name of a (video, query) pair.

    >>> sequence_name("MOT17-02", "The man walks")
    'MOT17-02+the-man-walks'
    """
    return f"{video_name}+{query.lower().replace(' ', '-')}"


def _rows(query: SvagQuery | None) -> tuple[list[int], list[int], list[tuple[float, float, float, float]]]:
    frames: list[int] = []
    ids: list[int] = []
    boxes: list[tuple[float, float, float, float]] = []
    if query is None:
        return frames, ids, boxes
    for t in query.tracks:
        for i, b in enumerate(t.spatial):
            if b is not None:
                frames.append(i + 1)
                ids.append(t.track_id)
                boxes.append((b[0], b[1], b[0] + b[2], b[1] + b[3]))
    return frames, ids, boxes


def map_ids(m: HotaMatches) -> dict[int, int]:
    """Ground-truth track id -> predicted track id by the official voting rule (see module docs)."""
    passed = m.match_sim >= ALPHAS[_MAPPING_ALPHA] - _EPS
    mf, mg, mp = m.match_frame[passed], m.match_gt_pos[passed], m.match_pr_id[passed]
    matched_rows: dict[int, set[int]] = {}
    matched_cols: dict[int, list[int]] = {}
    for f, g, p in zip(mf.tolist(), mg.tolist(), mp.tolist()):
        matched_rows.setdefault(f, set()).add(g)
        matched_cols.setdefault(f, []).append(p)
    out: dict[int, int] = {}
    for cid, original in enumerate(m.gt_ids.tolist()):
        rows = np.flatnonzero(m.gt_id == cid)
        frames, positions = m.gt_frame[rows].tolist(), m.gt_pos[rows].tolist()
        keys: set[int] = set()
        for pos in positions:
            keys.add(pos)
        key = next(iter(keys))
        votes: dict[int, int] = {}
        for f in frames:
            if key in matched_rows.get(f, ()):
                for p in matched_cols[f]:
                    votes[p] = votes.get(p, 0) + 1
        if votes:
            out[original] = int(m.pr_ids[max(votes.items(), key=lambda kv: kv[1])[0]])
    return out


def _spatial(gt_queries: list[SvagQuery], pred_by_seq: dict[str, SvagQuery]
             ) -> tuple[HotaResult, dict[str, dict[int, int]]]:
    results: dict[str, HotaResult] = {}
    mapping: dict[str, dict[int, int]] = {}
    for q in gt_queries:
        seq = sequence_name(q.video_name, q.query)
        res, matches = hota_from_arrays(*_rows(q), *_rows(pred_by_seq.get(seq)), return_matches=True)
        results[seq] = res
        mapping[seq] = map_ids(matches)
    return combine_hota(results.values()), mapping


def _windows(ws: list[list[float] | None] | None, width: int) -> list[list[float]]:
    kept = [list(w[:width]) for w in (ws or []) if w is not None]
    return kept or [[0.0] * width]            # empty: a zero-length window (IoU 0)


def _temporal(gt_queries: list[SvagQuery], pred_queries: list[SvagQuery],
              mapping: dict[str, dict[int, int]]) -> dict[str, float]:
    gt_rows, pred_rows = [], []
    for q in sorted(gt_queries, key=lambda q: q.query_id):
        vid = f"{q.video_name}_1.0_{q.video_length}.0"
        for t in q.tracks:
            windows = [[w[0] - 1, w[1]] for w in (t.temporal or []) if w is not None]
            gt_rows.append({"qid": q.query_id, "query": q.query, "vid": vid, "track_id": t.track_id,
                            "relevant_windows": windows or [[0.0, 0.0]]})
    for q in sorted(pred_queries, key=lambda q: q.query_id):
        vid = f"{q.video_name}_1.0_{q.video_length}.0"
        for t in q.tracks:
            pred_rows.append({"qid": q.query_id, "query": q.query, "vid": vid, "track_id": t.track_id,
                              "pred_relevant_windows": _windows(t.temporal, 3)})
    shared = {r["qid"] for r in pred_rows} & {r["qid"] for r in gt_rows}
    gt_rows = [r for r in gt_rows if r["qid"] in shared]
    pred_rows = [r for r in pred_rows if r["qid"] in shared]

    def seq_of(row: Mapping[str, Any]) -> str:
        return f"{row['vid'].split('_')[0]}+{row['query'].lower().replace(' ', '-')}"

    kept = []
    for g in gt_rows:
        target = mapping.get(seq_of(g), {}).get(g["track_id"])
        if target is None:
            continue
        seq = seq_of(g)
        match = next((s for s in pred_rows if seq_of(s) == seq and s["track_id"] == target), None)
        if match is not None:
            kept.append(match)
    shared = {r["qid"] for r in kept} & {r["qid"] for r in gt_rows}
    kept = [r for r in kept if r["qid"] in shared]
    gt_rows = [r for r in gt_rows if r["qid"] in shared]
    if not kept:
        return {k: 0.0 for k in TEMPORAL_KEYS}
    r1, miou = recall_at_1(kept, gt_rows, SVAG_THRESHOLDS)
    r5, _ = recall_at_k(kept, gt_rows, 5)
    r10, _ = recall_at_k(kept, gt_rows, 10)
    out = {"mIoU": miou}
    for name, table in (("R1", r1), ("R5", r5), ("R10", r10)):
        for thr in ("0.1", "0.3", "0.5"):
            out[f"{name}@{thr}"] = table[thr]
    return out


def evaluate_subset(gt_queries: list[SvagQuery], pred_queries: list[SvagQuery]) -> dict[str, float]:
    """One subset's spatial (HOTA family, x100, 5 significant digits) and temporal metrics."""
    pred_by_seq = {sequence_name(q.video_name, q.query): q for q in pred_queries}
    combined, mapping = _spatial(gt_queries, pred_by_seq)
    out = {k: float(f"{100 * v:1.5g}") for k, v in combined.brief().items()}
    out.update(_temporal(gt_queries, pred_queries, mapping))
    return out


def evaluate_svag(gt: Mapping[str, Any] | str | Path, pred: Mapping[str, Any] | str | Path) -> dict[str, dict[str, float]]:
    """``{"OVIS": {...}, "MOT17": {...}, "MOT20": {...}, "average": {"m-HIoU", ...}}`` on the
    official 0-100 scale; ``ValueError`` for a file that is not in the SVAG-Bench format."""
    gt_file, pred_file = load_svag(gt, "ground-truth"), load_svag(pred, "prediction")
    out: dict[str, dict[str, float]] = {}
    for name in SUBSETS:
        gt_q = [q for d in gt_file.datasets if d.name == name for q in d.queries]
        pr_q = [q for d in pred_file.datasets if d.name == name for q in d.queries]
        out[name] = evaluate_subset(gt_q, pr_q)
    keys = list(SUMMARY_KEYS) + list(TEMPORAL_KEYS)
    mean = {k: round(sum(out[s][k] for s in SUBSETS) / len(SUBSETS), 3) for k in keys}
    out["average"] = {"m-HIoU": round((mean["HOTA"] + mean["mIoU"]) / 2, 3), **mean}
    return out
