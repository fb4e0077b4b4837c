"""HC-STVG v1 / v2 annotations as :class:`~stagdata.sample.Sample` objects.

Format (github.com/tzhhhh123/HC-STVG, README "An example of the json file"): one JSON object keyed
by video file name; per video ``bbox`` = ``[[x, y, w, h], ...]`` pixels, one per frame from
``st_frame`` (1-based: "the first frame index in the bboxes (start with 1)"), ``st_time`` /
``ed_time`` seconds, ``img_num`` frames ("img_num = fps*20": every clip lasts 20 s), v1 ``caption``,
``width``, ``height``; v2 (as TubeDETR's ``preproc/preproc_hcstvgv2.py`` reads ``trainv2.json`` /
``valv2.json``) ``English`` for the caption and ``img_size`` = ``[height, width]``.

Frames: the tube covers annotation frames ``st_frame .. st_frame + len(bbox) - 1`` inclusive, as the
official evaluator (``eval_hcvg.py``: ``all_frame = max(ed) - min(st) + 1``) and CG-STVG count them;
kept here 0-based (``st_frame - 1``) with ``frame_base = 1``. The native rate is the video file's
when it can be read, else ``img_num / 20`` (TubeDETR's ``video_fps = video_num_images / 20``).

>>> import json, tempfile, pathlib
>>> f = pathlib.Path(tempfile.mkdtemp()) / "val_v2.json"
>>> _ = f.write_text(json.dumps({"a.mp4": {"bbox": [[0, 0, 4, 4]] * 40, "st_time": 1.0, "ed_time": 2.3,
...     "img_num": 600, "img_size": [48, 64], "English": "The man waves.", "st_frame": 31}}))
>>> s = load_hcstvg(f, version=2)[0]
>>> s.query, s.fps, s.gt_frames()[:2], s.referents[0].interval
('The man waves.', 30.0, (30, 69), (1, 2))
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

from stagdata.sample import AnnotationError, Sample, VideoFolder, line_of, probe_rate, read_json
from verifier.groundtruth import FrameTube

CLIP_SECONDS = 20.0
"""Every HC-STVG clip lasts 20 s (README: ``img_num = fps*20``)."""


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def load_hcstvg(annotations: str | Path, videos: str | Path | None = None, *, version: Literal[1, 2] = 2) -> list[Sample]:
    """Every annotated video of an HC-STVG v1 or v2 file (one query each), in file order.

    ``videos``: folder of the clips (file names as the keys); without it the rate is ``img_num / 20``
    and ``Sample.video`` is the bare key. Raises :class:`~stagdata.sample.AnnotationError`.
    """
    data, text = read_json(annotations, "HC-STVG annotations")
    if not isinstance(data, dict):
        raise AnnotationError(annotations, 1, "HC-STVG annotations", "(top level)",
                              f"must be an object keyed by video file name, got {type(data).__name__}")
    caption_key = "English" if version == 2 else "caption"
    folder = VideoFolder(videos) if videos is not None else None
    out = []
    for key, anno in data.items():
        where = f"video {key!r}"

        def bad(field: str, problem: str, key: str = key, anno: Any = anno) -> AnnotationError:
            here = isinstance(anno, dict) and field in anno     # else point at the video's own line
            line = (line_of(text, f'"{key}"', f'"{field}"') if here else None) or line_of(text, f'"{key}"')
            return AnnotationError(annotations, line, f"video {key!r}", field, problem)

        if not isinstance(anno, dict):
            raise bad("(entry)", f"must be an object, got {type(anno).__name__}")
        for field in ("bbox", "st_frame", "img_num"):
            if field not in anno:
                raise bad(field, "is missing")
        caption = anno.get(caption_key, anno.get("English", anno.get("caption")))
        if not isinstance(caption, str) or not caption.strip():
            raise bad(caption_key, "is missing or empty")
        if version == 2 or "img_size" in anno:
            size = anno.get("img_size")
            if not (isinstance(size, list) and len(size) == 2 and all(_num(v) and v > 0 for v in size)):
                raise bad("img_size", f"must be [height, width], got {size!r}")
            height, width = int(size[0]), int(size[1])
        else:
            for field in ("width", "height"):
                if not (_num(anno.get(field)) and anno[field] > 0):
                    raise bad(field, f"must be a positive number, got {anno.get(field)!r}")
            width, height = int(anno["width"]), int(anno["height"])
        st, n = anno["st_frame"], anno["img_num"]
        if not (isinstance(st, int) and not isinstance(st, bool) and st >= 1):
            raise bad("st_frame", f"must be a whole frame number >= 1 (1-based), got {st!r}")
        if not (isinstance(n, int) and not isinstance(n, bool) and n >= 1):
            raise bad("img_num", f"must be a whole number of frames >= 1, got {n!r}")
        bbox = anno["bbox"]
        if not isinstance(bbox, list) or not bbox:
            raise bad("bbox", "must be a non-empty list of [x, y, w, h]")
        boxes = {}
        for i, b in enumerate(bbox):
            if not (isinstance(b, list) and len(b) == 4 and all(_num(v) for v in b)) or b[2] < 0 or b[3] < 0:
                raise bad("bbox", f"bbox[{i}] must be [x, y, w, h] numbers with w, h >= 0, got {b!r}")
            boxes[st - 1 + i] = (float(b[0]), float(b[1]), float(b[0] + b[2]), float(b[1] + b[3]))
        last = st - 1 + len(bbox) - 1
        if last >= n:
            raise bad("bbox", f"{len(bbox)} boxes from st_frame {st} run past img_num {n}")
        for field in ("st_time", "ed_time"):
            if field in anno and not _num(anno[field]):
                raise bad(field, f"must be seconds, got {anno[field]!r}")
        fps = n / CLIP_SECONDS
        video = str(key)
        if folder is not None:
            video = folder.find([str(key)], where, annotations)
            fps = probe_rate(video)[0]
        tube = FrameTube(id=1, label="person", boxes=boxes, windows=[(st - 1, last)])
        out.append(Sample.build(
            sample_id=str(key), dataset=f"hcstvg-v{version}", video=video, query=caption.strip(), kind="person",
            fps=fps, frame_count=n, width=width, height=height, frame_base=1, tubes=[tube],
            meta={"key": str(key), "st_frame": st, "ed_frame": st + len(bbox) - 1,
                  "st_time": anno.get("st_time"), "ed_time": anno.get("ed_time")},
        ))
    return out
