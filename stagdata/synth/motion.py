"""Scripted motion: each actor is a start point plus a list of constant-velocity segments.

Velocities change smoothly: at each segment boundary the velocity ramps linearly from the old
value to the new one over :data:`RAMP_S` seconds, so people decelerate into a stop and turn back
through zero speed. Positions are the running sum of per-frame velocities, computed the same way
every time (float64, one ``cumsum``), so a script gives bit-identical trajectories.

``x`` is the object's horizontal centre and ``y`` the row of its feet (bottom of its box), in
output pixels; ``vx`` > 0 moves right, ``vy`` > 0 moves towards the camera (down the image).

>>> s = ActorScript(id=1, sprite="man-bag", start=0, x=100.0, y=300.0,
...                 segments=[Segment(frames=30, vx=90.0, gait="walk"), Segment(frames=30, gait="still")])
>>> t = trajectory(s, fps=30.0)
>>> len(t.frames), round(float(t.x[29]), 1), float(t.vx[-1])
(60, 187.0, 0.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

Gait = Literal["still", "walk", "run"]
GAIT_CODES: dict[str, int] = {"still": 0, "walk": 1, "run": 2}
RAMP_S = 0.3
"""Seconds over which velocity changes between segments."""
STEP_HZ = {"still": 0.0, "walk": 2.0, "run": 3.2}
"""Steps per second of each gait (drives the vertical bob of a walking body)."""
BOB = {"still": 0.0, "walk": 0.012, "run": 0.035}
"""Vertical bob amplitude of each gait, as a fraction of the body height."""


class Segment(BaseModel):
    """``frames`` frames at velocity ``(vx, vy)`` px/s with a gait."""

    model_config = ConfigDict(frozen=True)

    frames: int = Field(gt=0)
    vx: float = 0.0
    vy: float = 0.0
    gait: Gait = "walk"


class ActorScript(BaseModel):
    """One actor: which sprite, when it enters the world, where, and how it moves."""

    model_config = ConfigDict(frozen=True)

    id: int = Field(ge=1, description="ground-truth track id (unique within a video)")
    sprite: str = Field(description="catalog sprite id")
    start: int = Field(ge=0, description="first frame of its life (it may start outside the picture)")
    x: float = Field(description="centre column at its first frame")
    y: float = Field(description="feet row at its first frame")
    segments: list[Segment] = Field(min_length=1)
    mirror: bool = Field(False, description="show the sprite mirrored (a different look of the same cut)")

    @property
    def length(self) -> int:
        """Frames it lives."""
        return sum(s.frames for s in self.segments)

    @property
    def end(self) -> int:
        """Last frame of its life (inclusive)."""
        return self.start + self.length - 1


@dataclass(frozen=True)
class Trajectory:
    """Per-frame state of one actor over its life (arrays of equal length)."""

    frames: np.ndarray  # absolute frame indices
    x: np.ndarray  # centre column
    y: np.ndarray  # feet row
    vx: np.ndarray  # px/s
    vy: np.ndarray
    gait: np.ndarray  # GAIT_CODES
    step_phase: np.ndarray  # steps taken so far (for the bob)


def trajectory(script: ActorScript, fps: float) -> Trajectory:
    """The actor's per-frame position and velocity (see module docs for the ramp rule)."""
    n = script.length
    vx = np.empty(n)
    vy = np.empty(n)
    gait = np.empty(n, dtype=np.int8)
    rate = np.empty(n)
    ramp = max(1, round(RAMP_S * fps))
    i = 0
    prev = (script.segments[0].vx, script.segments[0].vy)
    for seg in script.segments:
        k = np.arange(seg.frames)
        w = np.minimum(1.0, (k + 1) / ramp)
        vx[i:i + seg.frames] = prev[0] + (seg.vx - prev[0]) * w
        vy[i:i + seg.frames] = prev[1] + (seg.vy - prev[1]) * w
        gait[i:i + seg.frames] = GAIT_CODES[seg.gait]
        rate[i:i + seg.frames] = STEP_HZ[seg.gait]
        prev = (seg.vx, seg.vy)
        i += seg.frames
    x = script.x + np.concatenate([[0.0], np.cumsum(vx[:-1])]) / fps
    y = script.y + np.concatenate([[0.0], np.cumsum(vy[:-1])]) / fps
    moving = np.hypot(vx, vy) > 1e-6
    phase = np.concatenate([[0.0], np.cumsum((rate * moving)[:-1])]) / fps
    frames = np.arange(script.start, script.start + n)
    return Trajectory(frames, x, y, vx, vy, gait, phase)


def bob_offset(phase: float, gait_code: int, height: float) -> float:
    """Vertical offset (px, negative = up) of a body of ``height`` px at step ``phase``.

    >>> bob_offset(0.5, GAIT_CODES["walk"], 150.0)
    -1.8
    """
    name = next(k for k, v in GAIT_CODES.items() if v == gait_code)
    return round(-BOB[name] * height * abs(float(np.sin(np.pi * phase))), 3)
