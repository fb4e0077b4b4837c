"""The agent's configuration is its bottom: ``agent/config.py`` imports nothing of the agent, and the
facade ``agent/api.py`` only re-exports it and runs the graph."""

from __future__ import annotations

import ast
from pathlib import Path

AGENT = Path(__file__).resolve().parents[1] / "agent"


def _imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            out.add("." * node.level + (node.module or ""))
    return out


def test_configuration_imports_nothing_of_the_agent():
    found = _imports(AGENT / "config.py")
    assert not {m for m in found if m.startswith((".", "agent"))}, found


def test_the_facade_is_thin():
    found = {m for m in _imports(AGENT / "api.py") if m.startswith((".", "agent"))}
    assert found == {"agent.config", "agent.graph"}, found
