"""Boxes that fit what moves, on a fixed camera: a plate of the empty scene and boxes tightened to it.

A fixed camera (a street corner, a surveillance view, the synthetic scenes) sees the same
background in every frame. The per-pixel median of a few frames spread over the video is that
background, the *plate*: people pass through, so each pixel shows the background in most of them.
Where the camera moves (the bundled film is shot from a streetcar) most pixels differ from any
plate; :func:`estimate_plate` then returns ``None`` and nothing changes.

A detector's box is often looser than the object (low-resolution or blurred footage: on the
synthetic scenes the person checkpoint's boxes overlap the exact silhouette box at IoU 0.66). Inside
the box, the pixels that differ from the plate are the object, so :meth:`Plate.tighten` shrinks the
box to the rows and columns they fill; it never grows a box. A box stays as it is when little of it
differs from the plate (someone who stands in one place for most of the video is part of the plate)
or when the tightened box would keep under ``min_keep`` of its height or width (a part of the
person that matches the background).

>>> import numpy as np, supervision as sv
>>> empty = np.full((60, 80, 3), 100, np.uint8)
>>> frames = [empty.copy() for _ in range(6)]
>>> person = empty.copy(); person[10:50, 30:40] = 20          # a dark figure on the plain scene
>>> plate = estimate_plate(frames)
>>> det = sv.Detections(xyxy=np.array([[26.0, 6.0, 44.0, 54.0]]), confidence=np.array([0.9]), class_id=np.array([0]))
>>> plate.tighten(person, det).xyxy.round().tolist()     # within a pixel (the blur)
[[29.0, 9.0, 41.0, 51.0]]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np
import supervision as sv

from tools.detect import nms


@dataclass(frozen=True)
class ForegroundConfig:
    """Thresholds of the plate and of tightening (grey levels on a 5x5-blurred grey image)."""

    diff: int = 15
    """A pixel differs from the plate when their grey levels are this far apart (telling a fixed camera,
    finding moving regions)."""
    object_diff: int = 10
    """Inside a detector's box, the object is the pixels this far from the plate: a far person blends
    with the street, so a finer threshold than ``diff`` (measured on the synthetic scenes, with
    ``min_keep`` 0.4: boxes of people under 50 px overlap the exact box at IoU 0.70 with ``diff``, 0.74
    with 10; larger ones gain up to 0.01)."""
    static_max: float = 0.15
    """The camera is fixed when a typical plate frame differs from the plate in at most this fraction
    of its pixels (measured: synthetic scenes 0.02-0.08, the film from a streetcar 0.30-0.38)."""
    min_frames: int = 5
    """Fewer frames than this make no plate."""
    min_fill: float = 0.15
    """A box is tightened only when at least this fraction of it differs from the plate."""
    profile: float = 0.1
    """A row (column) belongs to the object when its share of differing pixels is at least this
    fraction of the box's fullest row (column)."""
    min_keep: float = 0.4
    """A tightened box keeps at least this fraction of the box's height and width, else it is left as is."""
    same_object: float = 0.8
    """Two boxes of one class that tighten onto the same object (IoU at least this) keep the higher
    score only (4% of the synthetic scenes' detections did; the copy started a second track)."""
    blob_height: tuple[int, int] = (16, 70)
    """Heights (px) of moving regions that no box explains which are worth a closer look: far, small
    people that the detector misses at its input size (larger ones it finds)."""
    max_windows: int = 4
    """Closer looks per frame, at most."""


def _grey(image: np.ndarray) -> np.ndarray:
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    return cv2.GaussianBlur(grey, (5, 5), 0)


