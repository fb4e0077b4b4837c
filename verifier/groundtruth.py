"""Ground truth in one type, from the benchmark formats stag scores against.

:class:`GroundTruth` holds one query's referents at second level (:class:`~verifier.result.Referent`,
the same type predictions use) and, when the source is frame-level, the original frame tubes.

Which frame stands for a second is :mod:`verifier.timebase`'s rule: sample ``i`` at ``sample_fps``
is frame ``round(i / sample_fps * fps)``. A frame tube ``[f0, f1]`` covers sample ``i`` iff that
frame lies in ``[f0, f1]``; its box there is the annotated box of that frame, or the linear
interpolation of the nearest annotated frames around it (the nearest one at an edge). A tube too
short to contain any sampled frame keeps one second: the sample nearest its middle frame.

Readers: :meth:`GroundTruth.from_stvg` (the ``stag eval stvg`` JSON), :func:`read_hcstvg`,
:func:`read_vidstg`, :func:`read_svag` and :func:`read_mot` (MOTChallenge txt, one referent per
track; :mod:`verifier.motchallenge` scores whole directories).

>>> gt = GroundTruth.from_stvg({"width": 640, "height": 360, "interval": [2, 3],
...                             "boxes": {"2": [0, 0, 10, 10], "3": [1, 0, 11, 10]}})
>>> gt.referents[0].interval, gt.referents[0].boxes[3]
((2, 3), (1.0, 0.0, 11.0, 10.0))
>>> seconds_from_frames({30: (0, 0, 10, 10), 60: (10, 0, 20, 10)}, (30, 60), fps=30.0)
((1, 2), {1: (0.0, 0.0, 10.0, 10.0), 2: (10.0, 0.0, 20.0, 10.0)})
"""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from verifier.result import Box, Referent
from verifier.timebase import frame_of_time


class FrameTube(BaseModel):
    """A frame-level referent: 0-based frames, xyxy pixel boxes, inclusive frame windows."""

    id: int
    label: str = ""
    boxes: dict[int, Box] = Field(default_factory=dict)
    windows: list[tuple[int, int]] = Field(default_factory=list, description="inclusive 0-based frames")

    @property
    def interval(self) -> tuple[int, int] | None:
        """First to last frame of its windows, or of its boxes when it has no windows."""
        if self.windows:
            return (min(w[0] for w in self.windows), max(w[1] for w in self.windows))
        return (min(self.boxes), max(self.boxes)) if self.boxes else None


class GroundTruth(BaseModel):
    """One query's ground truth: referents per second, plus frame tubes for frame-level sources."""

    query: str = ""
    video: str = ""
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    fps: float | None = Field(default=None, gt=0)
    frame_count: int | None = Field(default=None, ge=0)
    referents: list[Referent] = Field(default_factory=list)
    frame_tubes: list[FrameTube] = Field(default_factory=list)
    source: str = "stvg"
    multi_referent: bool = Field(default=False, description="given as a referents list (even of one)")

    @classmethod
    def from_stvg(cls, obj: Mapping[str, Any] | str) -> GroundTruth:
        """The ``stag eval stvg`` format: ``{"width", "height", "interval": [s, e], "boxes":
        {"<second>": [x1,y1,x2,y2]}}`` (pixels, inclusive seconds), or ``{"width", "height",
        "referents": [{"interval", "boxes", "label"?, "id"?}, ...]}`` for several referents.
        Raises ``ValueError`` naming what is wrong.

        >>> len(GroundTruth.from_stvg('{"width": 8, "height": 8, "referents": []}').referents)
        0
        """
        if isinstance(obj, str):
            try:
                obj = json.loads(obj)
            except ValueError as exc:
                raise ValueError(f"ground truth is not valid JSON: {exc}") from None
        if not isinstance(obj, Mapping):
            raise ValueError(f"ground truth must be a JSON object, got {type(obj).__name__}")  # noqa: TRY004 (bad input file)
        missing = [k for k in ("width", "height") if k not in obj]
        if missing:
            raise ValueError(f"ground truth lacks {', '.join(missing)}")
        if "referents" in obj:
            refs = obj["referents"]
            if not isinstance(refs, list):
                raise ValueError("ground truth 'referents' must be a list")
        elif "interval" in obj:
            refs = [obj]
        else:
            raise ValueError("ground truth needs 'interval' and 'boxes', or a 'referents' list")
        referents = [_referent(r, i) for i, r in enumerate(refs, start=1)]
        try:
            return cls(width=obj["width"], height=obj["height"], referents=referents,
                       query=str(obj.get("query", "")), source="stvg", multi_referent="referents" in obj)
        except ValidationError as exc:
            raise ValueError(f"ground truth is malformed: {_first_error(exc)}") from None



def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ()))
    return f"{where}: {err.get('msg', '')}" if where else str(err.get("msg", ""))


