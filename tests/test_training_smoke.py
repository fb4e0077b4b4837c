"""The RL smoke run: a shortened one in the default suite (files written, every logged reward
re-scores exactly with the verifier), the full ``make rl-smoke`` criteria in the slow stage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("trl")

from training.rewards import RewardWeights
from training.smoke import SmokeConfig, run
from training.textgrid import TextTaskConfig
from verifier.rewards import RewardConfig, stvg_reward


def _check_outputs(out: Path, steps: int) -> list[dict]:
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == list(range(1, steps + 1))
    for r in rows:
        assert set(r) == {"step", "reward_mean", "tIoU_mean", "mvIoU_mean", "format_rate"}
        assert 0.0 <= r["format_rate"] <= 1.0 and 0.0 <= r["reward_mean"] <= 2.0
    samples = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert samples and {s["step"] for s in samples} == set(range(1, steps + 1))
    for s in samples:
        again = stvg_reward(s["completion"], s["ground_truth"], RewardConfig(w_t=s["w_t"], w_m=s["w_m"]))
        assert again.reward == s["reward"] and again.tIoU == s["tIoU"] and again.mvIoU == s["mvIoU"]
    assert (out / "reward.png").stat().st_size > 5_000
    return rows


def test_short_smoke_writes_rescorable_outputs(tmp_path: Path) -> None:
    cfg = SmokeConfig(task=TextTaskConfig(videos=2, duration=8.0, seconds=3), hidden=32, layers=1, sft_steps=4,
                      sft_batch=8, grpo_steps=2, grpo_prompts=2, num_generations=4,
                      weights=RewardWeights(tIoU=1.0, mvIoU=1.0))
    summary = run(tmp_path / "rl", cfg)
    _check_outputs(tmp_path / "rl", 2)
    assert summary["steps"] == 2 and (tmp_path / "rl" / "sft-model" / "config.json").is_file()


@pytest.mark.slow
@pytest.mark.timeout(1500)  # a real SFT + GRPO run on 2 shared cores: 5-11 min measured, over the 600 s default
def test_full_smoke_reward_rises(tmp_path: Path) -> None:
    summary = run(tmp_path / "rl", SmokeConfig())
    rows = _check_outputs(tmp_path / "rl", SmokeConfig().grpo_steps)
    assert summary["rise"] >= 0.1, summary
    assert summary["format_rate_end"] >= 0.9, summary
    assert len(rows) == SmokeConfig().grpo_steps
