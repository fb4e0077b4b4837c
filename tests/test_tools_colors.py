"""Named colours of a box's halves (tools.colors) on hand-painted figures."""

from __future__ import annotations

import numpy as np
import pytest

from tools.colors import COLOR_NAMES, box_color_vectors, box_colors, color_fractions

BGR = {"black": (10, 10, 10), "white": (250, 250, 250), "grey": (128, 128, 128), "red": (30, 30, 220),
       "orange": (0, 130, 255), "yellow": (0, 230, 240), "green": (40, 180, 40), "blue": (200, 80, 20),
       "brown": (30, 60, 110), "pink": (200, 170, 255), "purple": (160, 40, 120)}


@pytest.mark.parametrize("name", COLOR_NAMES)
def test_each_colour_is_named(name: str) -> None:
    px = np.full((10, 10, 3), BGR[name], np.uint8)
    assert COLOR_NAMES[int(np.argmax(color_fractions(px)))] == name


def test_upper_and_lower_halves_are_told_apart() -> None:
    img = np.full((200, 200, 3), 128, np.uint8)
    img[40:100, 80:120] = BGR["red"]  # shirt
    img[100:160, 80:120] = BGR["blue"]  # trousers
    up, low = box_colors(img, (80, 40, 120, 160))
    assert max(up, key=up.get) == "red" and max(low, key=low.get) == "blue"
    assert abs(sum(up.values()) - 1) < 0.01


def test_tiny_or_empty_boxes_give_nothing() -> None:
    img = np.zeros((50, 50, 3), np.uint8)
    assert box_color_vectors(img, (10, 10, 11, 12)) is None
    assert box_colors(img, (10, 10, 11, 12)) == ({}, {})
    assert color_fractions(np.zeros((0, 3), np.uint8)).sum() == 0
