"""``stag eval-agent`` end to end on real synthetic video written as HC-STVG v2 files (slow).

The real agent (fast YOLOv3-tiny detector) runs as a real subprocess: a run killed mid-way resumes
without redoing or losing finished samples; ``--workers 2`` and ``--executor ray`` (a local Ray on
loopback) give the same predictions; ``predictions_official.json`` re-scored by the official
formula gives ``metrics.json``'s numbers.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stagdata.convert import to_hcstvg
from stagdata.synth import ActCue, SynthConfig, generate
from tests.test_eval_protocol import _hcstvg_gt, hcvg_eval

pytestmark = pytest.mark.slow

TINY = SynthConfig(name="tiny", videos=2, duration=4.0,
                   programs=[[ActCue(act="meet", at=0.0)], [ActCue(act="cross", at=0.0)]])
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def hcstvg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hc")
    generate(TINY, root / "bench", seed=3)
    return to_hcstvg(root / "bench", root / "hcstvg")


def _cmd(ann: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "agent.cli", "eval-agent", "--dataset", "hcstvg-v2", "--annotations", str(ann),
            "--videos", str(ann.parent / "videos"), "--out", str(out), "--detector", "coco", *extra]


def _run(cmd: list[str]) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def _ids(path: Path) -> list[str]:
    return [json.loads(line)["sample_id"] for line in path.read_text().splitlines()]


def _answers(out: Path) -> dict[str, list]:
    preds = {}
    for line in (out / "predictions.jsonl").read_text().splitlines():
        p = json.loads(line)
        preds[p["sample_id"]] = [(r["interval"], {k: [round(v, 1) for v in b] for k, b in r["boxes"].items()})
                                 for r in p["result"]["referents"]]
    return preds


def test_killed_run_resumes_and_official_file_rescores(hcstvg: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    n = len(json.loads(hcstvg.read_text()))            # two videos: the second one's perception takes seconds
    proc = subprocess.Popen(_cmd(hcstvg, out), cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    log = out / "predictions.jsonl"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and (not log.exists() or not log.read_text().strip()):
        assert proc.poll() is None, proc.stderr.read()[-3000:] if proc.stderr else ""
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    before = log.read_text()
    done = _ids(log)
    assert 1 <= len(done) < n, "the run must be killed mid-way"
    assert not (out / "metrics.json").exists()

    _run(_cmd(hcstvg, out))
    after = log.read_text()
    assert after.startswith(before.rsplit("\n", 1)[0])          # finished samples kept, not redone
    ids = _ids(log)
    assert len(ids) == len(set(ids)) == n and ids[: len(done)] == done

    metrics = json.loads((out / "metrics.json").read_text())
    official = json.loads((out / "predictions_official.json").read_text())
    gt = {k: v for k, v in _hcstvg_gt(hcstvg).items() if k in set(ids)}
    ref = hcvg_eval(official, gt)
    assert [metrics["m_vIoU"], metrics["m_tIoU"], metrics["vIoU@0.3"], metrics["vIoU@0.5"]] == pytest.approx(ref, abs=1e-9)
    assert metrics["samples"] == n and (out / "report.md").exists()

    _run(_cmd(hcstvg, out, "--limit", "3"))                       # all done: nothing rerun, 3 scored
    assert log.read_text() == after
    assert json.loads((out / "metrics.json").read_text())["samples"] == 3
    assert len(json.loads((out / "predictions_official.json").read_text())) <= 3


def test_ray_gives_the_same_predictions_as_two_workers(hcstvg: Path, tmp_path: Path) -> None:
    keys = list(json.loads(hcstvg.read_text()))
    # one query from each video, so both workers get a video
    picked = [keys[0], next(k for k in keys if k.split("_q")[0] != keys[0].split("_q")[0])]
    sub = hcstvg.parent / "two.json"
    data = json.loads(hcstvg.read_text())
    sub.write_text(json.dumps({k: data[k] for k in picked}))
    _run(_cmd(sub, tmp_path / "local", "--workers", "2"))
    _run(_cmd(sub, tmp_path / "ray", "--workers", "2", "--executor", "ray"))
    local, ray = _answers(tmp_path / "local"), _answers(tmp_path / "ray")
    assert set(local) == set(picked) and local == ray
    workers = {json.loads(line)["worker"] for line in (tmp_path / "local" / "predictions.jsonl").read_text().splitlines()}
    assert len(workers) == 2
