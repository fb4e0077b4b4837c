"""``stag data build`` on the synthetic benchmark: 1-FPS frames, A.1 prompt, GT that scores full reward."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("datasets")

from stagdata.synth import generate
from stagdata.synthset import load_synth
from training.build import build
from verifier.rewards import RewardConfig, stvg_reward


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list, object]:
    root = tmp_path_factory.mktemp("build")
    generate("small", root / "bench", seed=0)
    samples = load_synth(root / "bench")[:6]
    report = build(samples, root / "ds", longest_side=160, progress=False)
    return root, samples, report


def test_dataset_loads_with_frames_at_one_fps(built) -> None:
    from datasets import load_from_disk

    root, samples, report = built
    assert report.rows == len(samples) and report.new_rows == len(samples) and not report.skipped
    ds = load_from_disk(str(root / "ds" / "hf"))
    assert len(ds) == len(samples)
    row = ds[0]
    video_seconds = int(samples[0].frame_count / samples[0].fps)
    assert row["seconds"] == video_seconds == len(row["images"])
    assert max(row["images"][0].size) == 160                      # PIL image, longest side as asked
    content = row["prompt"][0]["content"]
    assert sum(c["type"] == "image" for c in content) == video_seconds
    assert samples[0].query in content[-1]["text"] and "bbox_2d" in content[-1]["text"]
    assert row["completion"][0]["content"][0]["text"] == row["answer"]
    assert row["reward_model"]["ground_truth"] == row["ground_truth"]       # verl's columns
    assert (root / "ds" / "data.parquet").is_file()


def test_ground_truth_round_trips_through_the_verifier(built) -> None:
    root, _, _ = built
    rows = [json.loads(line) for line in (root / "ds" / "rows.jsonl").read_text().splitlines()]
    for row in rows:
        gt = json.loads(row["ground_truth"])
        r = stvg_reward(row["answer"], row["ground_truth"])
        assert r.ok and r.tIoU == 1.0 and r.mvIoU > 0.98, (row["id"], r)   # 0-1000 integer rounding only
        refs = gt.get("referents") or [gt]
        pixels = {str(k): [{"label": f"p{i}", "bbox_2d": b} for i, ref in enumerate(refs)
                           for kk, b in ref["boxes"].items() if kk == str(k)]
                  for k in range(row["seconds"])}
        exact = stvg_reward(json.dumps({k: v for k, v in pixels.items() if v}), row["ground_truth"],
                            config=RewardConfig(coords="pixels"))
        assert exact.reward == 2.0


def test_rebuild_resumes_and_bad_samples_are_counted(built) -> None:
    root, samples, _ = built
    broken = samples[0].model_copy(update={"sample_id": "broken", "video": str(root / "missing.mp4")})
    report = build([*samples, broken], root / "ds", longest_side=160, progress=False)
    assert report.new_rows == 0 and report.rows == len(samples)
    assert sum(report.skipped.values()) == 1, report.skipped


def test_cli_builds_from_the_hcstvg_layout(built, capsys: pytest.CaptureFixture[str]) -> None:
    """``stag data build --source hcstvg-v2``: the published layout (written from synthetic scenes)
    goes through the evaluation loaders into the same dataset form."""
    from stagdata.convert import to_hcstvg
    from training.cli import data_main

    root, _, _ = built
    anno = to_hcstvg(root / "bench", root / "hcstvg", version=2)
    rc = data_main(["build", "--source", "hcstvg-v2", "--annotations", str(anno), "--videos",
                    str(root / "hcstvg" / "videos"), "--out", str(root / "hc"), "--longest-side", "96", "--limit", "2"])
    report = json.loads(capsys.readouterr().out)
    assert rc == 0 and report["rows"] == 2, report
    row = json.loads((root / "hc" / "rows.jsonl").read_text().splitlines()[0])
    assert row["source"] == "hcstvg-v2" and stvg_reward(row["answer"], row["ground_truth"]).tIoU == 1.0
    assert data_main(["build", "--source", "vidstg", "--annotations", str(root / "none.json"),
                      "--out", str(root / "x")]) == 2
