"""Place scripted actors on a plate frame by frame, record their exact boxes, and encode H.264.

Placement and ground truth come from the same numbers: an actor of body height ``h`` (from its
feet row, by the catalog's perspective rule) uses its sprite scaled to ``h``; the sprite's opaque
pixels (``alpha >= 0.5``) are shifted to where the feet are, and the box of those of them inside
the picture *is* the ground-truth box (at a side edge: the box of the part that shows). Nearer
actors (larger feet row) are pasted over farther ones; boxes are amodal with respect to other
people (an occluded person keeps its whole box, as in MOTChallenge).

Videos are H.264 (libx264, yuv420p, ``+faststart``) written with PyAV at a fixed thread count, so
the same frames give the same bytes.

>>> import numpy as np
>>> from stagdata.synth.sprites import Sprite, opaque_box
>>> plate = np.zeros((20, 30, 3), np.uint8)
>>> s = Sprite("toy", "person", np.full((4, 3, 3), 255, np.uint8), np.ones((4, 3), np.float32))
>>> out = paste(plate, s, left=28, top=2)          # half of it sticks out on the right
>>> int(out[2:6, 28:30].min()), int(out[:, :28].max())
(255, 0)
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from stagdata.synth.catalog import BackgroundSource, Catalog
from stagdata.synth.motion import ActorScript, bob_offset, trajectory
from stagdata.synth.sprites import Sprite, opaque_box

MIN_VISIBLE = 0.25
"""An actor counts as visible (gets a ground-truth box) when this fraction of its box is in the picture."""
ENCODER_THREADS = 2
"""x264 threads; fixed so that the bitstream does not depend on the machine's core count."""


class SpriteBank:
    """The catalog's sprites and their scaled / mirrored versions, made once and reused."""

    def __init__(self, sprites: dict[str, Sprite]) -> None:
        self._base = sprites
        self._scaled: dict[tuple[str, int, bool], Sprite] = {}

    def get(self, sprite_id: str, height: int, flip: bool) -> Sprite:
        """Sprite ``sprite_id`` with an opaque part ``height`` px tall, mirrored when ``flip``."""
        key = (sprite_id, height, flip)
        if key not in self._scaled:
            if sprite_id not in self._base:
                raise KeyError(f"sprite {sprite_id!r} was not built; built: {sorted(self._base)}")
            self._scaled[key] = self._base[sprite_id].scaled(height, flip)
        return self._scaled[key]


@dataclass(frozen=True)
class ActorTrack:
    """Where one actor is, frame by frame, inside the video (arrays of equal length)."""

    script: ActorScript
    frames: np.ndarray  # absolute frame indices within [0, frame_count)
    x: np.ndarray
    y: np.ndarray
    vx: np.ndarray
    gait: np.ndarray
    height: np.ndarray  # body height (px, int)
    flip: np.ndarray  # bool
    left: np.ndarray  # paste position of the sprite patch
    top: np.ndarray
    box: np.ndarray  # (N, 4) full opaque box, output pixels (may extend outside the picture)
    visible_box: np.ndarray  # (N, 4) box of the opaque pixels inside the picture (zeros when none)
    visible: np.ndarray  # fraction of the opaque pixels inside the picture
    vy: np.ndarray | None = None  # px/s of the feet row (> 0: towards the camera)
    growth: np.ndarray | None = None  # relative growth of the body height per second (> 0: nearing)

    def index(self, frame: int) -> int | None:
        """Row of ``frame`` in the arrays, or None when the actor is not alive then."""
        i = int(frame - self.frames[0]) if len(self.frames) else -1
        return i if 0 <= i < len(self.frames) else None

    def gt_box(self, i: int) -> tuple[int, int, int, int] | None:
        """Ground-truth box of row ``i``: the box of its opaque pixels inside the picture, or None
        when less than :data:`MIN_VISIBLE` of them are."""
        if self.visible[i] < MIN_VISIBLE:
            return None
        x1, y1, x2, y2 = self.visible_box[i]
        return (int(x1), int(y1), int(x2), int(y2))


def _facing_flip(facing: str, direction: np.ndarray, mirror: bool) -> np.ndarray:
    """Mirror a sprite so it faces where it walks (front-facing cuts: mirrored when walking left)."""
    if facing == "left":
        return direction > 0
    if facing == "right":
        return direction < 0
    return (direction < 0) ^ mirror


def _directions(vx: np.ndarray) -> np.ndarray:
    """Sign of motion per frame, holding the last sign through still frames (0 before any motion)."""
    sign = np.where(vx > 1e-6, 1, np.where(vx < -1e-6, -1, 0))
    idx = np.where(sign != 0, np.arange(len(sign)), -1)
    np.maximum.accumulate(idx, out=idx)
    held = np.where(idx >= 0, sign[np.maximum(idx, 0)], 0)
    if (held == 0).any() and (sign != 0).any():
        held[held == 0] = sign[np.flatnonzero(sign)[0]]  # before the first move: face the first move
    return held


