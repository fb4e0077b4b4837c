"""The one rule for time: which frame stands for a sampled instant.

Seconds are the product's unit. Sample ``i`` at rate ``r`` samples per second is taken at time
``t = i / r``, stands for the period ``[t, t + 1/r)``, and is represented by the frame nearest its
start, ``round(t * fps)`` (0-based, halves rounded up). A sample exists when that frame exists and
the video covers at least half of its period (the first sample always exists), so a 60.03 s film
has 60 seconds, not 61. At the default ``r = 1`` sample ``k`` *is* second ``k``. The same rule is
used when sampling video (tools), when converting frame-level ground truth to seconds (verifier)
and when interpolating per-second boxes back to frames.

>>> frame_of_time(2.0, 29.97)
60
>>> sample_times(frame_count=90, fps=30.0)
[0.0, 1.0, 2.0]
"""

from __future__ import annotations

import math


def frame_of_time(t: float, fps: float) -> int:
    """0-based index of the frame nearest time ``t`` seconds (halves round up).

    >>> frame_of_time(0.5, 3.0)
    2
    """
    if fps <= 0 or not math.isfinite(fps):
        raise ValueError(f"fps must be a positive number, got {fps!r}")
    return math.floor(t * fps + 0.5)


def sample_times(frame_count: int, fps: float, sample_fps: float = 1.0) -> list[float]:
    """Times (seconds) of the samples a video of ``frame_count`` frames yields at ``sample_fps``.

    Sample ``i`` exists iff its frame ``round(i / sample_fps * fps)`` is inside the video and the
    video lasts at least half a period past the sample's time (sample 0 exists in any video with a
    frame).

    >>> len(sample_times(frame_count=1799, fps=29.97))   # the 60.03 s sample film
    60
    >>> sample_times(frame_count=10, fps=10.0, sample_fps=2.0)
    [0.0, 0.5]
    >>> sample_times(frame_count=5, fps=30.0)            # a sixth of a second still has second 0
    [0.0]
    """
    if sample_fps <= 0 or not math.isfinite(sample_fps):
        raise ValueError(f"sample_fps must be a positive number, got {sample_fps!r}")
    if frame_count <= 0:
        return []
    duration = frame_count / fps
    half_period = 0.5 / sample_fps
    times: list[float] = [0.0]
    i = 1
    while frame_of_time(i / sample_fps, fps) < frame_count and i / sample_fps + half_period <= duration + 1e-9:
        times.append(i / sample_fps)
        i += 1
    return times


def sample_frames(frame_count: int, fps: float, sample_fps: float = 1.0) -> list[int]:
    """0-based frame indices of the samples (see :func:`sample_times`).

    >>> sample_frames(frame_count=90, fps=30.0)
    [0, 30, 60]
    """
    return [frame_of_time(t, fps) for t in sample_times(frame_count, fps, sample_fps)]


def second_of_frame(frame: int, fps: float) -> float:
    """Time in seconds of a 0-based frame index.

    >>> second_of_frame(60, 30.0)
    2.0
    """
    return frame / fps
