"""Recipes: the paper's GRPO defaults reach TRL; verl and OpenRLHF get the verifier through the very
call each trainer makes (verl: importlib on ``custom_reward_function.path`` then ``compute_score``
with keywords; OpenRLHF: an HTTP POST of ``query`` / ``prompts`` / ``labels`` to the remote URL)."""

from __future__ import annotations

import importlib.util
import json
import threading
import urllib.request
from pathlib import Path

import pytest
import yaml

from training.recipe import Recipe, load_recipe, train
from training.rewards import RewardWeights, reward_functions
from verifier.reward_server import make_server
from verifier.rewards import RewardConfig

RECIPES = Path(__file__).resolve().parent.parent / "training" / "recipes"
REPO = RECIPES.parent.parent
GT = {"width": 640, "height": 360, "interval": [1, 2], "boxes": {"1": [64, 36, 128, 72], "2": [64, 36, 128, 72]}}
GOOD = '{"1": [{"label": "person-1", "bbox_2d": [100, 100, 200, 200]}], "2": [{"label": "person-1", "bbox_2d": [100, 100, 200, 200]}]}'


def test_glm_recipe_has_the_papers_grpo_settings() -> None:
    from trl import GRPOConfig

    r = load_recipe(RECIPES / "glm41v-9b-thinking-8gpu.yaml")
    assert r.kind == "vision" and r.grpo is not None and r.sft is not None
    kw = r.grpo.trl_kwargs("/tmp/unused")
    assert (kw["epsilon"], kw["epsilon_high"], kw["beta"], kw["num_generations"]) == (0.2, 0.28, 0.0, 8)
    assert kw["use_vllm"] is True
    cfg = GRPOConfig(**{**kw, "use_cpu": True, "bf16": False, "activation_checkpointing": False, "use_vllm": False})
    assert (cfg.epsilon, cfg.epsilon_high, cfg.beta, cfg.loss_type) == (0.2, 0.28, 0.0, "dapo")


def test_dry_run_prints_reward_weights(capsys: pytest.CaptureFixture[str]) -> None:
    r = Recipe.model_validate({"model": "m", "rewards": {"tIoU": 0, "mvIoU": 1, "format": 0.5},
                               "grpo": {"dataset": "d"}})
    assert train(r, "grpo", dry_run=True) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["args"]["reward_weights"] == [1.0, 0.5]
    funcs, _ = reward_functions(RewardWeights(tIoU=0, mvIoU=1))
    assert funcs[0].config == RewardConfig(w_t=0, w_m=1)
    with pytest.raises(ValueError, match="no 'sft' section"):
        train(r, "sft", dry_run=True)


def test_tiny_cpu_recipe_matches_the_smoke_run() -> None:
    from training.smoke import SmokeConfig

    r = load_recipe(RECIPES / "tiny-cpu.yaml")
    smoke = SmokeConfig()
    assert r.grpo is not None and r.grpo.use_vllm is False
    assert (r.grpo.learning_rate, r.grpo.temperature, r.grpo.max_steps, r.grpo.num_generations) == \
        (smoke.grpo_lr, smoke.temperature, smoke.grpo_steps, smoke.num_generations)
    assert r.grpo.batch_size == smoke.grpo_prompts * smoke.num_generations and r.rewards == smoke.weights
    assert r.grpo.max_completion_length == 12 * smoke.task.seconds + 8


def test_bad_recipe_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: m\ngrpo: {dataset: d, epsilonn: 0.3}\n")
    with pytest.raises(ValueError, match="epsilonn"):
        load_recipe(bad)
    with pytest.raises(FileNotFoundError):
        load_recipe(tmp_path / "missing.yaml")


def test_verl_recipe_reward_is_the_call_verl_makes() -> None:
    cfg = yaml.safe_load((RECIPES / "verl-grpo.yaml").read_text())
    crf = cfg["custom_reward_function"]
    assert (cfg["actor_rollout_ref"]["actor"]["clip_ratio_low"], cfg["actor_rollout_ref"]["actor"]["clip_ratio_high"]) \
        == (0.2, 0.28)
    # verl's get_custom_reward_fn: spec_from_file_location on the path, exec, getattr(name)
    spec = importlib.util.spec_from_file_location("custom_module", REPO / crf["path"])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fn = getattr(module, crf["name"])
    out = fn(data_source="hcstvg", solution_str=GOOD, ground_truth=json.dumps(GT), extra_info={"index": 0})
    assert out["score"] == pytest.approx(2.0) and out["tIoU"] == 1.0
    assert fn(data_source="hcstvg", solution_str="no answer", ground_truth=GT, extra_info=None)["score"] == 0.0


def test_openrlhf_recipe_reward_is_the_call_openrlhf_makes() -> None:
    cfg = yaml.safe_load((RECIPES / "openrlhf-grpo.yaml").read_text())
    url = cfg["args"]["reward.remote_url"]
    assert url == cfg["legacy_args"]["remote_rm_url"] and url.endswith(cfg["reward_server"]["path"])
    server = make_server("127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        local = url.replace(f":{cfg['reward_server']['port']}", f":{port}")
        body = json.dumps({"query": ["PROMPT" + GOOD, "PROMPT nothing"], "prompts": ["PROMPT", "PROMPT"],
                           "labels": [json.dumps(GT), json.dumps(GT)]}).encode()
        req = urllib.request.Request(local, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            got = json.loads(resp.read())
    finally:
        server.shutdown()
        server.server_close()
    assert got["rewards"] == pytest.approx([2.0, 0.0]) and got["scores"] == pytest.approx([1.0, 0.0])
    assert set(got["extra_logs"]) >= {"tIoU", "mvIoU"}