def place_actor(script: ActorScript, catalog: Catalog, background: BackgroundSource, bank: SpriteBank,
                fps: float, frame_count: int) -> ActorTrack:
    """Per-frame placement and boxes of one actor within ``[0, frame_count)``."""
    traj = trajectory(script, fps)
    keep = (traj.frames >= 0) & (traj.frames < frame_count)
    entry = catalog.sprite(script.sprite)
    heights = np.array([round(catalog.object_height(entry.kind, float(y), background)) for y in traj.y])
    if (heights < 8).any():
        raise ValueError(f"actor {script.id}: its feet reach row {traj.y.min():.0f}, too close to the horizon "
                         f"({background.horizon}) for a visible body; keep feet within {background.ground}")
    flips = _facing_flip(entry.facing, _directions(traj.vx), script.mirror)
    n = len(traj.frames)
    w, h = catalog.width, catalog.height
    left, top = np.zeros(n, int), np.zeros(n, int)
    box, seen = np.zeros((n, 4), int), np.zeros((n, 4), int)
    visible = np.zeros(n)
    for i in range(n):
        s = bank.get(script.sprite, int(heights[i]), bool(flips[i]))
        ox1, oy1, ox2, oy2 = s.object_box
        bob = bob_offset(float(traj.step_phase[i]), int(traj.gait[i]), float(heights[i]))
        left[i] = int(np.floor(traj.x[i] - (ox1 + ox2) / 2 + 0.5))
        top[i] = int(np.floor(traj.y[i] + bob - oy2 + 0.5))
        box[i] = (left[i] + ox1, top[i] + oy1, left[i] + ox2, top[i] + oy2)
        if box[i, 0] >= 0 and box[i, 1] >= 0 and box[i, 2] <= w and box[i, 3] <= h:
            seen[i], visible[i] = box[i], 1.0
        elif keep[i]:
            seen[i], visible[i] = _visible_part(s, int(left[i]), int(top[i]), w, h)
    return ActorTrack(
        script=script, frames=traj.frames[keep], x=traj.x[keep], y=traj.y[keep], vx=traj.vx[keep],
        gait=traj.gait[keep], height=heights[keep], flip=flips[keep], left=left[keep], top=top[keep],
        box=box[keep], visible_box=seen[keep], visible=visible[keep], vy=traj.vy[keep],
        growth=(traj.vy / np.maximum(1.0, traj.y - background.horizon))[keep],
    )


def _visible_part(s: Sprite, left: int, top: int, width: int, height: int
                  ) -> tuple[tuple[int, int, int, int], float]:
    """Box (picture pixels) and fraction of the sprite's opaque pixels that fall inside the picture."""
    opaque = s.alpha >= 0.5
    total = int(opaque.sum())
    sh, sw = opaque.shape
    x1, y1 = max(0, -left), max(0, -top)
    x2, y2 = min(sw, width - left), min(sh, height - top)
    if x1 >= x2 or y1 >= y2 or total == 0:
        return (0, 0, 0, 0), 0.0
    part = opaque[y1:y2, x1:x2]
    bx1, by1, bx2, by2 = opaque_box(part.astype(np.float32))
    if bx2 == 0:
        return (0, 0, 0, 0), 0.0
    ox, oy = left + x1, top + y1
    return (ox + bx1, oy + by1, ox + bx2, oy + by2), float(part.sum()) / total


def paste(frame: np.ndarray, sprite: Sprite, left: int, top: int) -> np.ndarray:
    """Alpha-blend ``sprite`` onto ``frame`` (in place) with its patch's top-left at (left, top)."""
    fh, fw = frame.shape[:2]
    sh, sw = sprite.alpha.shape
    x1, y1 = max(0, left), max(0, top)
    x2, y2 = min(fw, left + sw), min(fh, top + sh)
    if x1 >= x2 or y1 >= y2:
        return frame
    a = sprite.alpha[y1 - top:y2 - top, x1 - left:x2 - left, None]
    src = sprite.rgb[y1 - top:y2 - top, x1 - left:x2 - left].astype(np.float32)
    dst = frame[y1:y2, x1:x2].astype(np.float32)
    frame[y1:y2, x1:x2] = (src * a + dst * (1.0 - a) + 0.5).astype(np.uint8)
    return frame


def render_frames(plate: np.ndarray, tracks: Iterable[ActorTrack], bank: SpriteBank,
                  frame_count: int) -> Iterator[np.ndarray]:
    """The video's frames (BGR), one at a time: plate plus every live actor, far ones first."""
    tracks = list(tracks)
    for f in range(frame_count):
        frame = plate.copy()
        live = [(t, i) for t in tracks if (i := t.index(f)) is not None and t.visible[i] > 0]
        live.sort(key=lambda ti: (ti[0].y[ti[1]], ti[0].script.id))
        for t, i in live:
            s = bank.get(t.script.sprite, int(t.height[i]), bool(t.flip[i]))
            paste(frame, s, int(t.left[i]), int(t.top[i]))
        yield frame


def write_h264(path: str | os.PathLike[str], frames: Iterable[np.ndarray], fps: int, *, crf: int = 20,
               preset: str = "superfast") -> int:
    """Encode BGR frames as browser-playable H.264 MP4; returns the number of frames written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with av.open(str(path), mode="w", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=Fraction(fps, 1))
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(crf), "preset": preset, "threads": str(ENCODER_THREADS)}
        stream.codec_context.time_base = Fraction(1, fps)
        for image in frames:
            if n == 0:
                stream.height, stream.width = image.shape[:2]
            # OpenCV's I420 conversion is BT.601 limited range, what the decoder assumes, and fast
            frame = av.VideoFrame.from_ndarray(cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420), format="yuv420p")
            frame.pts = n
            frame.time_base = Fraction(1, fps)
            container.mux(stream.encode(frame))
            n += 1
        container.mux(stream.encode(None))
    return n
