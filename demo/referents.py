"""The referents table and the track of one referent over its sampled seconds.

>>> from verifier.result import GroundingResult, Referent, VideoInfo
>>> video = VideoInfo(path="v.mp4", width=640, height=360, fps=30.0, frame_count=300, duration=10.0)
>>> result = GroundingResult(query="a person", video=video, referents=[
...     Referent(id=3, label="person", interval=(2, 6), boxes={2: (0, 0, 5, 5), 6: (1, 1, 6, 6)}, score=0.8123)])
>>> referent_table(result).values.tolist()
[[3, 'person', 2, 6, 2, 0.812]]
>>> referent_id_of_row([3, "person", 2, 6, 2, 0.812])
3
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import cv2
import numpy as np
import pandas as pd

from tools.render import crop
from tools.video import iter_samples
from verifier.result import GroundingResult, Referent

TABLE_COLUMNS = ["id", "label", "start (s)", "end (s)", "seconds with a box", "score"]

MAX_GALLERY_IMAGES = 120
"""At most this many crops are shown for one referent (evenly spread over its seconds)."""


def referent_table(result: GroundingResult) -> pd.DataFrame:
    """One row per referent: id, label, inclusive start and end second, boxed seconds, score."""
    rows = [
        [r.id, r.label, r.interval[0], r.interval[1], len(r.boxes), round(r.score, 3)] for r in result.referents
    ]
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def empty_referent_table() -> pd.DataFrame:
    """The table's headers with no rows (before a run, or after one that failed)."""
    return pd.DataFrame([], columns=TABLE_COLUMNS)


def referent_id_of_row(row: Sequence[object] | None) -> int | None:
    """The referent id in a table row (as the page's select event hands it over), or None."""
    if not row:
        return None
    try:
        return int(float(str(row[0])))
    except ValueError:
        return None


def _spread(seconds: list[int], limit: int) -> set[int]:
    if len(seconds) <= limit:
        return set(seconds)
    picks = np.linspace(0, len(seconds) - 1, limit).round().astype(int)
    return {seconds[i] for i in picks}


def track_gallery(
    video: str | os.PathLike[str], referent: Referent, margin: float = 0.6, limit: int = MAX_GALLERY_IMAGES
) -> list[tuple[np.ndarray, str]]:
    """RGB crops around the referent's box at each second that has one, with "t = N s" captions.

    The box is drawn in each crop so the referent stands out from its surroundings.
    """
    wanted = _spread(referent.seconds, limit)
    if not wanted:
        return []
    shown: list[tuple[np.ndarray, str]] = []
    start, end = min(wanted), max(wanted)
    for sample in iter_samples(video, 1.0, start=start, end=end):
        second = round(sample.time)
        if second not in wanted:
            continue
        box = referent.boxes[second]
        framed = sample.image.copy()
        cv2.rectangle(
            framed, (int(box[0]), int(box[1])), (int(box[2]), int(box[3])), (0, 215, 255), 2, cv2.LINE_AA
        )
        piece = crop(framed, box, pad=margin)
        shown.append((cv2.cvtColor(piece, cv2.COLOR_BGR2RGB), f"t = {second} s"))
    return shown
