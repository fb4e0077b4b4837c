"""Downloads of a :class:`~verifier.result.GroundingResult`: pure functions, one format each.

* :func:`to_glmv_json` - GLM-V per-second JSON ``{"0": [{"label": "person-3", "bbox_2d": [...]}]}``
  (0-1000 integers or pixels), the format the model speaks, so :func:`verifier.parse` reads it back;
* :func:`to_mot_txt` - MOTChallenge rows ``frame,id,x,y,w,h,conf,-1,-1,-1``: 1-based video frames,
  boxes interpolated between the sampled seconds (what TrackEval and every MOT tool read), with
  :func:`to_seqinfo_ini` for the ``seqinfo.ini`` beside it;
* :func:`to_mot_txt_seconds` - the same rows at second level: the first column is the second + 1,
  NOT a frame; only for tools that compare per-second tracks;
* :func:`to_svag_submission` - the SVAG-Bench submission JSON for a set of results;
* :func:`to_frame_boxes` - referent id -> 0-based frame -> box (:func:`verifier.interpolate.frame_boxes`).

>>> from verifier.result import Referent, VideoInfo
>>> r = GroundingResult(query="q", video=VideoInfo(path="v.mp4", width=640, height=360, fps=30.0,
...     frame_count=90, duration=3.0), referents=[Referent(id=3, label="person", interval=(0, 1),
...     boxes={0: (64, 36, 128, 72), 1: (70, 36, 134, 72)})])
>>> to_glmv_json(r)["1"]
[{'label': 'person-3', 'bbox_2d': [109, 100, 209, 200]}]
>>> to_mot_txt(r).splitlines()[0]
'1,3,64.00,36.00,64.00,36.00,1.0000,-1,-1,-1'
>>> to_mot_txt(r).splitlines()[30][:4], to_mot_txt_seconds(r).splitlines()[1][:4]   # second 1
('31,3', '2,3,')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import PurePath
from typing import Any, Literal

from pydantic import BaseModel, Field

from verifier.boxes import pixels_to_norm1000
from verifier.interpolate import frame_boxes
from verifier.result import Box, GroundingResult
from verifier.timebase import frame_of_time

SVAG_SUBSETS = ("OVIS", "MOT17", "MOT20")


def to_glmv_json(result: GroundingResult, coords: Literal["norm1000", "pixels"] = "norm1000") -> dict[str, list[dict[str, Any]]]:
    """GLM-V per-second JSON: a key per second with at least one box; labels ``<label>-<id>``;
    ``norm1000`` boxes are integers clamped to 0-1000, ``pixels`` boxes keep 2 decimals."""
    if coords not in ("norm1000", "pixels"):
        raise ValueError(f"coords must be 'norm1000' or 'pixels', got {coords!r}")
    w, h = result.video.width, result.video.height
    per_second: dict[int, list[dict[str, Any]]] = {}
    for ref in result.referents:
        for sec, box in ref.boxes.items():
            if coords == "norm1000":
                b: list[float] = [min(1000, max(0, v)) for v in pixels_to_norm1000(box, w, h)]
            else:
                b = [round(float(v), 2) for v in box]
            per_second.setdefault(sec, []).append({"label": f"{ref.label}-{ref.id}", "bbox_2d": b})
    return {str(sec): per_second[sec] for sec in sorted(per_second)}


def to_frame_boxes(result: GroundingResult) -> dict[int, dict[int, Box]]:
    """Referent id -> 0-based frame -> box, interpolated between the sampled frames."""
    v = result.video
    return {ref.id: frame_boxes(ref.boxes, v.fps, v.frame_count, v.sample_fps) for ref in result.referents}


def _mot_rows(rows: list[tuple[int, int, Box, float]]) -> str:
    rows.sort(key=lambda r: (r[0], r[1]))
    return "".join(f"{f},{i},{b[0]:.2f},{b[1]:.2f},{b[2] - b[0]:.2f},{b[3] - b[1]:.2f},{s:.4f},-1,-1,-1\n"
                   for f, i, b, s in rows)


def to_mot_txt(result: GroundingResult) -> str:
    """MOTChallenge text at frame level: 1-based frames of the video, boxes interpolated between the
    sampled seconds (:func:`verifier.interpolate.frame_boxes`), rows sorted by frame then id;
    ``conf`` is the referent's score."""
    v = result.video
    return _mot_rows([(f + 1, ref.id, box, ref.score) for ref in result.referents
                      for f, box in frame_boxes(ref.boxes, v.fps, v.frame_count, v.sample_fps).items()])


