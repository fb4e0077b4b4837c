"""The agent's docstring examples run as tests (each public module shows a runnable example)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["agent.config", "agent.query", "agent.vocabulary", "agent.predicates", "agent.kinematics",
           "agent.intervals", "agent.perception", "agent.plan", "agent.embedded", "agent.cache"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"
