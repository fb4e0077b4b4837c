"""The embedded planner end to end on the synthetic benchmark (exact ground truth), scored by the verifier.

``stag synth``'s ``small`` preset: 3 ten-second videos, 46 queries (22 single-referent, 24
multi-referent) over stand / walk / enter / leave / cross / follow / lead / meet / stop / start /
approach / turn back. The floors are set under what was measured (see the README's agent section)
so that a real regression fails, not noise. The default suite runs the fast YOLOv3-tiny detector;
the ``slow`` test runs the product default (people from the person model).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from agent.api import GroundConfig
from evaluation.secondlevel import evaluate
from stagdata.synth.generate import generate


@pytest.fixture(scope="module")
def bench(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("bench")
    generate("small", root, seed=0)
    return str(root)


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def report_tiny(bench, cache) -> dict:
    return evaluate(bench, GroundConfig(detector="coco", cache_dir=cache))


def test_every_query_is_scored(report_tiny):
    queries = report_tiny["queries"]
    assert len(queries) == 46
    assert report_tiny["single"]["queries"] == 22 and report_tiny["multi"]["queries"] == 24
    assert all(0.0 <= q["vIoU"] <= q["tIoU"] + 1e-9 for q in queries)


def test_floors_with_the_fast_detector(report_tiny):
    s, single, multi = report_tiny["summary"], report_tiny["single"], report_tiny["multi"]
    assert s["m_tIoU"] >= 0.50 and s["m_vIoU"] >= 0.20 and s["vIoU@0.3"] >= 0.18, s
    assert single["m_vIoU"] >= 0.22 and multi["m_vIoU"] >= 0.10, (single, multi)
    assert s["HOTA"] >= 0.25 and multi["HOTA"] >= 0.22, s


def test_plural_queries_give_several_referents(report_tiny):
    multi = [q for q in report_tiny["queries"] if q["multi"]]
    assert sum(q["n_pred"] >= 2 for q in multi) >= len(multi) // 2
    counted = [q for q in multi if q["text"].startswith(("the two ", "the three "))]
    assert counted and all(q["n_pred"] <= q["n_gt"] for q in counted)


def test_cli_eval_agent_json(bench, cache):
    proc = subprocess.run(
        [sys.executable, "-m", "agent.cli", "eval-agent", "--bench", bench, "--limit", "4", "--json",
         "--detector", "coco", "--cache", cache],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    assert report["summary"]["queries"] == 4
    assert {"m_tIoU", "m_mvIoU", "m_vIoU", "vIoU@0.3", "vIoU@0.5", "HOTA"} <= set(report["summary"])


@pytest.mark.slow
def test_floors_with_the_default_detector(bench, tmp_path):
    report = evaluate(bench, GroundConfig(cache_dir=str(tmp_path)))
    s, single, multi = report["summary"], report["single"], report["multi"]
    assert s["m_tIoU"] >= 0.55 and s["m_mvIoU"] >= 0.42 and s["m_vIoU"] >= 0.33, s
    assert s["vIoU@0.3"] >= 0.55 and s["vIoU@0.5"] >= 0.28, s
    assert single["m_vIoU"] >= 0.38 and multi["m_vIoU"] >= 0.27, (single, multi)
    assert s["HOTA"] >= 0.4 and multi["HOTA"] >= 0.37, s