def _referent(obj: Any, default_id: int) -> Referent:
    if not isinstance(obj, Mapping):
        raise ValueError(f"referent {default_id} must be an object, got {type(obj).__name__}")  # noqa: TRY004 (bad input file)
    if "interval" not in obj:
        raise ValueError(f"referent {default_id} lacks 'interval' [start, end]")
    iv = obj["interval"]
    if not (isinstance(iv, (list, tuple)) and len(iv) == 2 and all(_is_int(v) for v in iv)):
        raise ValueError(f"referent {default_id}: interval must be [start, end] whole seconds, got {iv!r}")
    boxes_in = obj.get("boxes", {})
    if not isinstance(boxes_in, Mapping):
        raise ValueError(f"referent {default_id}: boxes must map seconds to [x1, y1, x2, y2]")  # noqa: TRY004 (bad input file)
    boxes: dict[int, Box] = {}
    for k, b in boxes_in.items():
        if b is None:
            continue
        try:
            sec = int(k)
        except (TypeError, ValueError):
            raise ValueError(f"referent {default_id}: box key {k!r} is not a whole second") from None
        if not (isinstance(b, (list, tuple)) and len(b) == 4):
            raise ValueError(f"referent {default_id}: box at second {k} must be [x1, y1, x2, y2], got {b!r}")
        try:
            box = tuple(float(v) for v in b)
        except (TypeError, ValueError):
            raise ValueError(f"referent {default_id}: box at second {k} has a non-number: {b!r}") from None
        boxes[sec] = box  # type: ignore[assignment]
    try:
        return Referent(id=int(obj.get("id", default_id)), label=str(obj.get("label", "object")),
                        interval=(int(iv[0]), int(iv[1])), boxes=boxes)
    except (ValidationError, ValueError) as exc:
        msg = _first_error(exc) if isinstance(exc, ValidationError) else str(exc)
        raise ValueError(f"referent {default_id} is malformed: {msg}") from None


