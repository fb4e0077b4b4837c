"""Real background plates: a frame of the bundled street film, cropped, scaled and cleaned.

The crop drops the film's black side bars. The far street (rows above the catalog's ``focus_row``)
is defocused, as if a camera focused on the near sidewalk had shot it: the distant crowd becomes a
soft blur that no detector mistakes for people. Whatever the bundled detectors still found (chosen
once by ``python -m stagdata.synth.calibrate``) is inpainted, so the plate holds no detectable object
the ground truth would not know about.

>>> from stagdata.synth.catalog import load_catalog
>>> cat = load_catalog()
>>> plate = build_background(cat, cat.backgrounds[0].id)    # doctest: +SKIP
>>> plate.shape                                              # doctest: +SKIP
(360, 640, 3)
"""

from __future__ import annotations

import cv2
import numpy as np

from stagdata.synth.catalog import BackgroundSource, Catalog
from stagdata.synth.sprites import load_sources

INPAINT_RADIUS = 7
"""Neighbourhood (px) OpenCV's Telea inpainting draws from."""
INPAINT_PAD = 4
"""Pixels added around each inpainted box."""
FOCUS_RAMP = 40
"""Rows over which the far street's blur fades into the sharp near street."""


def plate_from_image(image: np.ndarray, bg: BackgroundSource, size: tuple[int, int]) -> np.ndarray:
    """Crop ``bg.crop`` out of ``image``, scale it to ``size`` (w, h), mirror, defocus, inpaint."""
    x1, y1, x2, y2 = bg.crop
    h, w = image.shape[:2]
    if not (0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h):
        raise ValueError(f"background {bg.id!r}: crop {bg.crop} is not inside the {w}x{h} source frame")
    plate = cv2.resize(image[y1:y2, x1:x2], size, interpolation=cv2.INTER_LINEAR)
    if bg.mirror:
        plate = np.ascontiguousarray(plate[:, ::-1])
    plate = defocus_far(plate, bg.focus_row, bg.defocus_sigma)
    return inpaint_boxes(plate, bg.inpaint)


def defocus_far(plate: np.ndarray, focus_row: int, sigma: float) -> np.ndarray:
    """Blur rows above ``focus_row``, fading to sharp over :data:`FOCUS_RAMP` rows below it.

    >>> img = np.zeros((100, 10, 3), np.uint8); img[::2] = 255
    >>> out = defocus_far(img, 40, 3.0)
    >>> int(out[:30].std()) < 20 < int(out[-10:].std())
    True
    """
    if sigma <= 0:
        return plate.copy()
    blurred = cv2.GaussianBlur(plate, (0, 0), sigma)
    rows = np.arange(plate.shape[0], dtype=np.float32)
    weight = np.clip((focus_row + FOCUS_RAMP - rows) / FOCUS_RAMP, 0.0, 1.0)[:, None, None]
    return (blurred * weight + plate * (1.0 - weight) + 0.5).astype(np.uint8)


def inpaint_boxes(plate: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> np.ndarray:
    """``plate`` with every box (padded by :data:`INPAINT_PAD`) filled in from its surroundings."""
    if not boxes:
        return plate.copy()
    h, w = plate.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    p = INPAINT_PAD
    for x1, y1, x2, y2 in boxes:
        mask[max(0, y1 - p):min(h, y2 + p), max(0, x1 - p):min(w, x2 + p)] = 255
    return cv2.inpaint(plate, mask, INPAINT_RADIUS, cv2.INPAINT_TELEA)


def build_backgrounds(catalog: Catalog, ids: list[str] | None = None) -> dict[str, np.ndarray]:
    """Plates (BGR, catalog width x height) for the background ids (all when None)."""
    entries = [catalog.background(i) for i in ids] if ids is not None else list(catalog.backgrounds)
    images = load_sources((e.source, e.frame) for e in entries)
    size = (catalog.width, catalog.height)
    return {e.id: plate_from_image(images[(e.source, e.frame)], e, size) for e in entries}


def build_background(catalog: Catalog, background_id: str) -> np.ndarray:
    """One plate (see :func:`build_backgrounds`)."""
    return build_backgrounds(catalog, [background_id])[background_id]
