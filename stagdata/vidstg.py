"""VidSTG annotations as :class:`~stagdata.sample.Sample` objects, one per sentence.

Format (github.com/Guaranteer/VidSTG-Dataset, README "Annotation Structure"): a JSON list of records
``{"vid", "frame_count", "fps", "width", "height", "subject/objects": [{"tid", "category"}],
"used_segment": {"begin_fid", "end_fid"}, "used_relation", "temporal_gt": {"begin_fid",
"end_fid"}, "captions": [{"description", "type", "target_id"}] (declarative), "questions": [...]
(interrogative)}``. Boxes come from the VidOR annotation of the video (``trajectories``: per frame a
list of ``{"tid", "bbox": {"xmin", "ymin", "xmax", "ymax"}}``, read as TubeDETR's
``preproc/preproc_vidstg.py`` does), either embedded in the record as ``trajectories`` or found as
``<vid>.json`` under the ``vidor`` folder.

Frames are 0-based VidOR frame ids with exclusive ends (TubeDETR keeps ``temporal_gt.end_fid`` as
``tube_end_frame`` and asserts ``end_fid - 1`` is the last box); the evaluation is restricted to
``used_segment`` (TubeDETR's ``start_frame`` / ``end_frame``). Declarative and interrogative
sentences are reported apart (``Sample.kind``).

>>> import json, tempfile, pathlib
>>> traj = [[{"tid": 0, "bbox": {"xmin": 0, "ymin": 0, "xmax": 8, "ymax": 8}}]] * 90
>>> rec = {"vid": "v1", "frame_count": 90, "fps": 30, "width": 64, "height": 48,
...        "subject/objects": [{"tid": 0, "category": "dog"}], "used_segment": {"begin_fid": 0, "end_fid": 90},
...        "temporal_gt": {"begin_fid": 30, "end_fid": 61}, "trajectories": traj,
...        "captions": [{"description": "a dog runs", "type": "animal", "target_id": 0}], "questions": []}
>>> f = pathlib.Path(tempfile.mkdtemp()) / "test_annotations.json"
>>> _ = f.write_text(json.dumps([rec]))
>>> s = load_vidstg(f)[0]
>>> s.kind, s.gt_frames()[:2], s.eval_window, s.referents[0].interval
('declarative', (30, 60), (0, 89), (1, 2))
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from stagdata.sample import AnnotationError, Sample, read_json
from verifier.groundtruth import FrameTube


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _record_starts(text: str) -> list[int]:
    """Offsets where each top-level record of the list begins (a ``{`` at depth 1)."""
    starts, depth, in_str, esc = [], 0, False, False
    for i, c in enumerate(text):
        if in_str:
            if esc:
                esc = False
            elif c == "\\":
                esc = True
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c in "[{":
            if depth == 1 and c == "{":
                starts.append(i)
            depth += 1
        elif c in "]}":
            depth -= 1
    return starts


def _vidor_index(vidor: str | Path | None) -> dict[str, Path]:
    if vidor is None:
        return {}
    return {p.stem: p for p in Path(vidor).rglob("*.json")}


def _video_index(videos: str | Path | None) -> dict[str, str]:
    if videos is None:
        return {}
    return {p.stem: str(p) for p in sorted(Path(videos).rglob("*")) if p.suffix.lower() in {".mp4", ".mkv", ".avi", ".webm", ".mov"}}


def load_vidstg(annotations: str | Path, videos: str | Path | None = None, *, vidor: str | Path | None = None) -> list[Sample]:
    """Every sentence of a VidSTG annotation file: questions, then captions, per record, in file order.

    ``videos``: folder searched (recursively) for ``<vid>.mp4``; ``vidor``: folder searched for the
    VidOR ``<vid>.json`` when a record does not embed ``trajectories``. Raises
    :class:`~stagdata.sample.AnnotationError`.
    """
    data, text = read_json(annotations, "VidSTG annotations")
    if not isinstance(data, list):
        raise AnnotationError(annotations, 1, "VidSTG annotations", "(top level)",
                              f"must be a list of records, got {type(data).__name__}")
    vidor_files, video_files = _vidor_index(vidor), _video_index(videos)
    out: list[Sample] = []
    starts = _record_starts(text)
    for r, rec in enumerate(data):
        vid = rec.get("vid") if isinstance(rec, dict) else None
        where = f"record {r} (vid {vid!r})"

        def bad(field: str, problem: str, r: int = r, where: str = where) -> AnnotationError:
            start = starts[r] if r < len(starts) else 0
            end = starts[r + 1] if r + 1 < len(starts) else len(text)
            i = text.find(f'"{field}"', start, end)
            line = text.count("\n", 0, i if i >= 0 else start) + 1
            return AnnotationError(annotations, line, where, field, problem)

        if not isinstance(rec, dict):
            raise bad("(record)", f"must be an object, got {type(rec).__name__}")
        for field in ("vid", "frame_count", "fps", "width", "height", "used_segment", "temporal_gt"):
            if field not in rec:
                raise bad(field, "is missing")
        n, fps = rec["frame_count"], rec["fps"]
        if not (_int(n) and n >= 1):
            raise bad("frame_count", f"must be a whole number >= 1, got {n!r}")
        if not (isinstance(fps, (int, float)) and not isinstance(fps, bool) and math.isfinite(fps) and fps > 0):
            raise bad("fps", f"must be a positive number, got {fps!r}")
        for field in ("width", "height"):
            if not (_int(rec[field]) and rec[field] > 0):
                raise bad(field, f"must be a positive whole number, got {rec[field]!r}")
        spans = {}
        for field in ("used_segment", "temporal_gt"):
            seg = rec[field]
            if not (isinstance(seg, dict) and _int(seg.get("begin_fid")) and _int(seg.get("end_fid"))
                    and 0 <= seg["begin_fid"] < seg["end_fid"] <= n):
                raise bad(field, f"must be {{begin_fid, end_fid}} with 0 <= begin < end <= frame_count ({n}), got {seg!r}")
            spans[field] = (seg["begin_fid"], seg["end_fid"])
        traj = rec.get("trajectories")
        if traj is None:
            if str(rec["vid"]) not in vidor_files:
                raise bad("trajectories", "not embedded, and no VidOR annotation "
                          f"{rec['vid']}.json under {vidor!s} (pass the VidOR folder)")
            vidor_anno, _ = read_json(vidor_files[str(rec["vid"])], "VidOR annotation")
            traj = vidor_anno.get("trajectories") if isinstance(vidor_anno, dict) else None
        if not isinstance(traj, list):
            raise bad("trajectories", "must be a list (one list of boxes per frame)")
        categories = {o.get("tid"): str(o.get("category", "object")) for o in rec.get("subject/objects", [])
                      if isinstance(o, dict)}
        video = video_files.get(str(rec["vid"]), f"{rec['vid']}.mp4")
        if videos is not None and str(rec["vid"]) not in video_files:
            raise bad("vid", f"no video {rec['vid']}.* under {videos}")
        b0, b1 = spans["temporal_gt"]
        u0, u1 = spans["used_segment"]
        for kind, field in (("interrogative", "questions"), ("declarative", "captions")):
            sents = rec.get(field, [])
            if not isinstance(sents, list):
                raise bad(field, "must be a list of sentences")
            for j, sent in enumerate(sents):
                if not (isinstance(sent, dict) and isinstance(sent.get("description"), str) and "target_id" in sent):
                    raise bad(field, f"{field}[{j}] must have 'description' and 'target_id'")
                tid = sent["target_id"]
                if tid not in categories:
                    raise bad(field, f"{field}[{j}]: target_id {tid!r} is not in subject/objects")
                boxes = {}
                for f in range(b0, min(b1, len(traj))):
                    for obj in traj[f] or []:
                        if isinstance(obj, dict) and obj.get("tid") == tid:
                            bb = obj.get("bbox") or {}
                            try:
                                boxes[f] = (float(bb["xmin"]), float(bb["ymin"]), float(bb["xmax"]), float(bb["ymax"]))
                            except (KeyError, TypeError, ValueError):
                                raise bad("trajectories", f"frame {f} tid {tid}: bbox needs xmin, ymin, xmax, ymax") from None
                if not boxes:
                    raise bad("trajectories", f"target {tid} has no box inside temporal_gt {b0}..{b1}")
                tube = FrameTube(id=int(tid), label=categories[tid], boxes=boxes, windows=[(b0, b1 - 1)])
                out.append(Sample.build(
                    sample_id=f"{r}:{field[0]}{j}", dataset="vidstg", video=video, query=sent["description"].strip(),
                    kind=kind, fps=float(fps), frame_count=n, width=rec["width"], height=rec["height"],
                    frame_base=0, tubes=[tube], eval_window=(u0, u1 - 1),
                    meta={"vid": str(rec["vid"]), "record": r, "qtype": kind, "target_id": tid,
                          "used_segment": [u0, u1], "temporal_gt": [b0, b1]},
                ))
    return out
