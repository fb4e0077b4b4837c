"""One model catalogue: the agent's model planner and the model server read the same entries.

Before, the agent guessed from names (every "qwen" called tools natively) while the launcher said
Qwen2.5-VL does not (its shipped chat_template.json has no tool section); the README said both.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from agent.model_catalog import DEFAULT_MODEL, REGISTRY, spec_for_name
from agent.model_planner import profile_for
from serving.model_server.models import resolve_model
from serving.model_server.vllm_command import ServeOptions, build_launch

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_agent_and_server_agree(name: str) -> None:
    spec = REGISTRY[name]
    profile = profile_for(name)
    settings = build_launch(resolve_model(name), ServeOptions()).settings
    assert profile.native_tools == spec.supports_tools == settings.supports_tools
    assert profile.coords == {"0-1000": "norm1000", "pixels": "pixels"}[spec.coordinates]
    assert settings.coordinates == spec.coordinates


def test_qwen25_vl_has_no_native_tools_and_pixel_boxes() -> None:
    for name in ("Qwen/Qwen2.5-VL-7B-Instruct", "my-org/qwen2_5_vl-7b-sft"):
        assert profile_for(name).native_tools is False
        assert profile_for(name).coords == "pixels"
    assert profile_for("Qwen/Qwen3-VL-8B-Instruct").native_tools is True


def test_names_find_their_family() -> None:
    assert spec_for_name("GLM-4.6V-Flash-finetune").family == "glm-4.6v-flash"
    assert spec_for_name("zai-org/glm-4.6v").family == "glm-4.6v"
    assert spec_for_name("tiny-glm4v") is None
    # an unknown name behaves like the default model, overrides still win
    assert profile_for("tiny-glm4v") == profile_for(DEFAULT_MODEL)
    assert profile_for("tiny-glm4v", coords="pixels", tools="native").native_tools is True


def test_catalogue_imports_nothing_of_the_project() -> None:
    tree = ast.parse((REPO / "agent" / "model_catalog.py").read_text())
    imported = {
        (node.module or "").split(".")[0] if isinstance(node, ast.ImportFrom) else alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert imported <= {"__future__", "re", "typing", "pydantic"}, imported


def test_readme_model_table_matches_catalogue() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split("<!-- section:model-server -->")[1].split("<!-- /section:model-server -->")[0]
    rows = [line for line in section.splitlines() if re.match(r"\| (zai-org|Qwen)/", line)]
    assert len(rows) >= 5
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        names = [n.strip() for n in cells[0].replace("(default)", "").split("(")[0].split(",")]
        names = [n if "/" in n else "zai-org/" + n for n in names if n]
        for name in names:
            spec = REGISTRY[name]
            says_tools = not cells[2].startswith("no")
            assert says_tools == spec.supports_tools, (name, cells[2])
            if spec.tool_call_parser:
                assert spec.tool_call_parser in cells[2]
            assert ("pixels" in cells[1]) == (spec.coordinates == "pixels"), (name, cells[1])
