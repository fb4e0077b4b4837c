"""The README's licence table says what each installed package's own metadata and licence files say,
and the project's licence (LICENSE, pyproject) is the one the README explains."""

from __future__ import annotations

import importlib.metadata as md
import re
from pathlib import Path

import pytest
import tomllib

REPO = Path(__file__).resolve().parent.parent
SPDX = re.compile(r"AGPL-3\.0|Apache-2\.0|BSD-3-Clause|MIT")
SPELLINGS = {"Apache-2.0": ("Apache-2.0", "Apache 2.0", "Apache License", "apache-2.0"),
             "AGPL-3.0": ("AGPL-3.0", "AFFERO GENERAL PUBLIC LICENSE"), "MIT": ("MIT",),
             "BSD-3-Clause": ("BSD-3-Clause", "BSD 3-Clause", "BSD License")}


def _rows() -> list[tuple[list[str], str]]:
    readme = (REPO / "README.md").read_text()
    section = readme.split("<!-- section:licenses -->")[1].split("<!-- /section:licenses -->")[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] not in ("component", "---"):
            names = [n.split()[0] for n in cells[0].replace("(PyAV)", "").split(",")]
            rows.append((names, cells[2] if "not installed" not in cells[1] else "not installed"))
    return rows


def _declared(dist: md.Distribution) -> str:
    meta = dist.metadata
    texts = [meta.get("License-Expression") or "", meta.get("License") or "",
             " ".join(c for c in meta.get_all("Classifier") or [] if "License" in c)]
    for f in dist.files or []:
        if f.name.upper().startswith(("LICEN", "COPYING")):
            try:
                texts.append(Path(dist.locate_file(f)).read_text(errors="replace")[:3000])
            except OSError:
                pass
    return "\n".join(texts)


def test_table_matches_installed_metadata() -> None:
    checked = 0
    for names, licence in _rows():
        if "not installed" in licence:
            continue
        expected = SPDX.search(licence)
        assert expected, f"no SPDX id in {licence!r}"
        for name in names:
            try:
                dist = md.distribution(name)
            except md.PackageNotFoundError:
                pytest.fail(f"{name} is listed in the README's licence table but not installed")
            declared = _declared(dist)
            assert any(s in declared for s in SPELLINGS[expected.group()]), (name, expected.group(), declared[:200])
            checked += 1
    assert checked >= 15


def test_project_licence_is_agpl_as_explained() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["license"] == "AGPL-3.0-or-later"
    assert (REPO / "LICENSE").read_text().lstrip().startswith("GNU AFFERO GENERAL PUBLIC LICENSE")
    assert md.distribution("ultralytics-opencv-headless").metadata["License"] == "AGPL-3.0"
