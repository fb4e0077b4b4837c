"""The house drawn from the source: every import (deferred ones inside functions included, type-only
ones under ``if TYPE_CHECKING:`` left out) between the project's modules, read with ``ast``.

Two rules: no circle of modules inside a package, and no arrow back up the layering
``verifier < tools < stagdata < agent < serving | demo | evaluation | training < bench``
(an upper room may import a lower one; siblings do not import each other).
Run this file with ``-s`` to see the picture: rooms, arrows between them, circles.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LAYER = {"verifier": 0, "tools": 1, "stagdata": 2, "agent": 3,
         "serving": 4, "demo": 4, "evaluation": 4, "training": 4, "bench": 5}
PACKAGES = [name for name in LAYER if (REPO / name).is_dir()]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in sorted((REPO / pkg).rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Project modules that module ``name`` imports (``from a import b`` is ``a.b`` when that is a module)."""
    is_pkg = path.name == "__init__.py"
    found: set[str] = set()

    def resolve(target: str) -> None:
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                resolve(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                resolve(f"{module}.{alias.name}" if f"{module}.{alias.name}" in known else module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(), filename=str(path)))
    return found


@cache
def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(name, path, known) for name, path in modules.items()}


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def _room(module: str) -> str:
    return module.split(".")[0]


def _arrows_up(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for src, targets in sorted(graph.items()):
        for dst in sorted(targets):
            a, b = _room(src), _room(dst)
            if a != b and LAYER[b] >= LAYER[a]:
                bad.append(f"{src} -> {dst} ({a} is layer {LAYER[a]}, {b} is layer {LAYER[b]})")
    return bad


def test_the_drawing_finds_a_planted_circle_and_an_arrow_up(tmp_path: Path) -> None:
    graph = {"tools.a": {"tools.b"}, "tools.b": {"tools.c"}, "tools.c": {"tools.a", "verifier.x"},
             "verifier.x": {"agent.y"}, "agent.y": set(), "demo.z": {"serving.w"}, "serving.w": set()}
    assert _circles(graph) == [["tools.a", "tools.b", "tools.c"]]
    assert [line.split(" (")[0] for line in _arrows_up(graph)] == ["demo.z -> serving.w", "verifier.x -> agent.y"]
    planted = tmp_path / "planted.py"
    planted.write_text("from __future__ import annotations\nfrom typing import TYPE_CHECKING\nfrom . import config\n"
                       "if TYPE_CHECKING:\n    from agent.graph import G\ndef f():\n    from .api import ground\n")
    known = {"agent", "agent.api", "agent.config", "agent.graph"}
    assert _imports("agent.planted", planted, known) == {"agent.config", "agent.api"}


def test_the_house_has_no_arrow_back_up() -> None:
    graph = _graph()
    rooms: dict[tuple[str, str], int] = defaultdict(int)
    for src, targets in graph.items():
        for dst in targets:
            if _room(src) != _room(dst):
                rooms[(_room(src), _room(dst))] += 1
    print("\nrooms:", ", ".join(f"{p} ({len([m for m in graph if _room(m) == p])} modules)" for p in PACKAGES))
    print("arrows:", ", ".join(f"{a} -> {b} ({n})" for (a, b), n in sorted(rooms.items())))
    assert _arrows_up(graph) == []


@pytest.mark.parametrize("package", [p for p in PACKAGES if p != "agent"])
def test_no_circle_inside_the_package(package: str) -> None:
    circles = [c for c in _circles(_graph()) if _room(c[0]) == package]
    assert circles == [], "import circles: " + "; ".join(" <-> ".join(c) for c in circles)


def test_no_circle_inside_the_agent() -> None:
    circles = [c for c in _circles(_graph()) if _room(c[0]) == "agent"]
    print("\nagent circles:", circles or "none")
    assert circles == [], "import circles: " + "; ".join(" <-> ".join(c) for c in circles)
