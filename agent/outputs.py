"""Write a grounding result to a folder: the result JSON, every export, and the annotated video.

The exports come from :mod:`verifier.exports` and the video from :func:`tools.render.render_video`;
this module only names the files.

    result.json          the GroundingResult (the same object ``stag ground --json`` prints)
    glmv.json            GLM-V per-second tracking JSON (0-1000 coordinates)
    tracks.mot.txt       MOTChallenge txt (frame-level: 1-based video frames, interpolated between seconds)
    seqinfo.ini          the MOTChallenge sequence info that goes with it (length, frame rate, size)
    svag_submission.json SVAG-Bench submission JSON (only with the query's and video's SVAG-Bench ids)
    frame_boxes.json     frame-level boxes by interpolation: {referent id: {0-based frame: box}}
    annotated.mp4        H.264 video with the referents drawn

>>> sorted(OUTPUT_FILES)[:2]
['annotated', 'frame_boxes']
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from verifier.result import GroundingResult

OUTPUT_FILES: dict[str, str] = {
    "result": "result.json",
    "glmv": "glmv.json",
    "mot": "tracks.mot.txt",
    "seqinfo": "seqinfo.ini",
    "svag": "svag_submission.json",
    "frame_boxes": "frame_boxes.json",
    "annotated": "annotated.mp4",
}


def _dump(obj: object, path: Path) -> None:
    if isinstance(obj, str):
        path.write_text(obj if obj.endswith("\n") or not obj else obj + "\n")
    else:
        path.write_text(json.dumps(obj, indent=1) + "\n")


def write_outputs(
    result: GroundingResult,
    out_dir: str | Path,
    *,
    video: bool = True,
    svag_dataset: str = "OVIS",
    query_id: int | None = None,
    video_id: int | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Path]:
    """Write the files of :data:`OUTPUT_FILES` into ``out_dir`` (created); returns name -> path.

    The SVAG-Bench submission holds this one query as ``query_id`` of ``video_id`` (the benchmark's
    ids) in subset ``svag_dataset``; it is written only when both ids are given (made-up ids would
    be scored against another query).
    """
    from verifier import exports

    if (query_id is None) != (video_id is None):
        raise ValueError("the SVAG-Bench submission needs both the query id and the video id")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / fname for name, fname in OUTPUT_FILES.items()}
    paths["result"].write_text(result.model_dump_json(indent=1) + "\n")
    _dump(exports.to_glmv_json(result), paths["glmv"])
    _dump(exports.to_mot_txt(result), paths["mot"])
    _dump(exports.to_seqinfo_ini(result), paths["seqinfo"])
    if query_id is not None and video_id is not None:
        item = exports.SvagItem(result=result, dataset=svag_dataset, query_id=query_id, video_id=video_id)
        _dump(exports.to_svag_submission([item]), paths["svag"])
    else:
        del paths["svag"]
    frames = exports.to_frame_boxes(result)
    _dump({str(rid): {str(f): [round(v, 2) for v in b] for f, b in fb.items()} for rid, fb in frames.items()},
          paths["frame_boxes"])
    if video:
        from tools.render import render_video

        render_video(result.video.path, result, paths["annotated"], on_progress=on_progress)
    else:
        del paths["annotated"]
    return paths
