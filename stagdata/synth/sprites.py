"""Cut real objects out of the bundled film and photo: source frames, mattes, scaled sprites.

A sprite is an RGB patch plus a soft alpha matte. The matte is the catalog's hand-traced outline
polygon, filled anti-aliased and feathered so the pasted edge blends into the new background
(automatic matting, e.g. GrabCut, lost light faces against the light street and kept dark carriages
behind dark coats on this film, so the silhouettes were traced once instead).

The object's box is *defined* by the matte: the bounding box of ``alpha >= 0.5``. Whatever is
pasted, the ground truth is exactly where its opaque pixels landed.

>>> import numpy as np
>>> img = np.full((120, 80, 3), 200, np.uint8); img[20:100, 25:55] = 30   # a dark figure on grey
>>> s = make_sprite(img, [(25, 20), (55, 20), (55, 100), (25, 100)], sprite_id="toy", kind="person")
>>> s.object_box
(3, 3, 33, 83)
>>> scaled = s.scaled(41)
>>> scaled.object_box[3] - scaled.object_box[1]
41
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import av
import cv2
import numpy as np

from stagdata.synth.catalog import Catalog, SourceName, SpriteSource
from tools.assets import asset_path

MATTE_MARGIN = 6
"""Pixels kept around the outline so the feathered edge is not cut off."""
FEATHER_SIGMA = 1.2
"""Gaussian sigma (px) that softens the matte's edge."""
SEEK_GAP = 120
"""When the next wanted frame is further ahead than this, seek instead of decoding forward."""


@dataclass(frozen=True)
class Sprite:
    """An object patch: ``rgb`` (H, W, 3) uint8 BGR and ``alpha`` (H, W) float32 in [0, 1]."""

    id: str
    kind: str
    rgb: np.ndarray
    alpha: np.ndarray

    @cached_property
    def object_box(self) -> tuple[int, int, int, int]:
        """Box ``(x1, y1, x2, y2)`` of the opaque pixels (``alpha >= 0.5``) in patch pixels (x2/y2 exclusive)."""
        return opaque_box(self.alpha)

    @property
    def object_height(self) -> int:
        _x1, y1, _x2, y2 = self.object_box
        return y2 - y1

    def scaled(self, object_height: int, flip: bool = False) -> Sprite:
        """This sprite resized so its opaque part is ``object_height`` px tall (mirrored if ``flip``)."""
        if object_height < 2:
            raise ValueError(f"object height must be at least 2 px, got {object_height}")
        f = object_height / self.object_height
        w = max(1, round(self.rgb.shape[1] * f))
        h = max(1, round(self.rgb.shape[0] * f))
        interp = cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR
        rgb = cv2.resize(self.rgb, (w, h), interpolation=interp)
        alpha = cv2.resize(self.alpha, (w, h), interpolation=interp)
        if flip:
            rgb, alpha = rgb[:, ::-1], alpha[:, ::-1]
        return Sprite(self.id, self.kind, np.ascontiguousarray(rgb), np.ascontiguousarray(alpha))


def opaque_box(alpha: np.ndarray, threshold: float = 0.5) -> tuple[int, int, int, int]:
    """Bounding box ``(x1, y1, x2, y2)`` of ``alpha >= threshold`` (x2, y2 exclusive); (0,0,0,0) if none.

    >>> a = np.zeros((5, 6), np.float32); a[1:3, 2:5] = 1
    >>> opaque_box(a)
    (2, 1, 5, 3)
    """
    mask = alpha >= threshold
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not len(rows):
        return (0, 0, 0, 0)
    return (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)


def read_video_frames(path: str | Path, frames: Iterable[int]) -> dict[int, np.ndarray]:
    """BGR images of the given 0-based frame indices, seeking to each one's keyframe.

    >>> imgs = read_video_frames(asset_path("sample_video"), [3])   # doctest: +SKIP
    >>> imgs[3].shape                                               # doctest: +SKIP
    (360, 640, 3)
    """
    wanted = sorted(set(frames))
    out: dict[int, np.ndarray] = {}
    if not wanted:
        return out
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        fps = float(stream.average_rate)
        tb = float(stream.time_base)
        start = stream.start_time or 0
        pending = list(wanted)
        while pending:
            target = pending[0]
            container.seek(int(target / fps / tb) + start, stream=stream, backward=True, any_frame=False)
            for frame in container.decode(stream):
                index = round((frame.pts - start) * tb * fps)
                if index in pending:
                    out[index] = frame.to_ndarray(format="bgr24")
                    pending.remove(index)
                    if not pending or pending[0] - index > SEEK_GAP:  # cheaper to seek than to decode on
                        break
                elif index > pending[0]:
                    raise ValueError(f"{path}: frame {pending[0]} is not in the video (decoding skipped it)")
            else:
                break
    missing = sorted(set(wanted) - set(out))
    if missing:
        raise ValueError(f"{path}: frames {missing} could not be decoded (the video has fewer frames)")
    return out


