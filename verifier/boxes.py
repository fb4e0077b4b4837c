"""Box overlap: IoU of ``[x1, y1, x2, y2]`` boxes (no +1), one pair or all pairs at once.

The rule is TrackEval's: intersection ``max(0, min(x2) - max(x1)) * max(0, min(y2) - max(y1))``,
area ``(x2 - x1) * (y2 - y1)``; a box of zero (or negative) area, or a zero union, gives IoU 0.
``[x, y, w, h]`` boxes convert with ``x2 = x + w``, ``y2 = y + h`` (the same additions TrackEval
makes, so the numbers match it bit for bit).

>>> box_iou((0, 0, 10, 10), (5, 0, 15, 10))
0.3333333333333333
>>> box_iou((0, 0, 10, 10), (0, 0, 10, 10), fmt="xywh")
1.0
>>> iou_matrix(np.array([[0, 0, 10, 10.]]), np.array([[0, 0, 10, 10.], [20, 20, 30, 30]])).tolist()
[[1.0, 0.0]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

BoxFormat = Literal["xyxy", "xywh"]

_EPS = float(np.finfo("float").eps)


def xywh_to_xyxy(box: Sequence[float]) -> tuple[float, float, float, float]:
    """``[x, y, w, h]`` -> ``(x1, y1, x2, y2)``.

    >>> xywh_to_xyxy([10, 20, 30, 40])
    (10.0, 20.0, 40.0, 60.0)
    """
    x, y, w, h = (float(v) for v in box)
    return (x, y, x + w, y + h)


def xyxy_to_xywh(box: Sequence[float]) -> tuple[float, float, float, float]:
    """``[x1, y1, x2, y2]`` -> ``(x, y, w, h)``.

    >>> xyxy_to_xywh([10, 20, 40, 60])
    (10.0, 20.0, 30.0, 40.0)
    """
    x1, y1, x2, y2 = (float(v) for v in box)
    return (x1, y1, x2 - x1, y2 - y1)


def box_iou(a: Sequence[float], b: Sequence[float], fmt: BoxFormat = "xyxy") -> float:
    """IoU of two boxes in ``fmt`` (``"xyxy"`` or ``"xywh"``); 0 for degenerate boxes.

    >>> box_iou((0, 0, 2, 2), (1, 1, 3, 3))
    0.14285714285714285
    >>> box_iou((0, 0, 0, 5), (0, 0, 0, 5))   # zero area
    0.0
    """
    if fmt == "xywh":
        a, b = xywh_to_xyxy(a), xywh_to_xyxy(b)
    elif fmt != "xyxy":
        raise ValueError(f"box format must be 'xyxy' or 'xywh', got {fmt!r}")
    return _iou_xyxy(float(a[0]), float(a[1]), float(a[2]), float(a[3]),
                     float(b[0]), float(b[1]), float(b[2]), float(b[3]))


def _iou_xyxy(ax1: float, ay1: float, ax2: float, ay2: float,
              bx1: float, by1: float, bx2: float, by2: float) -> float:
    """Scalar IoU in plain floats (the reward's hot path; same rule as :func:`iou_matrix`)."""
    area_a = (ax2 - ax1) * (ay2 - ay1)
    area_b = (bx2 - bx1) * (by2 - by1)
    if area_a <= _EPS or area_b <= _EPS:
        return 0.0
    iw = (min(bx2, ax2)) - (max(bx1, ax1))
    ih = (min(by2, ay2)) - (max(by1, ay1))
    if iw <= 0.0 or ih <= 0.0:
        return 0.0
    inter = iw * ih
    union = area_a + area_b - inter
    if union <= _EPS:
        return 0.0
    return inter / union


def iou_matrix(boxes1: np.ndarray, boxes2: np.ndarray, fmt: BoxFormat = "xyxy") -> np.ndarray:
    """All-pairs IoU, shape ``(len(boxes1), len(boxes2))``; identical to TrackEval's box IoU.

    >>> iou_matrix(np.array([[0, 0, 2, 2.]]), np.array([[1, 1, 2, 2.]]), fmt="xywh").round(4).tolist()
    [[0.1429]]
    """
    b1 = np.asarray(boxes1, dtype=float).reshape(-1, 4)
    b2 = np.asarray(boxes2, dtype=float).reshape(-1, 4)
    if fmt == "xywh":
        b1 = np.concatenate([b1[:, :2], b1[:, :2] + b1[:, 2:]], axis=1)
        b2 = np.concatenate([b2[:, :2], b2[:, :2] + b2[:, 2:]], axis=1)
    elif fmt != "xyxy":
        raise ValueError(f"box format must be 'xyxy' or 'xywh', got {fmt!r}")
    return paired_iou(np.repeat(b1, len(b2), axis=0), np.tile(b2, (len(b1), 1))).reshape(len(b1), len(b2))


def paired_iou(b1: np.ndarray, b2: np.ndarray) -> np.ndarray:
    """Row-wise IoU of two ``(N, 4)`` xyxy arrays (TrackEval's formula, element by element).

    >>> paired_iou(np.array([[0, 0, 2, 2.]]), np.array([[0, 0, 2, 2.]])).tolist()
    [1.0]
    """
    ix = np.maximum(np.minimum(b1[:, 2], b2[:, 2]) - np.maximum(b1[:, 0], b2[:, 0]), 0)
    iy = np.maximum(np.minimum(b1[:, 3], b2[:, 3]) - np.maximum(b1[:, 1], b2[:, 1]), 0)
    inter = ix * iy
    area1 = (b1[:, 2] - b1[:, 0]) * (b1[:, 3] - b1[:, 1])
    area2 = (b2[:, 2] - b2[:, 0]) * (b2[:, 3] - b2[:, 1])
    union = area1 + area2 - inter
    inter[(area1 <= _EPS) | (area2 <= _EPS) | (union <= _EPS)] = 0
    union[union <= _EPS] = 1
    return inter / union


def norm1000_to_pixels(box: Sequence[float], width: float, height: float) -> tuple[float, float, float, float]:
    """A GLM-V / Qwen3-VL box in 0-1000 units -> pixels (``x/1000*W``, ``y/1000*H``).

    >>> norm1000_to_pixels([500, 500, 1000, 1000], 640, 360)
    (320.0, 180.0, 640.0, 360.0)
    """
    return (box[0] / 1000 * width, box[1] / 1000 * height, box[2] / 1000 * width, box[3] / 1000 * height)


def pixels_to_norm1000(box: Sequence[float], width: float, height: float) -> tuple[int, int, int, int]:
    """Pixels -> integer 0-1000 units (rounded), the way GLM-V writes boxes.

    >>> pixels_to_norm1000([320, 180, 640, 360], 640, 360)
    (500, 500, 1000, 1000)
    """
    return (round(box[0] / width * 1000), round(box[1] / height * 1000),
            round(box[2] / width * 1000), round(box[3] / height * 1000))
