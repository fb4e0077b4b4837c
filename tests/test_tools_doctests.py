"""The runnable examples in the tools' docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["tools.video", "tools.detect", "tools.runtime", "tools.darknet_onnx", "tools.track", "tools.track_metrics", "tools.perceive", "tools.smooth",
           "tools.render", "tools.schemas", "tools.vocabulary", "tools.foreground"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"
    assert result.attempted > 0
