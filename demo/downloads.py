"""The files a run offers for download: result JSON, GLM-V JSON, MOTChallenge txt (frame-level) with its
seqinfo.ini, annotated video.

>>> import tempfile
>>> from verifier.result import GroundingResult, Referent, VideoInfo
>>> video = VideoInfo(path="v.mp4", width=640, height=360, fps=30.0, frame_count=90, duration=3.0)
>>> result = GroundingResult(query="a person", video=video, referents=[
...     Referent(id=1, label="person", interval=(0, 1), boxes={0: (10, 10, 50, 90), 1: (20, 10, 60, 90)})])
>>> [p.name for p in write_downloads(result, tempfile.mkdtemp())]
['result.json', 'glmv.json', 'tracks.mot.txt', 'seqinfo.ini']
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from verifier.exports import to_glmv_json, to_mot_txt, to_seqinfo_ini
from verifier.result import GroundingResult

DOWNLOAD_NAMES = ("result.json", "glmv.json", "tracks.mot.txt", "seqinfo.ini")


def write_downloads(
    result: GroundingResult, out_dir: str | os.PathLike[str], annotated_video: str | os.PathLike[str] | None = None
) -> list[Path]:
    """Write the result's exports into ``out_dir``; the annotated video (if any) is listed last."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / name for name in DOWNLOAD_NAMES]
    paths[0].write_text(result.model_dump_json(indent=2))
    paths[1].write_text(json.dumps(to_glmv_json(result), indent=1))
    paths[2].write_text(to_mot_txt(result))
    paths[3].write_text(to_seqinfo_ini(result))
    if annotated_video is not None:
        paths.append(Path(annotated_video))
    return paths
