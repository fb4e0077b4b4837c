"""Inter-second smoothing and gap filling on tracks whose true boxes are known."""

from __future__ import annotations

import numpy as np
import pytest

from tools.smooth import fill_gaps, jitter, smooth_boxes


def _walk(seconds: int = 20) -> dict[int, tuple[float, float, float, float]]:
    """A box walking right and slowly growing (approaching), one per second."""
    return {k: (100 + 12 * k, 50 + 2 * k, 140 + 13 * k, 150 + 4 * k) for k in range(seconds)}


def _err(boxes, truth) -> float:
    return float(np.mean([np.abs(np.subtract(boxes[k], truth[k])).mean() for k in boxes]))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_smoothing_removes_jitter_and_outliers_keeping_the_ends(seed: int) -> None:
    truth = _walk()
    rng = np.random.default_rng(seed)
    noisy = {k: tuple(float(v) for v in np.add(b, rng.normal(0, 4, 4))) for k, b in truth.items()}
    noisy[7] = (300.0, 40.0, 330.0, 90.0)  # a wrong box (another object)
    noisy[12] = (noisy[12][0], noisy[12][1] + 45, noisy[12][2], noisy[12][3])  # a torso-only box
    out = smooth_boxes(noisy)
    assert list(out) == list(noisy)  # same seconds: first and last kept, none added
    assert jitter(out) < 0.25 * jitter(noisy)
    assert _err(out, truth) < 0.5 * _err(noisy, truth)
    assert max(abs(a - b) for a, b in zip(out[7], truth[7])) < 8  # the outlier is replaced by the fit
    for end in (0, 19):  # endpoints are smoothed, not dragged towards the middle
        assert _err({end: out[end]}, truth) < 6


def test_steady_motion_is_left_alone() -> None:
    truth = _walk(8)
    out = smooth_boxes(truth)
    assert _err(out, truth) < 0.05


def test_gaps_and_rates() -> None:
    truth = _walk(12)
    holes = {k: b for k, b in truth.items() if k not in (3, 4, 8)}
    out = smooth_boxes(holes)
    assert list(out) == list(holes)
    filled = fill_gaps(out, max_gap=2)
    assert sorted(filled) == list(range(12))
    assert _err(filled, truth) < 1.0
    assert sorted(fill_gaps(holes, max_gap=1)) == [k for k in range(12) if k not in (3, 4)]
    # at 2 samples per second the smoothing width stays one second
    half = {2 * k: b for k, b in truth.items()}
    assert list(smooth_boxes(half, sample_fps=2.0)) == list(half)


def test_short_tracks_unchanged() -> None:
    two = {3: (0.0, 0.0, 10.0, 10.0), 4: (50.0, 0.0, 60.0, 10.0)}
    assert smooth_boxes(two) == two
    assert smooth_boxes({}) == {}
    assert fill_gaps({}, 3) == {}
