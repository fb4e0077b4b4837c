"""MobileNetV2 appearance features (tools.embed) on real people of the film: same person closer than others."""

from __future__ import annotations

import numpy as np
import pytest

from tools.assets import asset_path
from tools.video import read_frame

pytestmark = pytest.mark.slow  # the first run exports the network to ONNX (torch import, ~10 s)


def test_same_person_a_moment_later_is_closer_than_another_person() -> None:
    from tools.embed import Embedder

    film = asset_path("sample_video")
    a, b = read_frame(film, 46.0).image, read_frame(film, 46.2).image
    people = np.array([[440, 134, 512, 262], [504, 132, 578, 295], [338, 120, 390, 227]], float)
    e = Embedder()
    fa, fb = e(a, people), e(b, people)
    assert fa.shape == (3, 1280) and np.allclose(np.linalg.norm(fa, axis=1), 1, atol=1e-4)
    same = np.sum(fa * fb, axis=1)
    other = fa @ fb.T
    for i in range(3):
        assert same[i] > max(other[i, j] for j in range(3) if j != i)
    assert e(a, np.zeros((0, 4))).shape == (0, 1280)
