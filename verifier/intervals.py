"""Temporal overlap: integer-second intervals (STVG) and continuous windows (moment retrieval).

An inclusive interval ``[s, e]`` of integer seconds covers ``e - s + 1`` seconds; its IoU is taken
over those integer sets (never as ``e - s``). Moment-retrieval windows ``[start, end]`` are
continuous, length ``end - start``, as in QVHighlights.

>>> t_iou((3, 7), (3, 7))
1.0
>>> t_iou((0, 4), (5, 9))
0.0
>>> window_iou((0.0, 10.0), (5.0, 15.0))
0.3333333333333333
"""

from __future__ import annotations

from collections.abc import Sequence


def interval_overlap(a: Sequence[int], b: Sequence[int]) -> tuple[int, int]:
    """``(|a ∩ b|, |a ∪ b|)`` in seconds for inclusive integer intervals (0 for an empty side).

    >>> interval_overlap((0, 9), (5, 14))
    (5, 15)
    """
    a_len = a[1] - a[0] + 1 if a[1] >= a[0] else 0
    b_len = b[1] - b[0] + 1 if b[1] >= b[0] else 0
    inter = min(a[1], b[1]) - max(a[0], b[0]) + 1 if a_len and b_len else 0
    inter = max(0, inter)
    return inter, a_len + b_len - inter


def t_iou(a: Sequence[int], b: Sequence[int]) -> float:
    """Temporal IoU of two inclusive integer intervals; 1 iff they are equal, 0 if disjoint.

    >>> t_iou((0, 9), (5, 14))
    0.3333333333333333
    >>> t_iou((2, 2), (2, 2))   # one second each
    1.0
    """
    inter, union = interval_overlap(a, b)
    return inter / union if union else 0.0


def window_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """IoU of two continuous windows ``[start, end]`` (QVHighlights); 0 when the hull is empty.

    >>> window_iou((2.0, 4.0), (2.0, 4.0))
    1.0
    >>> window_iou((1.0, 1.0), (1.0, 1.0))   # zero length: 0 (the reference code gives NaN here)
    0.0
    """
    inter = min(a[1], b[1]) - max(a[0], b[0])
    inter = inter if inter > 0 else 0.0
    hull = max(a[1], b[1]) - min(a[0], b[0])
    return inter / hull if hull > 0 else 0.0
