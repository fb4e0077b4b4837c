"""Per-sample boxes -> frame-level boxes, by linear interpolation (paper 002, section 3.7).

Sample ``i`` (at ``sample_fps``; at 1 FPS, second ``i``) is taken at ``t = i / sample_fps``,
stands for the period ``[t, t + 1/sample_fps)`` and is represented by frame ``round(t * fps)``
(:mod:`verifier.timebase`, halves up). Frames between two consecutive samples get the box
interpolated linearly between theirs, by frame position; a missing sample inside the span is
bridged the same way. The last sample's box is held through the rest of its period, so an inclusive
interval ``[s, e]`` of seconds covers frames ``round(s * fps)`` to ``round((e + 1) * fps) - 1``,
as the interval covers ``e - s + 1`` seconds. Only frames inside the video
(``0 <= f < frame_count``) get a box. When two samples stand for the same frame, the earlier one
is kept.

>>> out = frame_boxes({0: (0, 0, 10, 10), 1: (10, 0, 20, 10)}, fps=4.0, frame_count=100)
>>> sorted(out), out[2], out[7]
([0, 1, 2, 3, 4, 5, 6, 7], (5.0, 0.0, 15.0, 10.0), (10.0, 0.0, 20.0, 10.0))
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from verifier.result import Box
from verifier.timebase import frame_of_time


def frame_boxes(boxes: Mapping[int, Box], fps: float, frame_count: int, sample_fps: float = 1.0) -> dict[int, Box]:
    """0-based frame -> box for every frame of the samples' span (see module docs).

    >>> sorted(frame_boxes({2: (0, 0, 4, 4)}, fps=30.0, frame_count=90))[::29]   # second 2 = frames 60-89
    [60, 89]
    >>> frame_boxes({5: (0, 0, 4, 4)}, fps=30.0, frame_count=90)    # sample beyond the video
    {}
    """
    if not boxes or frame_count <= 0:
        return {}
    frames: list[int] = []
    values: list[Box] = []
    for i in sorted(boxes):
        f = frame_of_time(i / sample_fps, fps)
        if frames and f <= frames[-1]:
            continue
        frames.append(f)
        values.append(boxes[i])
    fr = np.asarray(frames)
    vals = np.asarray(values, dtype=float).reshape(-1, 4)
    last = max(max(boxes), 0)
    end = max(frame_of_time((last + 1) / sample_fps, fps) - 1, fr[-1])  # hold through the last period
    every = np.arange(fr[0], end + 1)
    every = every[(every >= 0) & (every < frame_count)]
    if len(every) == 0:
        return {}
    cols = np.stack([np.interp(every, fr, vals[:, c]) for c in range(4)], axis=1)
    return {int(f): (float(b[0]), float(b[1]), float(b[2]), float(b[3])) for f, b in zip(every, cols)}
