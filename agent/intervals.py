"""Turn a per-second signal into intervals: hysteresis, gap filling, minimum length.

A predicate computed from noisy 1-FPS boxes flickers; hysteresis switches *on* only when the
signal rises above ``on`` and *off* only when it falls below ``off``, short gaps are bridged and
runs shorter than ``min_len`` seconds are dropped.

>>> hysteresis([0, 0.5, 0.9, 0.6, 0.3, 0.9, 0.1], on=0.8, off=0.4)
[False, False, True, True, False, True, False]
>>> runs([0, 1, 2, 5, 6, 9], [True, True, True, True, True, False], max_gap=1)
[(0, 2), (5, 6)]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def hysteresis(values: Sequence[float], on: float, off: float) -> list[bool]:
    """True from where ``values`` first reaches ``on`` until it drops below ``off`` (NaN keeps the state)."""
    state = False
    out: list[bool] = []
    for v in values:
        if v is not None and np.isfinite(v):
            if not state and v >= on:
                state = True
            elif state and v < off:
                state = False
        out.append(state)
    return out


def runs(seconds: Sequence[int], mask: Sequence[bool], max_gap: int = 1, min_len: int = 1) -> list[tuple[int, int]]:
    """Inclusive ``(start, end)`` second spans where ``mask`` holds.

    Holes of at most ``max_gap`` seconds (missing seconds or False) inside a span are bridged;
    spans covering fewer than ``min_len`` seconds are dropped.

    >>> runs([0, 1, 2, 3, 4], [True, False, True, True, False], max_gap=1, min_len=3)
    [(0, 3)]
    """
    spans: list[list[int]] = []
    for sec, ok in zip(seconds, mask):
        if not ok:
            continue
        if spans and sec - spans[-1][1] - 1 <= max_gap:
            spans[-1][1] = sec
        else:
            spans.append([sec, sec])
    return [(s, e) for s, e in spans if e - s + 1 >= min_len]


def longest(spans: Sequence[tuple[int, int]]) -> tuple[int, int] | None:
    """The longest span (earliest on ties), or None."""
    return max(spans, key=lambda s: (s[1] - s[0], -s[0]), default=None)


def merge(spans: Sequence[tuple[float, float]], gap: float = 0.0) -> list[tuple[float, float]]:
    """Union of spans, joining those at most ``gap`` apart.

    >>> merge([(5, 9), (0, 2), (3, 4)], gap=1)
    [(0, 9)]
    """
    out: list[list[float]] = []
    for s, e in sorted(spans):
        if out and s - out[-1][1] <= gap:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]