@dataclass(frozen=True)
class Plate:
    """The empty scene of a fixed camera (grey, blurred) and the thresholds to compare frames with it."""

    grey: np.ndarray
    config: ForegroundConfig

    def mask(self, image: np.ndarray, diff: int | None = None) -> np.ndarray:
        """Where ``image`` differs from the plate by more than ``diff`` (default ``config.diff``) grey
        levels (uint8 0/1, specks opened away)."""
        diff = cv2.absdiff(_grey(image), self.grey) > (self.config.diff if diff is None else diff)
        return cv2.morphologyEx(diff.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))

    def tighten(self, image: np.ndarray, det: sv.Detections) -> sv.Detections:
        """``det`` with each box shrunk to the part of it that differs from the plate (see module docs)."""
        if len(det) == 0 or image.shape[:2] != self.grey.shape:
            return det
        cfg = self.config
        mask = self.mask(image, cfg.object_diff)
        out = det.xyxy.copy()
        h, w = mask.shape
        for i, (x0, y0, x1, y1) in enumerate(det.xyxy):
            c0, r0 = max(int(np.floor(x0)), 0), max(int(np.floor(y0)), 0)
            c1, r1 = min(int(np.ceil(x1)), w), min(int(np.ceil(y1)), h)
            m = mask[r0:r1, c0:c1]
            if m.size == 0 or m.mean() < cfg.min_fill:
                continue
            cols, rows = m.mean(axis=0), m.mean(axis=1)
            cs = np.flatnonzero(cols >= cfg.profile * cols.max())
            rs = np.flatnonzero(rows >= cfg.profile * rows.max())
            box = np.array([max(x0, c0 + cs[0]), max(y0, r0 + rs[0]),
                            min(x1, c0 + cs[-1] + 1), min(y1, r0 + rs[-1] + 1)], float)
            if box[2] - box[0] >= cfg.min_keep * (x1 - x0) and box[3] - box[1] >= cfg.min_keep * (y1 - y0):
                out[i] = box
        tightened = det[np.arange(len(det))]
        tightened.xyxy = out
        return _dedupe(tightened, cfg.same_object)

    def supports(self, image: np.ndarray, xyxy: np.ndarray) -> np.ndarray:
        """For each box, whether it covers something that moves: at least ``min_fill`` of it differs
        from the plate (a weak detection there is a far person, not a shadow on the empty street).

        >>> street = np.full((60, 80, 3), 100, np.uint8)
        >>> plate = estimate_plate([street] * 6)
        >>> frame = street.copy(); frame[10:50, 30:40] = 20
        >>> plate.supports(frame, np.array([[26.0, 6, 44, 54], [50, 6, 70, 54]])).tolist()
        [True, False]
        """
        boxes = np.asarray(xyxy, float).reshape(-1, 4)
        if image.shape[:2] != self.grey.shape:
            return np.zeros(len(boxes), bool)
        mask = self.mask(image, self.config.object_diff)
        h, w = mask.shape
        out = np.zeros(len(boxes), bool)
        for i, (x0, y0, x1, y1) in enumerate(boxes):
            m = mask[max(int(y0), 0):min(int(np.ceil(y1)), h), max(int(x0), 0):min(int(np.ceil(x1)), w)]
            out[i] = m.size > 0 and m.mean() >= self.config.min_fill
        return out

    def unexplained(self, image: np.ndarray, boxes: np.ndarray) -> list[tuple[int, int, int, int]]:
        """Square windows (x0, y0, x1, y1) around moving regions of ``image`` that no box in ``boxes``
        covers, the largest first: where a closer look (the detector on the window, enlarged) may find
        what it missed. Each window is three times the region's height, at least 96 px."""
        if image.shape[:2] != self.grey.shape:
            return []
        cfg = self.config
        # a small person's head, body and legs can come apart in the mask: close vertical gaps first
        blobs = cv2.morphologyEx(self.mask(image), cv2.MORPH_CLOSE, np.ones((7, 3), np.uint8))
        n, _, stats, _ = cv2.connectedComponentsWithStats(blobs, connectivity=8)
        h, w = self.grey.shape
        covered = np.zeros((h, w), bool)
        for x0, y0, x1, y1 in np.asarray(boxes, float).reshape(-1, 4):
            covered[max(int(y0), 0):max(int(y1), 0), max(int(x0), 0):max(int(x1), 0)] = True
        out: list[tuple[int, int, int, int]] = []
        for i in sorted(range(1, n), key=lambda i: -stats[i, cv2.CC_STAT_AREA]):
            x, y, bw, bh = (int(v) for v in stats[i, :4])
            if not cfg.blob_height[0] <= bh <= cfg.blob_height[1] or bh < bw or covered[y:y + bh, x:x + bw].mean() > 0.3:
                continue
            cx, cy = x + bw / 2, y + bh / 2
            side = min(max(96, 3 * bh), h, w)
            if any(a <= cx < c and b <= cy < d and c - a <= 1.5 * side for a, b, c, d in out):
                continue  # already in a window that enlarges it about as much
            x0 = int(np.clip(cx - side / 2, 0, w - side))
            y0 = int(np.clip(cy - side / 2, 0, h - side))
            out.append((x0, y0, x0 + side, y0 + side))
            if len(out) == cfg.max_windows:
                break
        return out


def _dedupe(det: sv.Detections, iou: float) -> sv.Detections:
    """``det`` without boxes overlapping a higher-scored box of the same class at IoU >= ``iou``."""
    if len(det) < 2:
        return det
    conf = det.confidence if det.confidence is not None else np.ones(len(det))
    names = det.data.get("class_name", det.class_id)
    if names is None:
        names = np.zeros(len(det), int)
    keep = [int(i) for n in np.unique(names) for i in np.flatnonzero(names == n)[nms(det.xyxy[names == n], conf[names == n], iou)]]
    return det[np.sort(keep)]


def estimate_plate(frames: Iterable[np.ndarray], config: ForegroundConfig | None = None) -> Plate | None:
    """The plate of a fixed camera from ``frames`` spread over the video (RGB), or ``None`` when the
    camera moves, the frames are too few or differ in size. ``frames`` may be lazy: reading stops
    after the first few when they already show a moving camera."""
    cfg = config or ForegroundConfig()
    greys: list[np.ndarray] = []
    for frame in frames:
        greys.append(_grey(frame))
        if greys[-1].shape != greys[0].shape:
            return None
        if len(greys) == 3 and _moving(greys, cfg) > cfg.static_max:
            return None
    if len(greys) < cfg.min_frames or _moving(greys, cfg) > cfg.static_max:
        return None
    return Plate(np.median(np.stack(greys), axis=0).astype(np.uint8), cfg)


def _moving(greys: list[np.ndarray], cfg: ForegroundConfig) -> float:
    """The typical fraction of a frame's pixels that differ from the frames' median."""
    plate = np.median(np.stack(greys), axis=0).astype(np.uint8)
    return float(np.median([(cv2.absdiff(g, plate) > cfg.diff).mean() for g in greys]))
