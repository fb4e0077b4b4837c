"""`.ci/run` behaves the same everywhere (CI=true unless set) and says how many tests were skipped and why.

A stand-in ``make`` on PATH runs a real pytest on a small generated suite (one pass, one skip per
stage, one skip that fails under CI=true like the project's real-part tests), so the script itself
runs end to end in a second, without the project's suites.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

SUITE = '''
import os
import pytest

def test_ok():
    assert True

@pytest.mark.skip(reason="nothing to see")
def test_skipped():
    pass

@pytest.mark.parametrize("n", [1, 2])
def test_skipped_twice(n):
    pytest.skip("twice for the same reason")

def test_real_part():
    if os.environ.get("CI") == "true":
        return            # under CI a missing real part would fail; here it is present
    pytest.skip("real part missing")
'''

MAKE = f'''#!/usr/bin/env bash
echo "fake make $1 CI=${{CI:-unset}}"
if [ "$1" = test ]; then selection="not broken"; else selection="broken or ok"; fi
PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 exec "{sys.executable}" -m pytest -q -ra -p no:cacheprovider --rootdir "$SUITE_DIR" "$SUITE_DIR" -k "$selection"
'''


def _run(tmp_path: Path, env_ci: str | None, fail_slow: bool = False) -> subprocess.CompletedProcess[str]:
    suite = tmp_path / "suite"
    suite.mkdir(exist_ok=True)
    (suite / "test_fake.py").write_text(SUITE + ("\ndef test_broken():\n    assert False\n" if fail_slow else ""))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    make = bin_dir / "make"
    make.write_text(MAKE)
    make.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env |= {"PATH": f"{bin_dir}:{env['PATH']}", "SUITE_DIR": str(suite)}
    if env_ci is not None:
        env["CI"] = env_ci
    return subprocess.run(["bash", str(REPO / ".ci" / "run")], env=env, capture_output=True, text=True, timeout=120,
                          check=False)


def test_ci_defaults_to_true_and_reports_skips(tmp_path: Path) -> None:
    out = _run(tmp_path, env_ci=None)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert "[ci] CI=true" in lines and "fake make test CI=true" in lines and "fake make test-slow CI=true" in lines
    assert "[ci] default suite: skipped: 3" in lines
    reasons = [line for line in lines if line.startswith("[ci]   SKIPPED")]
    assert any("[2]" in r and "twice for the same reason" in r for r in reasons)
    assert any("[1]" in r and "nothing to see" in r for r in reasons)
    assert "[ci] all done" in out.stdout


def test_an_explicit_ci_value_is_kept_and_skips_counted(tmp_path: Path) -> None:
    out = _run(tmp_path, env_ci="false")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "fake make test CI=false" in out.stdout
    assert "[ci] default suite: skipped: 4" in out.stdout.splitlines()      # the real-part test skips too


def test_a_failing_stage_still_reports_its_skips_and_fails(tmp_path: Path) -> None:
    out = _run(tmp_path, env_ci=None, fail_slow=True)
    assert out.returncode != 0
    assert "[ci] slow suite: skipped: 0" in out.stdout and "[ci] slow suite failed (make test-slow" in out.stdout
    assert "[ci] all done" not in out.stdout
