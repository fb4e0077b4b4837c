"""The verifier's reward as TRL reward functions, with a per-step record of what was scored.

``VerifierReward`` scores each completion with :func:`verifier.rewards.stvg_reward` (``R = w_t *
tIoU + w_m * mvIoU``, paper 002 eq. 4) and hands every batch to an optional ``sink``, so that a run
can write its curve (``metrics.jsonl``) and re-scorable samples (``samples.jsonl``) without a second
scoring pass. ``reward_functions`` builds the list of functions and weights TRL's ``GRPOTrainer``
takes from a :class:`RewardWeights`.

>>> gt = '{"width": 1000, "height": 1000, "interval": [0, 0], "boxes": {"0": [0, 0, 10, 10]}}'
>>> seen = []
>>> f = VerifierReward(RewardWeights(), sink=seen.append)
>>> f(prompts=["p"], completions=['{"0": [0, 0, 10, 10]}'], ground_truth=[gt])
[2.0]
>>> seen[0].stats()["format_rate"]
1.0
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from verifier.adapters import TrlReward
from verifier.rewards import RewardConfig, RewardResult, stvg_reward


class RewardWeights(BaseModel):
    """Weights of the reward terms (paper 002: tIoU + mvIoU, no separate format term)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tIoU: float = Field(1.0, ge=0)
    mvIoU: float = Field(1.0, ge=0)
    format: float = Field(0.0, ge=0, description="weight of the verifier's format reward (0 = not used)")

    def config(self) -> RewardConfig:
        """The verifier's reward configuration for these weights."""
        return RewardConfig(w_t=self.tIoU, w_m=self.mvIoU)


@dataclass(frozen=True)
class ScoredBatch:
    """One call of the reward: completions, their ground truths and verifier results."""

    step: int
    prompts: list[Any]
    completions: list[str]
    ground_truths: list[Any]
    results: list[RewardResult]

    def stats(self) -> dict[str, float]:
        """Means over the batch: reward, tIoU, mvIoU and the fraction of cleanly formatted answers."""
        n = max(1, len(self.results))
        return {
            "reward_mean": sum(r.reward for r in self.results) / n,
            "tIoU_mean": sum(r.tIoU for r in self.results) / n,
            "mvIoU_mean": sum(r.mvIoU for r in self.results) / n,
            "format_rate": sum(r.format == 1.0 for r in self.results) / n,
        }


def _text(completion: Any) -> str:
    """A completion as text (TRL passes message lists for conversational data)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion and isinstance(completion[-1], dict):
        content = completion[-1].get("content", "")
        if isinstance(content, list):
            return "".join(p.get("text", "") for p in content if isinstance(p, dict))
        return str(content)
    return str(completion)


class VerifierReward:
    """TRL reward function: the verifier's ``stvg_reward`` on the ``ground_truth`` column."""

    def __init__(self, weights: RewardWeights | None = None, *, sink: Callable[[ScoredBatch], None] | None = None,
                 gt_column: str = "ground_truth") -> None:
        self.weights = weights or RewardWeights()
        self.config = self.weights.config()
        self.sink = sink
        self.gt_column = gt_column
        self.calls = 0
        self.__name__ = "stag_stvg"

    def __call__(self, prompts: Sequence[Any] | None = None, completions: Sequence[Any] | None = None,
                 **kwargs: Any) -> list[float]:
        if self.gt_column not in kwargs:
            raise KeyError(f"the dataset has no {self.gt_column!r} column (columns: {sorted(kwargs)})")
        texts = [_text(c) for c in completions or []]
        gts = list(kwargs[self.gt_column])
        if len(gts) != len(texts):
            raise ValueError(f"{len(texts)} completions but {len(gts)} ground truths")
        results = [stvg_reward(c, g, self.config) for c, g in zip(texts, gts)]
        state = kwargs.get("trainer_state")
        step = int(getattr(state, "global_step", self.calls)) if state is not None else self.calls
        self.calls += 1
        if self.sink is not None:
            self.sink(ScoredBatch(step, list(prompts or []), texts, gts, results))
        log_metric = kwargs.get("log_metric")
        if callable(log_metric) and results:
            for key in ("tIoU", "mvIoU", "format"):
                log_metric(f"stag/{key}", sum(getattr(r, key) for r in results) / len(results))
        return [r.reward for r in results]


def reward_functions(weights: RewardWeights, sink: Callable[[ScoredBatch], None] | None = None
                     ) -> tuple[list[Any], list[float]]:
    """``(reward_funcs, reward_weights)`` for ``GRPOTrainer`` / ``GRPOConfig``.

    >>> funcs, w = reward_functions(RewardWeights(tIoU=1, mvIoU=1, format=0.5))
    >>> [f.__name__ for f in funcs], w
    (['stag_stvg', 'stag_format'], [1.0, 0.5])
    """
    funcs: list[Any] = [VerifierReward(weights, sink=sink)]
    ws = [1.0]
    if weights.format > 0:
        funcs.append(TrlReward(kind="format"))
        ws.append(weights.format)
    return funcs, ws
