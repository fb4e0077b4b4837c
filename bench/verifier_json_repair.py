"""Hand-written lenient JSON recovery (``verifier/parsing.py``) against the ``json_repair`` library.

    pip install --target /tmp/jr json-repair==0.64.4      # not a project dependency
    PYTHONPATH=/tmp/jr .venv/bin/python bench/verifier_json_repair.py

Correctness: the verifier's parse, fuzz and hardening tests are run twice, once as shipped and
once with the JSON search-and-repair step (``_find_answer``) replaced by ``json_repair.loads``
(several JSON values in one text come back as a list; each is offered to the same interpreter).
Speed: CPU time of ``parse`` on messy completions that need the repair path (truncated, prose
around the JSON, Python quoting) and on the worst shapes just under the length cap.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from verifier import parsing

TESTS = ["tests/test_verifier_parse.py", "tests/test_verifier_fuzz.py", "tests/test_verifier_hardening.py"]
PLUGIN = '''
import json, json_repair, pytest
from verifier import parsing

def _with_json_repair(region):
    try:
        json.loads(region)
        clean = True
    except (ValueError, RecursionError):
        clean = False
    try:
        value = json_repair.loads(region)
    except Exception:          # json_repair raising is a failure the tests will see as a crash
        raise
    values = value if (not clean and isinstance(value, list) and value
                       and all(isinstance(v, (dict, list)) for v in value)) else []
    best = None
    for v in [value, *values]:
        issues = parsing._Issues()
        entries = parsing._interpret(v, issues, 0)
        if entries is not None and (best is None or len(entries) >= len(best[0])):
            best = (entries, issues, not clean)
    return best

@pytest.fixture(autouse=True)
def _use_json_repair(monkeypatch):
    monkeypatch.setattr(parsing, "_find_answer", _with_json_repair)
'''


def run_tests(with_json_repair: bool) -> str:
    """pytest's summary line for the verifier's parsing tests, as shipped or with json_repair
    (a test running over 60 s fails)."""
    args = [sys.executable, "-m", "pytest", *TESTS, "-q", "-p", "no:cacheprovider", "--timeout", "60"]
    if with_json_repair:
        plugin = ROOT / "bench" / "_jr_plugin.py"
        plugin.write_text(PLUGIN)
        args += ["-p", "bench._jr_plugin"]
    try:
        done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=1800, check=False)
    finally:
        if with_json_repair:
            plugin.unlink()
    failed = sorted({line.split(" - ")[0].split("::")[-1] for line in done.stdout.splitlines()
                     if line.startswith("FAILED")})
    return done.stdout.strip().splitlines()[-1] + (f"\n  failed: {', '.join(failed)}" if failed else "")


def messy_completions() -> dict[str, str]:
    """name -> completion that needs the lenient path."""
    answer = {str(k): [{"label": f"person-{r}", "bbox_2d": [100 + k, 50, 300 + k, 400]} for r in range(3)]
              for k in range(60)}
    text = json.dumps(answer)
    under_cap = parsing.MAX_CHARS - 100
    return {
        "60 s x 3 referents, truncated": text[: len(text) * 2 // 3],
        "prose around the JSON": "Sure! Here are the tracks: " + text + " Hope this helps [1].",
        "Python quoting": text.replace('"', "'"),
        "worst case under the cap: truncated boxes": '{"0": [' + "[1,2,3,4]," * (under_cap // 10),
        "worst case under the cap: nested strings": "[" * 64 + '"a",' * (under_cap // 4),
    }


def cpu_time(fn: Any, text: str, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.process_time()
        fn(text)
        best = min(best, time.process_time() - t0)
    return best


def main() -> int:
    import json_repair

    def parse_jr(text: str) -> Any:
        original = parsing._find_answer
        namespace: dict[str, Any] = {}
        exec(PLUGIN.split("@pytest.fixture")[0], namespace)  # noqa: S102 - the plugin text the README shows
        parsing._find_answer = namespace["_with_json_repair"]
        try:
            return parsing.parse(text)
        finally:
            parsing._find_answer = original

    rows = []
    for name, text in messy_completions().items():
        ours = cpu_time(parsing.parse, text, 5)
        theirs = cpu_time(parse_jr, text, 1 if len(text) > 100_000 else 5)
        same = parse_jr(text).tracks == parsing.parse(text).tracks
        rows.append((name, f"{len(text):,}", f"{ours * 1e3:.2f} ms", f"{theirs * 1e3:.2f} ms",
                     f"{theirs / ours:.0f}x", "same" if same else "differ"))
    print(f"json_repair {getattr(json_repair, '__version__', '0.64.4')}; CPU time of parse, best of 5")
    print(f"{'completion':<45} {'chars':>9} {'stag':>10} {'json_repair':>12} {'ratio':>6}  tracks")
    for r in rows:
        print(f"{r[0]:<45} {r[1]:>9} {r[2]:>10} {r[3]:>12} {r[4]:>6}  {r[5]}")
    print("tests as shipped:      ", run_tests(False))
    print("tests with json_repair:", run_tests(True))
    print("command: PYTHONPATH=/tmp/jr .venv/bin/python bench/verifier_json_repair.py")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
