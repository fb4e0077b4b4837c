"""Tracks and their settings: :class:`Track` (what perception outputs), :class:`TrackerConfig` (the older
ByteTrack tracker's settings, :mod:`tools.bytetrack`), the kinds of objects a track may not leave
(:data:`KINDS`) and a colour-histogram appearance feature (:func:`appearance_feature`).

The default association is :mod:`tools.associate` (numpy/scipy); :mod:`tools.bytetrack` keeps the
ultralytics-ByteTrack subclass for comparison (``bench/tracker_compare.py``).

>>> t = Track(id=1, label="person", boxes={3: (0, 0, 10, 20), 5: (2, 0, 12, 20)})
>>> t.first, t.last
(3, 5)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from verifier.result import Box


class TrackerConfig(BaseModel):
    """ByteTrack settings with every duration in seconds (scaled to the sample rate when used)."""

    model_config = ConfigDict(frozen=True)

    high_thresh: float = Field(0.3, ge=0, le=1, description="detections at or above this match first")
    low_thresh: float = Field(0.1, ge=0, le=1, description="detections above this may extend a track (2nd stage)")
    new_track_thresh: float = Field(0.35, ge=0, le=1, description="an unmatched detection starts a track if above")
    match_thresh: float = Field(0.8, gt=0, le=1, description="largest association cost accepted (1 - IoU)")
    fuse_score: bool = True
    lost_buffer_s: float = Field(4.0, ge=0, description="seconds a track may go unseen and keep its id "
                                                      "(at least 2 samples: ByteTrack's floor)")
    min_seen_s: float = Field(2.0, ge=0, description="tracks seen in fewer seconds' worth of samples are dropped")
    appearance: bool = Field(True, description="re-associate non-overlapping boxes by appearance + motion gate")
    appearance_thresh: float = Field(0.25, ge=0, le=1, description="largest appearance distance that may match")
    appearance_veto: float = Field(0.45, ge=0, le=1, description="an overlapping or nearby pair this different "
                                                                 "does not match")
    motion_gate_s: float = Field(0.6, gt=0, description="largest centre shift, in box heights per second, after "
                                                        "the motion prediction")
    buffer_s: float = Field(0.6, ge=0, description="boxes are enlarged on every side by this many box heights per "
                                                   "second between samples for a motion-tolerant IoU (0: plain IoU)")
    size_ratio: float = Field(2.0, gt=1, description="largest height ratio between a track and a detection")
    feature_momentum: float = Field(0.7, ge=0, lt=1, description="weight of the old appearance in its running mean")

    def frames(self, seconds: float, sample_fps: float) -> int:
        """A duration in seconds as a whole number of samples (at least 1)."""
        return max(1, math.ceil(seconds * sample_fps - 1e-9))


class Track(BaseModel):
    """One tracked object: a box and a detection score per sample index (the second at 1 FPS)."""

    id: int
    label: str
    boxes: dict[int, Box] = Field(default_factory=dict)
    scores: dict[int, float] = Field(default_factory=dict)
    class_counts: dict[str, int] = Field(
        default_factory=dict, description="detections per detector class over the track's life (a car seen from "
        "behind is car, bus or truck in different seconds); ``label`` is their score-weighted vote")
    upper_colors: dict[str, float] = Field(
        default_factory=dict, description="named-colour fractions of the box's upper half, median over the track's "
        "life (:mod:`tools.colors`), largest first; empty when unknown")
    lower_colors: dict[str, float] = Field(default_factory=dict, description="the same for the lower half")
    height_px: float = Field(0.0, ge=0, description="median box height in pixels (0 when unknown)")

    @property
    def first(self) -> int:
        """First sample index with a box."""
        return min(self.boxes)

    @property
    def last(self) -> int:
        """Last sample index with a box."""
        return max(self.boxes)


def appearance_feature(image: np.ndarray, box: Sequence[float]) -> np.ndarray | None:
    """A normalised colour/intensity histogram of three horizontal stripes of a box (None if tiny).

    Works on colour and on black-and-white video (the L channel carries the information then).

    >>> img = np.zeros((100, 100, 3), np.uint8); img[:, :50] = 255
    >>> f = appearance_feature(img, (10, 10, 40, 90)); f.shape
    (384,)
    >>> round(appearance_distance(f, appearance_feature(img, (60, 10, 90, 90))), 2)
    1.0
    """
    h, w = image.shape[:2]
    x1, y1, x2, y2 = box
    bw, bh = x2 - x1, y2 - y1
    # the inner part of the box: less background
    x1, x2 = int(max(0, x1 + 0.15 * bw)), int(min(w, x2 - 0.15 * bw))
    y1, y2 = int(max(0, y1 + 0.05 * bh)), int(min(h, y2 - 0.05 * bh))
    if x2 - x1 < 2 or y2 - y1 < 3:
        return None
    lab = cv2.cvtColor(image[y1:y2, x1:x2], cv2.COLOR_BGR2LAB)
    parts = []
    for stripe in np.array_split(lab, 3, axis=0):
        hist = cv2.calcHist([stripe], [0, 1, 2], None, [8, 4, 4], [0, 256, 0, 256, 0, 256]).ravel()
        parts.append(hist / max(hist.sum(), 1e-9))
    return np.concatenate(parts).astype(np.float32)


def appearance_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean Hellinger (Bhattacharyya) distance of the stripes' histograms: 0 same, 1 disjoint."""
    bc = np.sqrt(a * b).reshape(3, -1).sum(axis=1)
    return float(np.mean(np.sqrt(np.clip(1.0 - bc, 0.0, 1.0))))


KINDS: dict[str, str] = {"car": "vehicle", "truck": "vehicle", "bus": "vehicle", "train": "vehicle",
                         "bicycle": "two-wheeler", "motorcycle": "two-wheeler"}
"""Classes a detector confuses with each other: a track may switch among them, never out of its kind."""
