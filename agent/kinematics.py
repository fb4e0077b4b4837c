"""Per-second motion of a track: position, size, velocity, speed and growth, in the track's own scale.

Speeds are measured in *box sizes per second* (the box's longer side), so a walking person is about
as fast whether near the camera or far from it. Gaps of up to :data:`GAP_FILL` seconds are
interpolated first. Velocities are central differences over the neighbouring seconds with a box (a
longer gap widens the step), then median-filtered over three seconds to damp 1-FPS detector jitter.

>>> from tools.track import Track
>>> t = Track(id=1, label="person", boxes={k: (10.0 + 30 * k, 50, 40 + 30 * k, 150) for k in range(5)})
>>> m = motion(t)
>>> [round(float(v), 2) for v in m.vx]
[0.3, 0.3, 0.3, 0.3, 0.3]
>>> m.dx_pixels(0, 4)
120.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tools.smooth import fill_gaps
from tools.track import Track

GAP_FILL = 3
"""A track's gaps of up to this many seconds are read as interpolated boxes (the detector missed the
person; they did not leave). The answer fills the same gaps (:func:`agent.nodes.smooth`)."""

DEPTH_WEIGHT = 4.0
"""Box sizes per second that one unit of d ln(height)/dt counts as (see :attr:`Motion.activity`)."""


def _median3(x: np.ndarray) -> np.ndarray:
    if len(x) < 3:
        return x.copy()
    padded = np.concatenate([x[:1], x, x[-1:]])
    return np.median(np.stack([padded[:-2], padded[1:-1], padded[2:]]), axis=0)


def _diff(values: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """Central difference per second (one-sided at the ends); zeros for a single sample."""
    n = len(values)
    if n < 2:
        return np.zeros(n)
    lo = np.clip(np.arange(n) - 1, 0, n - 1)
    hi = np.clip(np.arange(n) + 1, 0, n - 1)
    dt = (seconds[hi] - seconds[lo]).astype(float)
    dt[dt == 0] = 1.0
    return (values[hi] - values[lo]) / dt


@dataclass(frozen=True)
class Motion:
    """Arrays aligned on ``seconds`` (the seconds where the track has a box)."""

    track_id: int
    label: str
    seconds: np.ndarray
    boxes: np.ndarray  # (n, 4) xyxy pixels
    centre: np.ndarray  # (n, 2)
    size: np.ndarray  # (n,) longer box side, pixels
    vx: np.ndarray  # (n,) box sizes per second, + = rightwards
    vy: np.ndarray  # (n,) box sizes per second, + = downwards
    speed: np.ndarray  # (n,) box sizes per second
    growth: np.ndarray  # (n,) d ln(height) / dt, + = getting closer
    rest: np.ndarray  # (n,) the smaller of the steps to the previous and the next second (sizes per second)

    @property
    def activity(self) -> np.ndarray:
        """Motion in any direction, walking in depth included (growing 5% a second counts as 0.2 sizes
        a second): someone walking away from the camera is not standing still."""
        return np.hypot(self.speed, DEPTH_WEIGHT * self.growth)

    def index(self, second: int) -> int | None:
        """Position of ``second`` in the arrays, or None if the track has no box then."""
        hit = np.flatnonzero(self.seconds == second)
        return int(hit[0]) if len(hit) else None

    def dx_pixels(self, start: int, end: int) -> float:
        """Horizontal centre shift in pixels between the first and last box in ``[start, end]``."""
        sel = (self.seconds >= start) & (self.seconds <= end)
        if sel.sum() < 2:
            return 0.0
        c = self.centre[sel]
        return float(c[-1, 0] - c[0, 0])


def _rest(centre: np.ndarray, h: np.ndarray, seconds: np.ndarray, scale_t: np.ndarray) -> np.ndarray:
    """Per second, the smaller of the one-second steps before and after it (depth counted as in
    :attr:`Motion.activity`): someone who stands for three seconds between walks has a still step on
    at least one side of each of them, where central differences blur the first and last into motion."""
    n = len(seconds)
    if n < 2:
        return np.zeros(n)
    dt = np.maximum(np.diff(seconds).astype(float), 1.0)
    step = np.hypot(np.linalg.norm(np.diff(centre, axis=0), axis=1) / scale_t[1:],
                    DEPTH_WEIGHT * np.abs(np.diff(np.log(h)))) / dt
    before = np.concatenate([[np.inf], step])
    after = np.concatenate([step, [np.inf]])
    return np.minimum(before, after)


def motion(track: Track) -> Motion:
    """Kinematics of a track whose ``boxes`` are keyed by second (gaps up to :data:`GAP_FILL` filled).

    >>> motion(Track(id=1, label="person", boxes={0: (0, 0, 10, 20), 3: (30, 0, 40, 20)})).seconds.tolist()
    [0, 1, 2, 3]
    """
    filled = fill_gaps(track.boxes, max_gap=GAP_FILL)
    seconds = np.array(sorted(filled), dtype=int)
    boxes = np.array([filled[s] for s in seconds], dtype=float).reshape(-1, 4)
    w = np.maximum(boxes[:, 2] - boxes[:, 0], 1.0)
    h = np.maximum(boxes[:, 3] - boxes[:, 1], 1.0)
    centre = np.stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2], axis=1)
    size = _median3(np.maximum(w, h))
    scale = max(float(np.median(size)), 1.0) if len(size) else 1.0
    # One scale for the whole track keeps a shrinking box (walking away) from inflating its speed.
    scale_t = np.maximum(np.sqrt(size * scale), 1.0)
    vx = _median3(_diff(centre[:, 0], seconds) / scale_t)
    vy = _median3(_diff(centre[:, 1], seconds) / scale_t)
    growth = _median3(_diff(np.log(h), seconds))
    return Motion(
        track_id=track.id, label=track.label, seconds=seconds, boxes=boxes, centre=centre, size=size,
        vx=vx, vy=vy, speed=np.hypot(vx, vy), growth=growth, rest=_rest(centre, h, seconds, scale_t),
    )
