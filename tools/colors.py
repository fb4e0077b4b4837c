"""Named colours of a box's upper and lower half (what someone wears, a car's paint), from its pixels.

Frames are dropped after perception, so each detection's colours are measured when it is seen and
a track keeps the median over its life (:class:`tools.track.Track` ``upper_colors`` /
``lower_colors``). Pixels are classed in HSV: black, white and grey by value and saturation, the
other names by hue (brown: dark orange/red/yellow; pink: light or pale red/magenta). The box's
inner part is used (15 % off each side, 5 % off top and bottom) so less background counts.

>>> import numpy as np
>>> img = np.zeros((100, 100, 3), np.uint8); img[:50] = (0, 0, 220); img[50:] = (255, 255, 255)
>>> up, low = box_colors(img, (20, 0, 80, 100))
>>> max(up, key=up.get), max(low, key=low.get)
('red', 'white')
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

COLOR_NAMES = ("black", "white", "grey", "red", "orange", "yellow", "green", "blue", "brown", "pink", "purple")
"""The colour words a description uses, in this order."""


def _classify(hsv: np.ndarray) -> np.ndarray:
    """Index into :data:`COLOR_NAMES` for each HSV pixel (OpenCV ranges: H 0-179, S and V 0-255)."""
    h, s, v = (hsv[..., i].astype(np.int32) for i in range(3))
    out = np.full(h.shape, 2, np.int8)  # grey unless something else fits
    chroma = (s >= 60) & (v >= 50)
    hue_names = np.select(
        [(h < 8) | (h >= 170), h < 20, h < 33, h < 85, h < 130, h < 150, h < 170],
        [3, 4, 5, 6, 7, 10, 9], default=3,
    )
    out = np.where(chroma, hue_names, out)
    brown = chroma & (((hue_names == 4) | (hue_names == 5)) & (v < 150) | (hue_names == 3) & (v < 110))
    out = np.where(brown, 8, out)  # dark orange/yellow, and dark red, read as brown
    pale_red = (s >= 25) & (s < 60) & (v >= 150) & ((h < 8) | (h >= 150))
    out = np.where(pale_red, 9, out)
    out = np.where(v < 50, 0, out)
    out = np.where((v >= 200) & (s < 30), 1, out)
    return out


def color_fractions(pixels: np.ndarray) -> np.ndarray:
    """Fraction of BGR ``pixels`` (any shape ``[..., 3]``) in each of :data:`COLOR_NAMES` (sums to 1)."""
    px = np.ascontiguousarray(pixels, dtype=np.uint8).reshape(-1, 1, 3)
    if not len(px):
        return np.zeros(len(COLOR_NAMES))
    counts = np.bincount(_classify(cv2.cvtColor(px, cv2.COLOR_BGR2HSV)).ravel(), minlength=len(COLOR_NAMES))
    return counts / counts.sum()


def box_color_vectors(image: np.ndarray, box: Sequence[float]) -> tuple[np.ndarray, np.ndarray] | None:
    """Colour fractions of the upper and lower half of ``box`` (None when the box is too small)."""
    h, w = image.shape[:2]
    x1, y1, x2, y2 = box
    bw, bh = x2 - x1, y2 - y1
    x1, x2 = int(max(0, x1 + 0.15 * bw)), int(min(w, x2 - 0.15 * bw))
    y1, y2 = int(max(0, y1 + 0.05 * bh)), int(min(h, y2 - 0.05 * bh))
    if x2 - x1 < 2 or y2 - y1 < 4:
        return None
    mid = (y1 + y2) // 2
    return color_fractions(image[y1:mid, x1:x2]), color_fractions(image[mid:y2, x1:x2])


def box_colors(image: np.ndarray, box: Sequence[float]) -> tuple[dict[str, float], dict[str, float]]:
    """:func:`box_color_vectors` as ``{colour: fraction}`` dicts (empty when the box is too small)."""
    v = box_color_vectors(image, box)
    if v is None:
        return {}, {}
    return named(v[0]), named(v[1])


def named(vector: np.ndarray, digits: int = 3) -> dict[str, float]:
    """``{colour: fraction}`` for the non-zero entries of a :data:`COLOR_NAMES` vector, largest first.

    >>> named(np.array([0.25, 0.75] + [0.0] * 9))
    {'white': 0.75, 'black': 0.25}
    """
    pairs = sorted(((float(round(x, digits)), n) for n, x in zip(COLOR_NAMES, vector) if round(x, digits) > 0),
                   reverse=True)
    return {n: x for x, n in pairs}
