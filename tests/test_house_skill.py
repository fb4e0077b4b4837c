"""The OpenClaw skill folder obeys the Agent Skills spec (agentskills.io/specification), checked with
the spec's own reference validator (``skills-ref``): ``name`` 1-64 lowercase letters, digits and
single hyphens, equal to the folder's name; ``description`` non-empty, at most 1024 characters;
only the spec's frontmatter fields; YAML that strict parsers read (no flow sequences)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from skills_ref import read_properties, validate

SKILL = Path(__file__).resolve().parent.parent / "serving" / "openclaw" / "stag-video-grounding"


def test_openclaw_skill_folder_is_valid() -> None:
    assert validate(SKILL) == []
    props = read_properties(SKILL)
    assert props.name == SKILL.name == "stag-video-grounding"
    assert 0 < len(props.description) <= 1024
    assert (SKILL / "scripts" / "stag_tool.py").is_file()


@pytest.mark.parametrize(
    ("folder", "edit", "complaint"),
    [
        ("openclaw", None, "must match skill name"),
        ("stag-video-grounding", ("name: stag-video-grounding", "name: Stag_Video"), "must be lowercase"),
        ("stag-video-grounding", ("description: Find", "description: " + "x" * 1100 + " Find"), "1024"),
        ("stag-video-grounding", ("bins:\n        - python3", 'bins: ["python3"]'), "Invalid YAML"),
    ],
)
def test_the_validator_catches_what_the_spec_forbids(tmp_path: Path, folder: str, edit, complaint: str) -> None:
    copy = tmp_path / folder
    shutil.copytree(SKILL, copy)
    if edit:
        text = (copy / "SKILL.md").read_text()
        assert edit[0] in text
        (copy / "SKILL.md").write_text(text.replace(edit[0], edit[1], 1))
    assert any(complaint in error for error in validate(copy)), validate(copy)
