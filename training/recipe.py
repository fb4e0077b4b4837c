"""Training recipes (YAML) and ``stag train sft|grpo`` on TRL.

A recipe names the model, the datasets, the reward weights and the trainer settings; the GRPO
defaults are paper 002's (§3.6): asymmetric clipping ``epsilon`` 0.20 / ``epsilon_high`` 0.28, no
KL (``beta`` 0), group-normalised advantages over ``num_generations`` samples, token-level
``loss_type: dapo`` (the clip-higher objective). Anything else TRL's ``SFTConfig`` / ``GRPOConfig``
accepts goes under ``sft.trl`` / ``grpo.trl``.

>>> r = Recipe.model_validate({"model": "m", "grpo": {"dataset": "d"}})
>>> a = r.grpo.trl_kwargs("out")
>>> a["epsilon"], a["epsilon_high"], a["beta"], a["loss_type"], a["num_generations"]
(0.2, 0.28, 0.0, 'dapo', 8)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from training.rewards import RewardWeights, reward_functions


class SftSettings(BaseModel):
    """Cold-start SFT (paper 002 §3.5) on corrected traces or the built dataset's answers."""

    model_config = ConfigDict(extra="forbid")

    dataset: str = Field(description="'stag data build' folder (its hf/ is loaded) or a traces JSONL")
    output_dir: str = "outputs/sft"
    learning_rate: float = 1e-5
    epochs: float = 1.0
    max_steps: int = -1
    batch_size: int = 1
    grad_accum: int = 8
    max_length: int | None = None
    trl: dict[str, Any] = Field(default_factory=dict, description="more SFTConfig arguments")

    def trl_kwargs(self, output_dir: str | None = None) -> dict[str, Any]:
        """Keyword arguments of ``trl.SFTConfig``."""
        return {"output_dir": output_dir or self.output_dir, "learning_rate": self.learning_rate,
                "num_train_epochs": self.epochs, "max_steps": self.max_steps,
                "per_device_train_batch_size": self.batch_size, "gradient_accumulation_steps": self.grad_accum,
                "max_length": self.max_length, "report_to": [], **self.trl}


class GrpoSettings(BaseModel):
    """RL from the SFT model (paper 002 §3.6); defaults are the paper's settings."""

    model_config = ConfigDict(extra="forbid")

    dataset: str = Field(description="'stag data build' folder (its hf/ is loaded)")
    output_dir: str = "outputs/grpo"
    learning_rate: float = 1e-6
    num_generations: int = Field(8, ge=2, description="group size G")
    batch_size: int = Field(8, description="completions per device per step (a multiple of G across devices)")
    grad_accum: int = 1
    max_steps: int = -1
    epochs: float = 1.0
    epsilon: float = 0.2
    epsilon_high: float = 0.28
    beta: float = 0.0
    loss_type: Literal["grpo", "dapo", "dr_grpo", "bnpo"] = "dapo"
    scale_rewards: Literal["group", "batch", "none"] = "group"
    temperature: float = 1.0
    max_completion_length: int = 1024
    use_vllm: bool = False
    vllm_mode: Literal["colocate", "server"] = "colocate"
    trl: dict[str, Any] = Field(default_factory=dict, description="more GRPOConfig arguments")

    def trl_kwargs(self, output_dir: str | None = None) -> dict[str, Any]:
        """Keyword arguments of ``trl.GRPOConfig``."""
        return {"output_dir": output_dir or self.output_dir, "learning_rate": self.learning_rate,
                "num_generations": self.num_generations, "per_device_train_batch_size": self.batch_size,
                "gradient_accumulation_steps": self.grad_accum, "max_steps": self.max_steps,
                "num_train_epochs": self.epochs, "epsilon": self.epsilon, "epsilon_high": self.epsilon_high,
                "beta": self.beta, "loss_type": self.loss_type, "scale_rewards": self.scale_rewards,
                "temperature": self.temperature, "max_completion_length": self.max_completion_length,
                "use_vllm": self.use_vllm, "vllm_mode": self.vllm_mode, "report_to": [], **self.trl}


class Recipe(BaseModel):
    """A whole recipe: model, reward weights, SFT and GRPO stages."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(description="a local model folder (or a hub id where a hub is reachable)")
    kind: Literal["causal-lm", "vision"] = Field("causal-lm", description="vision: AutoModelForImageTextToText")
    rewards: RewardWeights = RewardWeights()
    sft: SftSettings | None = None
    grpo: GrpoSettings | None = None
    notes: str = ""


def load_recipe(path: str | Path) -> Recipe:
    """Read and validate a recipe YAML; relative dataset/model paths stay relative to the working folder."""
    import yaml

    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no recipe at {p}; see training/recipes/")
    try:
        data = yaml.safe_load(p.read_text())
    except yaml.YAMLError as exc:
        raise ValueError(f"{p}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{p}: a recipe is a mapping (model, rewards, sft, grpo)")  # noqa: TRY004 - bad input
    return Recipe.model_validate(data)


def load_dataset_for(path: str):  # -> datasets.Dataset
    """A 'stag data build' folder (``hf/``), a ``save_to_disk`` folder, or a JSONL file."""
    from datasets import Dataset, load_dataset, load_from_disk

    p = Path(path)
    if p.is_file():
        return load_dataset("json", data_files=str(p), split="train")
    if (p / "hf").is_dir():
        return load_from_disk(str(p / "hf"))
    if p.is_dir():
        loaded = load_from_disk(str(p))
        if isinstance(loaded, Dataset):
            return loaded
        return loaded["train"]
    raise FileNotFoundError(f"no dataset at {p}: build one with 'stag data build'")


def _load_model(recipe: Recipe):
    if recipe.kind == "vision":
        from transformers import AutoModelForImageTextToText, AutoProcessor

        return AutoModelForImageTextToText.from_pretrained(recipe.model), AutoProcessor.from_pretrained(recipe.model)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(recipe.model), AutoTokenizer.from_pretrained(recipe.model)


def train(recipe: Recipe, stage: Literal["sft", "grpo"], *, dry_run: bool = False) -> int:
    """Run one stage of ``recipe`` with TRL; ``dry_run`` prints the trainer arguments and stops."""
    settings = recipe.sft if stage == "sft" else recipe.grpo
    if settings is None:
        raise ValueError(f"the recipe has no '{stage}' section")
    kwargs = settings.trl_kwargs()
    if stage == "grpo":
        funcs, weights = reward_functions(recipe.rewards)
        kwargs["reward_weights"] = weights
    if dry_run:
        print(json.dumps({"stage": stage, "model": recipe.model, "dataset": settings.dataset, "args": kwargs},
                         indent=1, default=str))
        return 0
    from trl import GRPOConfig, GRPOTrainer, SFTConfig, SFTTrainer

    model, processor = _load_model(recipe)
    data = load_dataset_for(settings.dataset)
    if stage == "sft":
        trainer = SFTTrainer(model=model, processing_class=processor, train_dataset=data, args=SFTConfig(**kwargs))
    else:
        trainer = GRPOTrainer(model=model, processing_class=processor, train_dataset=data, reward_funcs=funcs,
                              args=GRPOConfig(**kwargs))
    trainer.train()
    trainer.save_model(kwargs["output_dir"])
    if hasattr(processor, "save_pretrained"):
        processor.save_pretrained(kwargs["output_dir"])
    return 0
