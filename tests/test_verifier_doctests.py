"""The runnable examples in the verifier's docstrings are true."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import verifier

MODULES = sorted(m.name for m in pkgutil.iter_modules(verifier.__path__, "verifier.") if m.name != "verifier.__main__")


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
