"""The one sample type every dataset loader yields, and the error a malformed annotation file raises.

A :class:`Sample` is one (video, query) pair with its ground truth twice: frame-level tubes
(:class:`verifier.groundtruth.FrameTube`, 0-based frames, xyxy pixels, inclusive windows) and
second-level referents (:class:`verifier.result.Referent`, converted by :mod:`verifier.timebase`'s
rule). ``frame_base`` says how the source numbers its frames (1 for HC-STVG and SVAG-Bench, 0 for
VidSTG and the synthetic benchmark), so predictions can be written back in the annotation's own
numbering.

>>> from verifier.groundtruth import FrameTube
>>> s = Sample.build(sample_id="1", dataset="synth", video="v.mp4", query="the man", kind="single",
...                  fps=30.0, frame_count=90, width=64, height=48,
...                  tubes=[FrameTube(id=1, boxes={f: (0, 0, 8, 8) for f in range(30, 61)}, windows=[(30, 60)])])
>>> s.referents[0].interval, s.gt_frames(0)[0], s.gt_frames(0)[1]
((1, 2), 30, 60)
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from verifier.groundtruth import FrameTube, GroundTruth, seconds_from_frames
from verifier.result import Box, Referent

DatasetName = Literal["synth", "hcstvg-v1", "hcstvg-v2", "vidstg", "svag"]
DATASETS: tuple[str, ...] = ("synth", "hcstvg-v1", "hcstvg-v2", "vidstg", "svag")


class AnnotationError(ValueError):
    """A malformed annotation file: the message names the file, the line and the field."""

    def __init__(self, path: str | Path, line: int | None, where: str, field: str, problem: str) -> None:
        self.path, self.line, self.where, self.field, self.problem = str(path), line, where, field, problem
        at = f"line {line}" if line else "line ?"
        super().__init__(f"{path}: {at}: {where}: field {field!r}: {problem}")


def read_json(path: str | Path, what: str) -> tuple[Any, str]:
    """Parse a JSON file; returns ``(data, text)``. A missing file or bad JSON raises
    :class:`AnnotationError` (bad JSON with the decoder's line)."""
    p = Path(path)
    try:
        text = p.read_text()
    except FileNotFoundError:
        raise AnnotationError(p, None, what, "(file)", "does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AnnotationError(p, None, what, "(file)", f"cannot be read: {exc}") from None
    try:
        return json.loads(text), text
    except json.JSONDecodeError as exc:
        raise AnnotationError(p, exc.lineno, what, "(json)", f"not valid JSON: {exc.msg}") from None


def line_of(text: str, *needles: str) -> int | None:
    """1-based line of the last of ``needles``, each searched after the previous one (None if absent).

    >>> line_of('{\\n "a": {\\n  "x": 1,\\n  "bbox": 2}}', '"a"', '"bbox"')
    4
    """
    pos = 0
    found = None
    for n in needles:
        i = text.find(n, pos)
        if i < 0:
            break
        found, pos = i, i + len(n)
    return None if found is None else text.count("\n", 0, found) + 1


class Sample(BaseModel):
    """One query about one video, with frame-level and second-level ground truth."""

    sample_id: str = Field(description="unique within its dataset file")
    dataset: DatasetName
    video: str = Field(description="path of the video file")
    query: str
    kind: str = Field(description="group reported apart: single/multi, declarative/interrogative, or the subset")
    fps: float = Field(gt=0, description="native frame rate the annotation's frames are counted at")
    frame_count: int = Field(ge=1)
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    frame_base: int = Field(default=0, ge=0, le=1, description="number of the first frame in the annotation")
    tubes: list[FrameTube] = Field(default_factory=list, description="0-based frames, inclusive windows")
    referents: list[Referent] = Field(default_factory=list, description="the tubes at second level")
    eval_window: tuple[int, int] | None = Field(
        default=None, description="0-based inclusive frames the evaluation is restricted to (VidSTG used_segment)")
    meta: dict[str, Any] = Field(default_factory=dict, description="source ids the official layouts need")

    @classmethod
    def build(cls, **fields: Any) -> Sample:
        """A sample whose second-level referents are derived from its frame tubes."""
        s = cls(**fields)
        refs = []
        for t in s.tubes:
            conv = seconds_from_frames(t.boxes, t.interval, s.fps)
            if conv is not None:
                (a, b), boxes = conv
                refs.append(Referent(id=t.id, label=t.label or "object", interval=(a, b), boxes=boxes))
        s.referents = refs
        return s

    @property
    def video_key(self) -> str:
        """The real file behind ``video`` (links resolved): queries are grouped by it."""
        return os.path.realpath(self.video)

    def gt_frames(self, index: int = 0) -> tuple[int, int, dict[int, Box]]:
        """Tube ``index`` as (first, last, frame -> box), 0-based frames, inclusive."""
        t = self.tubes[index]
        iv = t.interval
        if iv is None:
            raise ValueError(f"sample {self.sample_id}: tube {t.id} has neither boxes nor windows")
        return iv[0], iv[1], dict(t.boxes)

    def ground_truth(self) -> GroundTruth:
        """The verifier's ground-truth object (second-level referents and frame tubes)."""
        return GroundTruth(query=self.query, video=self.video, width=self.width, height=self.height, fps=self.fps,
                           frame_count=self.frame_count, referents=self.referents, frame_tubes=self.tubes,
                           source=self.dataset, multi_referent=len(self.tubes) != 1)


class VideoFolder:
    """Finds video files under a folder: at the given relative path, else by file name anywhere below
    (HC-STVG v2 ships its clips in sub-folders, as TubeDETR's ``preproc_hcstvgv2.py`` walks them).

    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp()); (root / "part3").mkdir(); _ = (root / "part3" / "a.mp4").write_bytes(b"")
    >>> pathlib.Path(VideoFolder(root).find(["a.mp4"], "video 'a.mp4'", "x.json")).parent.name
    'part3'
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._by_name: dict[str, Path] | None = None

    def find(self, names: Sequence[str], what: str, path: str | Path) -> str:
        """The first of ``names`` under the folder; :class:`AnnotationError` naming the video if none."""
        for n in names:
            p = self.root / n
            if p.is_file():
                return str(p)
        if self._by_name is None:
            self._by_name = {}
            for p in sorted(self.root.rglob("*")):
                self._by_name.setdefault(p.name, p)
        for n in names:
            hit = self._by_name.get(Path(n).name)
            if hit is not None and hit.is_file():
                return str(hit)
        raise AnnotationError(path, None, what, "video", f"no file {names[0]!r} under {self.root}")


def probe_rate(video: str) -> tuple[float, int, int, int]:
    """(fps, frame_count, width, height) of a video file, read from its header and first frame."""
    from tools.video import probe

    info = probe(video)
    return info.fps, info.frame_count, info.width, info.height
