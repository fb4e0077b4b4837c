"""SVAG-Bench ground truth as :class:`~stagdata.sample.Sample` objects, one per (subset, query).

Format (SVAG-Bench / SVAGEval, the ICCV 2025 BMTT challenge; the layout :mod:`verifier.svageval`
reads): ``{"datasets": [{"name": "OVIS" | "MOT17" | "MOT20", "queries": [{"query_id", "query",
"video_id", "video_name", "video_length", "tracks": [{"track_id", "spatial": [[x, y, w, h] or null
per frame], "temporal": [[start, end], ...]}]}]}]}``. ``spatial[i]`` is frame ``i + 1`` and temporal
windows are 1-based inclusive frames (SVAGEval turns them into ``[s - 1, e]``); they are kept here
0-based inclusive with ``frame_base = 1``. The format carries neither frame rate nor image size: both
come from the video file, ``<videos>/<subset>/<video_name>.mp4`` or ``<videos>/<video_name>.mp4``.

>>> import json, tempfile, pathlib
>>> q = {"query_id": 7, "query": "the fish", "video_id": 1, "video_name": "v", "video_length": 3,
...      "tracks": [{"track_id": 2, "spatial": [None, [0, 0, 4, 4], [1, 0, 4, 4]], "temporal": [[2, 3]]}]}
>>> f = pathlib.Path(tempfile.mkdtemp()) / "gt.json"
>>> _ = f.write_text(json.dumps({"datasets": [{"name": "OVIS", "queries": [q]}]}))
>>> s = load_svag(f, fps=1.0, size=(64, 48))[0]
>>> s.sample_id, s.kind, s.tubes[0].windows, s.referents[0].interval
('OVIS:7', 'OVIS', [(1, 2)], (1, 2))
"""

from __future__ import annotations

import math
from pathlib import Path

from stagdata.sample import AnnotationError, Sample, VideoFolder, line_of, probe_rate, read_json
from verifier.groundtruth import FrameTube

SUBSETS = ("OVIS", "MOT17", "MOT20")


def load_svag(annotations: str | Path, videos: str | Path | None = None, *, fps: float | None = None,
              size: tuple[int, int] | None = None) -> list[Sample]:
    """Every query of an SVAG-Bench ground-truth file, subset by subset, in file order.

    With ``videos`` the rate and size are read from each video; without it ``fps`` and ``size``
    (width, height) must be given. Raises :class:`~stagdata.sample.AnnotationError`.
    """
    data, text = read_json(annotations, "SVAG-Bench ground truth")
    if not (isinstance(data, dict) and isinstance(data.get("datasets"), list)):
        raise AnnotationError(annotations, 1, "SVAG-Bench ground truth", "datasets",
                              "the file must be {\"datasets\": [{\"name\", \"queries\"}, ...]}")
    if videos is None and (fps is None or size is None):
        raise ValueError("SVAG-Bench files carry no frame rate or size: pass the videos folder (or fps and size)")
    out: list[Sample] = []
    folder = VideoFolder(videos) if videos is not None else None
    for d, ds in enumerate(data["datasets"]):
        name = ds.get("name") if isinstance(ds, dict) else None
        if name not in SUBSETS:
            raise AnnotationError(annotations, line_of(text, '"name"') if d == 0 else None, f"datasets[{d}]", "name",
                                  f"must be one of {list(SUBSETS)}, got {name!r}")
        queries = ds.get("queries")
        if not isinstance(queries, list):
            raise AnnotationError(annotations, line_of(text, f'"{name}"'), f"subset {name}", "queries", "must be a list")
        for q in queries:
            qid = q.get("query_id") if isinstance(q, dict) else None
            where = f"subset {name} query {qid!r}"

            def bad(field: str, problem: str, qid: object = qid, where: str = where, name: str = name) -> AnnotationError:
                anchor = [f'"{name}"', f'"query_id": {qid}']
                return AnnotationError(annotations, line_of(text, *anchor, f'"{field}"') or line_of(text, *anchor),
                                       where, field, problem)

            if not isinstance(q, dict):
                raise bad("(query)", "must be an object")
            for field in ("query_id", "query", "video_id", "video_name", "video_length", "tracks"):
                if field not in q:
                    raise bad(field, "is missing")
            n = q["video_length"]
            if not (isinstance(n, int) and not isinstance(n, bool) and n >= 1):
                raise bad("video_length", f"must be a whole number of frames >= 1, got {n!r}")
            if not isinstance(q["tracks"], list):
                raise bad("tracks", "must be a list")
            tubes = []
            for t, tr in enumerate(q["tracks"]):
                if not (isinstance(tr, dict) and isinstance(tr.get("track_id"), int)):
                    raise bad("track_id", f"tracks[{t}] needs a whole-number track_id")
                spatial = tr.get("spatial") or []
                if not isinstance(spatial, list) or len(spatial) > n:
                    raise bad("spatial", f"tracks[{t}]: must be a list of at most video_length ({n}) boxes")
                boxes = {}
                for i, b in enumerate(spatial):
                    if b is None:
                        continue
                    if not (isinstance(b, list) and len(b) == 4 and all(isinstance(v, (int, float)) and math.isfinite(v) for v in b)):
                        raise bad("spatial", f"tracks[{t}].spatial[{i}] must be [x, y, w, h] or null, got {b!r}")
                    boxes[i] = (float(b[0]), float(b[1]), float(b[0] + b[2]), float(b[1] + b[3]))
                windows = []
                for w in tr.get("temporal") or []:
                    if not (isinstance(w, list) and len(w) >= 2 and all(isinstance(v, int) for v in w[:2])
                            and 1 <= w[0] <= w[1] <= n):
                        raise bad("temporal", f"tracks[{t}]: windows must be [start, end] 1-based frames within {n}, got {w!r}")
                    windows.append((w[0] - 1, w[1] - 1))
                tubes.append(FrameTube(id=tr["track_id"], label="object", boxes=boxes, windows=windows))
            if folder is not None:
                stem = str(q["video_name"])
                video = folder.find([f"{name}/{stem}.mp4", f"{stem}.mp4", f"{name}/{stem}", stem], where, annotations)
                rate, _, width, height = probe_rate(video)
            else:
                video, rate, (width, height) = f"{q['video_name']}.mp4", float(fps), size  # type: ignore[arg-type,misc]
            out.append(Sample.build(
                sample_id=f"{name}:{q['query_id']}", dataset="svag", video=video, query=str(q["query"]), kind=name,
                fps=rate, frame_count=n, width=width, height=height, frame_base=1, tubes=tubes,
                meta={"subset": name, "query_id": q["query_id"], "video_id": q["video_id"],
                      "video_name": str(q["video_name"]), "video_length": n},
            ))
    return out
