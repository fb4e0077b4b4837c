"""`import verifier` stays light: an RL trainer installs stag without extras and imports it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_verifier_loads_no_heavy_dependency():
    heavy = ["torch", "cv2", "ultralytics", "langgraph", "gradio", "vllm", "transformers"]
    code = ("import sys, verifier, verifier.cli, verifier.adapters, verifier.reward_server, verifier.exports, "
            "verifier.svageval, verifier.groundtruth, verifier.interpolate; "
            f"print([m for m in {heavy!r} if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