def _is_int(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return True
    return isinstance(v, float) and v.is_integer()


def _box_at(boxes: Mapping[int, Box], frames: Sequence[int], f: int) -> Box:
    """Box at frame ``f``: annotated, else linearly interpolated, else the nearest (edges)."""
    if f in boxes:
        return tuple(float(v) for v in boxes[f])  # type: ignore[return-value]
    j = bisect.bisect_left(frames, f)
    if j == 0:
        return tuple(float(v) for v in boxes[frames[0]])  # type: ignore[return-value]
    if j == len(frames):
        return tuple(float(v) for v in boxes[frames[-1]])  # type: ignore[return-value]
    f0, f1 = frames[j - 1], frames[j]
    t = (f - f0) / (f1 - f0)
    a, b = boxes[f0], boxes[f1]
    return tuple(float(a[i] + (b[i] - a[i]) * t) for i in range(4))  # type: ignore[return-value]


def seconds_from_frames(boxes: Mapping[int, Box], interval: tuple[int, int] | None, fps: float,
                        sample_fps: float = 1.0) -> tuple[tuple[int, int], dict[int, Box]] | None:
    """A frame tube as (inclusive sample interval, sample -> box) by the module's rule.

    ``interval`` is the tube's inclusive frame span (None: first to last annotated frame).
    Returns None for a tube with neither boxes nor interval.

    >>> seconds_from_frames({10: (0, 0, 4, 4)}, (10, 12), fps=30.0)   # shorter than a second
    ((0, 0), {0: (0.0, 0.0, 4.0, 4.0)})
    """
    frames = sorted(boxes)
    if interval is None:
        if not frames:
            return None
        interval = (frames[0], frames[-1])
    f0, f1 = interval
    first = max(0, math.floor(f0 / fps * sample_fps) - 1)
    inside = []
    i = first
    while frame_of_time(i / sample_fps, fps) <= f1:
        if frame_of_time(i / sample_fps, fps) >= f0:
            inside.append(i)
        i += 1
    if not inside:      # too short for any sampled frame: the sample nearest the middle
        mid = (f0 + f1) / 2
        inside = [max(0, round(mid / fps * sample_fps))]
    out: dict[int, Box] = {}
    if frames:
        for s in inside:
            f = min(max(frame_of_time(s / sample_fps, fps), f0), f1)
            out[s] = _box_at(boxes, frames, f)
    return (inside[0], inside[-1]), out


def _load_json(source: Mapping[str, Any] | str | Path, what: str) -> Any:
    if isinstance(source, Mapping):
        return source
    path = Path(source)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise ValueError(f"{what} file {path} does not exist") from None
    except ValueError as exc:
        raise ValueError(f"{what} file {path} is not valid JSON: {exc}") from None


def _frame_level(video: str, query: str, width: int, height: int, fps: float | None, frame_count: int | None,
                 tubes: list[FrameTube], source: str, sample_fps: float = 1.0) -> GroundTruth:
    referents = []
    if fps is not None:
        for t in tubes:
            conv = seconds_from_frames(t.boxes, t.interval, fps, sample_fps)
            if conv is not None:
                (s, e), bx = conv
                referents.append(Referent(id=t.id, label=t.label or "object", interval=(s, e), boxes=bx))
    return GroundTruth(query=query, video=video, width=width, height=height, fps=fps,
                       frame_count=frame_count, referents=referents, frame_tubes=tubes, source=source,
                       multi_referent=len(tubes) != 1)


def read_hcstvg(source: Mapping[str, Any] | str | Path, *, fps: float | None = None,
                one_based: bool = True) -> list[GroundTruth]:
    """HC-STVG (v1/v2) annotations: ``{video: {"st_frame", "bbox": [[x,y,w,h] per frame from
    st_frame], "img_num", "img_hw" | "img_size": [H, W] | "width"/"height", "English" | "caption",
    "fps"?}}``. ``st_frame`` is 1-based unless ``one_based=False``. Without ``fps`` (argument or
    field) only the frame tubes are filled.

    >>> gt = read_hcstvg({"v.mp4": {"st_frame": 31, "bbox": [[0, 0, 10, 10]] * 31, "img_num": 90,
    ...                              "img_hw": [360, 640], "English": "the man"}}, fps=30.0)[0]
    >>> gt.frame_tubes[0].interval, gt.referents[0].interval
    ((30, 60), (1, 2))
    """
    data = _load_json(source, "HC-STVG annotation")
    if not isinstance(data, Mapping):
        raise ValueError("HC-STVG annotations must be a JSON object keyed by video")  # noqa: TRY004 (bad input file)
    out = []
    for video, anno in data.items():
        try:
            if "img_hw" in anno or "img_size" in anno:
                h, w = anno.get("img_hw", anno.get("img_size"))
            else:
                w, h = anno["width"], anno["height"]
            start = int(anno["st_frame"]) - (1 if one_based else 0)
            boxes = {start + i: (float(b[0]), float(b[1]), float(b[0]) + float(b[2]), float(b[1]) + float(b[3]))
                     for i, b in enumerate(anno["bbox"])}
            caption = str(anno.get("English", anno.get("caption", "")))
            video_fps = fps if fps is not None else anno.get("fps")
            tube = FrameTube(id=1, label="person", boxes=boxes,
                             windows=[(start, start + len(anno["bbox"]) - 1)] if anno["bbox"] else [])
            out.append(_frame_level(str(video), caption, int(w), int(h), video_fps,
                                    anno.get("img_num"), [tube], "hcstvg"))
        except (KeyError, TypeError, ValueError, ValidationError) as exc:
            raise ValueError(f"HC-STVG annotation of {video!r} is malformed: {exc!r}") from None
    return out


def read_vidstg(source: Mapping[str, Any] | str | Path, *, sample_fps: float = 1.0) -> list[GroundTruth]:
    """One VidSTG video annotation (VidOR style): ``frame_count``, ``fps``, ``width``, ``height``,
    ``subject/objects`` (tid, category), ``trajectories`` (per frame, ``[{"tid", "bbox": {xmin,
    ymin, xmax, ymax}}]``), ``temporal_gt`` ``{begin_fid, end_fid}`` (end exclusive, as TubeDETR
    reads it), and ``captions`` / ``questions`` with ``target_id`` and ``description``. One
    :class:`GroundTruth` per sentence.

    >>> anno = {"video_id": "v", "frame_count": 60, "fps": 30, "width": 64, "height": 48,
    ...         "subject/objects": [{"tid": 0, "category": "dog"}],
    ...         "trajectories": [[{"tid": 0, "bbox": {"xmin": 0, "ymin": 0, "xmax": 8, "ymax": 8}}]] * 60,
    ...         "temporal_gt": {"begin_fid": 0, "end_fid": 60},
    ...         "captions": [{"target_id": 0, "description": "a dog runs"}]}
    >>> gt = read_vidstg(anno)[0]
    >>> gt.query, gt.frame_tubes[0].interval, gt.referents[0].interval
    ('a dog runs', (0, 59), (0, 1))
    """
    anno = _load_json(source, "VidSTG annotation")
    try:
        fps = float(anno["fps"])
        categories = {o["tid"]: o.get("category", "object") for o in anno.get("subject/objects", [])}
        begin, end = int(anno["temporal_gt"]["begin_fid"]), int(anno["temporal_gt"]["end_fid"])
        sentences = list(anno.get("captions", [])) + list(anno.get("questions", []))
        out = []
        for sent in sentences:
            tid = sent["target_id"]
            boxes: dict[int, Box] = {}
            for f in range(begin, min(end, len(anno["trajectories"]))):
                for obj in anno["trajectories"][f]:
                    if obj["tid"] == tid:
                        b = obj["bbox"]
                        boxes[f] = (float(b["xmin"]), float(b["ymin"]), float(b["xmax"]), float(b["ymax"]))
            tube = FrameTube(id=int(tid), label=str(categories.get(tid, "object")), boxes=boxes,
                             windows=[(begin, end - 1)])
            out.append(_frame_level(str(anno.get("video_id", "")), str(sent.get("description", "")),
                                    int(anno["width"]), int(anno["height"]), fps, int(anno["frame_count"]),
                                    [tube], "vidstg", sample_fps))
        return out
    except (KeyError, TypeError, ValueError, IndexError, ValidationError) as exc:
        raise ValueError(f"VidSTG annotation is malformed: {exc!r}") from None


def read_svag(source: Mapping[str, Any] | str | Path, *, fps: Mapping[str, float] | float | None = None,
              width: int = 1920, height: int = 1080) -> dict[str, list[GroundTruth]]:
    """SVAG-Bench ground truth (``{"datasets": [{"name", "queries": [...]}]}``) per subset.

    Each track becomes a :class:`FrameTube` (``spatial[i]`` ``[x,y,w,h]`` is frame ``i``;
    ``temporal`` windows are 1-based inclusive frames, kept 0-based inclusive). With ``fps`` (one
    value, or per subset name) second-level referents are filled too. The format carries no image
    size; ``width`` / ``height`` only label the result.

    >>> gt = {"datasets": [{"name": "OVIS", "queries": [{"query_id": 1, "query": "a fish swims",
    ...       "video_id": 1, "video_name": "v", "video_length": 3,
    ...       "tracks": [{"track_id": 4, "spatial": [None, [0, 0, 5, 5], [1, 0, 5, 5]], "temporal": [[2, 3]]}]}]}]}
    >>> read_svag(gt)["OVIS"][0].frame_tubes[0].windows
    [(1, 2)]
    """
    data = _load_json(source, "SVAG-Bench ground truth")
    out: dict[str, list[GroundTruth]] = {}
    try:
        for ds in data["datasets"]:
            name = str(ds["name"])
            ds_fps = fps.get(name) if isinstance(fps, Mapping) else fps
            items = []
            for q in ds["queries"]:
                tubes = []
                for tr in q["tracks"]:
                    boxes = {i: (float(b[0]), float(b[1]), float(b[0]) + float(b[2]), float(b[1]) + float(b[3]))
                             for i, b in enumerate(tr.get("spatial") or []) if b is not None}
                    windows = [(int(w[0]) - 1, int(w[1]) - 1) for w in (tr.get("temporal") or []) if w is not None]
                    tubes.append(FrameTube(id=int(tr["track_id"]), boxes=boxes, windows=windows))
                items.append(_frame_level(str(q["video_name"]), str(q["query"]), width, height, ds_fps,
                                          int(q["video_length"]), tubes, "svag"))
            out[name] = items
    except (KeyError, TypeError, ValueError, IndexError, ValidationError) as exc:
        raise ValueError(f"SVAG-Bench ground truth is malformed: {exc!r}") from None
    return out


def read_mot(path: str | Path, *, width: int, height: int, fps: float | None = None, query: str = "",
             sample_fps: float = 1.0) -> GroundTruth:
    """A MOTChallenge ground-truth file (1-based frames, ``x,y,w,h``; zero-marked rows ignored) as
    one :class:`GroundTruth` with a frame tube per track id (and referents per second with ``fps``).

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "gt.txt"
    >>> _ = f.write_text("1,4,0,0,10,10,1,1,1\\n31,4,5,0,10,10,1,1,1\\n")
    >>> gt = read_mot(f, width=64, height=48, fps=30.0)
    >>> gt.frame_tubes[0].boxes[30], gt.referents[0].interval
    ((5.0, 0.0, 15.0, 10.0), (0, 1))
    """
    from verifier.motchallenge import read_mot_txt

    rows = read_mot_txt(path)
    keep = rows.conf.astype(int) != 0
    tubes: dict[int, dict[int, Box]] = {}
    for f, i, b in zip(rows.frames[keep].tolist(), rows.ids[keep].tolist(), rows.boxes[keep].tolist()):
        tubes.setdefault(i, {})[f - 1] = tuple(b)  # type: ignore[assignment]
    frame_tubes = [FrameTube(id=i, boxes=dict(sorted(bx.items()))) for i, bx in sorted(tubes.items())]
    n_frames = int(rows.frames.max()) if len(rows.frames) else 0
    return _frame_level(Path(path).stem, query, width, height, fps, n_frames, frame_tubes, "mot", sample_fps)
