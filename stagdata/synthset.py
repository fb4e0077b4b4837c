"""The synthetic benchmark (``stag synth``) as :class:`~stagdata.sample.Sample` objects.

Read through :class:`stagdata.synth.SynthManifest` (its public API): one sample per query; frame
tubes from the per-frame ground truth file of its video (0-based frames, inclusive label spans);
``kind`` is ``single`` or ``multi`` referent.

>>> load_synth("/nonexistent")          # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
FileNotFoundError: no synthetic benchmark manifest at /nonexistent/manifest.json
"""

from __future__ import annotations

import json
from pathlib import Path

from stagdata.sample import Sample
from verifier.groundtruth import FrameTube


def load_synth(bench: str | Path) -> list[Sample]:
    """Every query of the benchmark at ``bench`` (folder or ``manifest.json``), video by video."""
    from stagdata.synth import SynthManifest

    manifest = SynthManifest.load(bench)
    out = []
    for video in manifest.videos:
        frames = json.loads(manifest.path(video.frames_gt).read_text())
        actors = {a["id"]: a for a in frames["actors"]}
        for q in video.queries:
            tubes = []
            for r in q.referents:
                a = actors[r.actor]
                boxes = {a["first_frame"] + i: tuple(float(v) for v in b) for i, b in enumerate(a["boxes"])
                         if b is not None and r.frames[0] <= a["first_frame"] + i <= r.frames[1]}
                tubes.append(FrameTube(id=r.actor, label=r.label, boxes=boxes, windows=[r.frames]))
            out.append(Sample.build(
                sample_id=str(q.query_id), dataset="synth", video=str(manifest.path(video.path)), query=q.text,
                kind="multi" if q.multi else "single", fps=video.fps, frame_count=video.frame_count,
                width=video.width, height=video.height, frame_base=0, tubes=tubes,
                meta={"video_name": video.name, "subset": video.subset, "query_id": q.query_id, "verb": q.verb,
                      "video_id": manifest.videos.index(video)},
            ))
    return out