def load_sources(names: Iterable[tuple[SourceName, int]]) -> dict[tuple[SourceName, int], np.ndarray]:
    """Images for ``(source, frame)`` pairs from the bundled film and photo (photo frame is 0)."""
    pairs = set(names)
    out: dict[tuple[SourceName, int], np.ndarray] = {}
    video_frames = [f for s, f in pairs if s == "sample_video"]
    if video_frames:
        for f, img in read_video_frames(asset_path("sample_video"), video_frames).items():
            out[("sample_video", f)] = img
    if any(s == "people_photo" for s, _ in pairs):
        img = cv2.imread(str(asset_path("people_photo")), cv2.IMREAD_COLOR)
        if img is None:
            raise ValueError(f"cannot read the bundled photo {asset_path('people_photo')}")
        out[("people_photo", 0)] = img
    return out


def matte(shape: tuple[int, int], outline: Sequence[tuple[float, float]]) -> np.ndarray:
    """Soft alpha (float32, [0, 1], given ``shape`` (h, w)) of a polygon ``outline`` in patch pixels.

    Coordinates are continuous (pixel ``i`` spans ``[i, i+1)``). Each pixel's coverage is measured
    on a 4x finer grid, then the edge is feathered by :data:`FEATHER_SIGMA` so the pasted object
    blends into the new background.

    >>> a = matte((40, 30), [(5, 5), (25, 5), (25, 35), (5, 35)])
    >>> opaque_box(a)
    (5, 5, 25, 35)
    """
    h, w = shape
    ss = 4
    pts = np.round((np.asarray(outline, np.float64) * ss - 0.5) * 16).astype(np.int32)  # fine-pixel centres
    fine = np.zeros((h * ss, w * ss), np.uint8)
    cv2.fillPoly(fine, [pts], 255, lineType=cv2.LINE_8, shift=4)
    coverage = cv2.resize(fine, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    alpha = cv2.GaussianBlur(coverage, (0, 0), FEATHER_SIGMA)
    return np.clip(alpha, 0.0, 1.0)


def make_sprite(image: np.ndarray, outline: Sequence[tuple[float, float]], *, sprite_id: str, kind: str,
                grayscale: bool = False) -> Sprite:
    """Cut the object inside the polygon ``outline`` (image pixels) out of ``image`` as a tight :class:`Sprite`."""
    h, w = image.shape[:2]
    xs, ys = [p[0] for p in outline], [p[1] for p in outline]
    if not (0 <= min(xs) and max(xs) <= w and 0 <= min(ys) and max(ys) <= h):
        raise ValueError(f"sprite {sprite_id!r}: outline leaves the {w}x{h} source image")
    m = MATTE_MARGIN
    px1, py1 = max(0, int(min(xs)) - m), max(0, int(min(ys)) - m)
    px2, py2 = min(w, int(max(xs)) + 1 + m), min(h, int(max(ys)) + 1 + m)
    patch = image[py1:py2, px1:px2]
    if grayscale:
        patch = cv2.cvtColor(cv2.cvtColor(patch, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    alpha = matte(patch.shape[:2], [(x - px1, y - py1) for x, y in outline])
    keep = alpha > 0.01
    rows, cols = np.flatnonzero(keep.any(axis=1)), np.flatnonzero(keep.any(axis=0))
    if not len(rows) or opaque_box(alpha) == (0, 0, 0, 0):
        raise ValueError(f"sprite {sprite_id!r}: the outline encloses no pixels")
    ty1, ty2, tx1, tx2 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    rgb = np.ascontiguousarray(patch[ty1:ty2, tx1:tx2])
    alpha = np.ascontiguousarray(alpha[ty1:ty2, tx1:tx2] * keep[ty1:ty2, tx1:tx2])
    return Sprite(sprite_id, kind, rgb, alpha)


def build_sprites(catalog: Catalog, ids: Iterable[str] | None = None) -> dict[str, Sprite]:
    """Sprites for the catalog entries ``ids`` (all when None), keyed by id."""
    entries: list[SpriteSource] = [catalog.sprite(i) for i in ids] if ids is not None else list(catalog.sprites)
    images = load_sources((e.source, e.frame) for e in entries)
    return {
        e.id: make_sprite(images[(e.source, e.frame)], e.outline, sprite_id=e.id, kind=e.kind, grayscale=e.grayscale)
        for e in entries
    }