def to_mot_txt_seconds(result: GroundingResult) -> str:
    """MOTChallenge-shaped text at SECOND level: the first column is the sample index + 1 (a second at
    1 FPS), not a video frame. Scoring it against frame-level ground truth is wrong; use
    :func:`to_mot_txt` for that."""
    return _mot_rows([(sec + 1, ref.id, box, ref.score) for ref in result.referents for sec, box in ref.boxes.items()])


def to_seqinfo_ini(result: GroundingResult, name: str | None = None) -> str:
    """The MOTChallenge ``seqinfo.ini`` that goes beside :func:`to_mot_txt`'s file (TrackEval reads
    ``seqLength`` from it); ``name`` defaults to the video file's stem.

    >>> from verifier.result import Referent, VideoInfo
    >>> print(to_seqinfo_ini(GroundingResult(query="q", video=VideoInfo(path="/d/street.mp4", width=640,
    ...     height=360, fps=29.97, frame_count=1798, duration=60.0), referents=[])), end="")
    [Sequence]
    name=street
    imDir=img1
    frameRate=29.97
    seqLength=1798
    imWidth=640
    imHeight=360
    imExt=.jpg
    """
    v = result.video
    return (f"[Sequence]\nname={name or PurePath(v.path).stem}\nimDir=img1\nframeRate={v.fps:g}\n"
            f"seqLength={v.frame_count}\nimWidth={v.width}\nimHeight={v.height}\nimExt=.jpg\n")


class SvagItem(BaseModel):
    """A result with the ids the SVAG-Bench submission needs."""

    result: GroundingResult
    dataset: Literal["OVIS", "MOT17", "MOT20"]
    query_id: int
    video_id: int
    video_name: str | None = Field(default=None, description="default: the video file's stem")


def to_svag_submission(items: Iterable[SvagItem | Mapping[str, Any]]) -> dict[str, Any]:
    """The SVAG-Bench submission JSON (all three subsets, empty ones included).

    Per referent: ``spatial`` has one ``[x, y, w, h]`` or ``null`` per frame of the video
    (interpolated between samples, the last one held to the end of its second); ``temporal`` is
    ``[[start, end, score]]`` in 0-based frames, end exclusive (the interval's last second included) (the unit SVAGEval compares with its ``[s - 1, e]`` ground-truth windows).

    >>> from verifier.result import Referent, VideoInfo
    >>> r = GroundingResult(query="a fish swims", video=VideoInfo(path="/d/abc.mp4", width=64,
    ...     height=48, fps=2.0, frame_count=4, duration=2.0), referents=[Referent(id=1, label="fish",
    ...     interval=(0, 1), boxes={0: (0, 0, 4, 4), 1: (2, 0, 6, 4)}, score=0.5)])
    >>> q = to_svag_submission([SvagItem(result=r, dataset="OVIS", query_id=7, video_id=1)])["datasets"][0]["queries"][0]
    >>> q["video_name"], q["tracks"][0]["spatial"], q["tracks"][0]["temporal"]
    ('abc', [[0.0, 0.0, 4.0, 4.0], [1.0, 0.0, 4.0, 4.0], [2.0, 0.0, 4.0, 4.0], [2.0, 0.0, 4.0, 4.0]], [[0, 4, 0.5]])
    """
    subsets: dict[str, list[dict[str, Any]]] = {name: [] for name in SVAG_SUBSETS}
    for raw in items:
        item = raw if isinstance(raw, SvagItem) else SvagItem.model_validate(raw)
        r, v = item.result, item.result.video
        tracks = []
        for ref in r.referents:
            spatial: list[list[float] | None] = [None] * v.frame_count
            for f, b in frame_boxes(ref.boxes, v.fps, v.frame_count, v.sample_fps).items():
                spatial[f] = [round(b[0], 2), round(b[1], 2), round(b[2] - b[0], 2), round(b[3] - b[1], 2)]
            start = frame_of_time(ref.interval[0] / v.sample_fps, v.fps)
            end = frame_of_time((ref.interval[1] + 1) / v.sample_fps, v.fps)  # the last second's period
            tracks.append({"track_id": ref.id, "spatial": spatial,
                           "temporal": [[start, min(end, v.frame_count), ref.score]]})
        subsets[item.dataset].append({
            "query_id": item.query_id, "query": r.query, "video_id": item.video_id,
            "video_name": item.video_name or PurePath(v.path).stem, "video_length": v.frame_count,
            "tracks": tracks,
        })
    return {"datasets": [{"name": name, "queries": queries} for name, queries in subsets.items()]}
