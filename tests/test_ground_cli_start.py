"""`stag ground` starts fast: bad input is rejected before any model or heavy library loads; --quiet is quiet."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tools.assets import asset_path

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "ultralytics", "transformers", "sentence_transformers", "langgraph", "openvino", "supervision",
         "tools.detect", "agent.graph")


def _probe(args: list[str]) -> dict:
    """Run ground_cli.main in a fresh interpreter; report the exit code and which heavy modules got imported."""
    code = (
        "import json, sys\nfrom agent.ground_cli import main\n"
        f"rc = main({args!r})\n"
        f"print(json.dumps({{'rc': rc, 'loaded': [m for m in {HEAVY!r} if m in sys.modules]}}))"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["stderr"] = proc.stderr
    return out


@pytest.mark.parametrize(("args", "message"), [
    (["VIDEO", "   "], "query is empty"),
    (["VIDEO", "the person running", "--detector", "yolo-magic"], "unknown detector 'yolo-magic'"),
    (["VIDEO", "the person running", "--detector", "missing.pt"], "weights not found"),
    (["nope.mp4", "the person running"], "video file not found"),
])
def test_bad_input_is_rejected_before_anything_loads(args: list[str], message: str) -> None:
    args = [str(asset_path("sample_video")) if a == "VIDEO" else a for a in args]
    out = _probe(args)
    assert out["rc"] == 2
    assert message in out["stderr"]
    assert out["loaded"] == []  # validated first: no model, no torch, no agent graph
    assert "%|" not in out["stderr"]  # and no progress bar for a request that never starts


@pytest.mark.slow
def test_quiet_prints_nothing_but_the_json(tmp_path: Path) -> None:
    from tests.serving_clips import cut_clip

    clip = cut_clip(tmp_path / "clip.mp4", 0, 4)
    proc = subprocess.run([sys.executable, "-m", "agent.cli", "ground", str(clip), "the person walking", "--json",
                           "--quiet"], cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # no loading bar, no library chatter
    assert json.loads(proc.stdout)["query"] == "the person walking"
