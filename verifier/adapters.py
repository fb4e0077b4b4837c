"""The reward in the shapes RL trainers call: TRL ``GRPOTrainer``, verl, OpenRLHF.

* TRL: ``GRPOTrainer(reward_funcs=[TrlReward(), TrlReward(kind="format")], ...)``. TRL calls
  ``f(prompts=..., completions=..., completion_ids=..., **columns)`` where ``columns`` are the
  dataset's other columns (the ground truth arrives as ``ground_truth=[...]``, one per completion)
  plus ``trainer_state``, ``log_extra`` and ``log_metric``. Completions are strings, or message
  lists for conversational data. The sub-scores are logged through ``log_metric`` and the reasons
  through ``log_extra`` when TRL offers them.
* verl: ``custom_reward_function.path=<this file>``, ``custom_reward_function.name=compute_score``;
  verl calls ``compute_score(data_source=..., solution_str=..., ground_truth=..., extra_info=...)``
  and logs every key of the returned dict (always the same numeric keys).
* OpenRLHF: ``--reward.remote_url <this file>`` and ``--data.label_key <column>`` from 0.10.2
  (``--remote_rm_url`` / ``--label_key`` before) with ``reward_func`` (``queries`` are prompt +
  response, ``labels`` the ground truth), or the HTTP server in :mod:`verifier.reward_server`.

Ground truth is the ``stag eval stvg`` JSON, as a dict or a JSON string (see :mod:`verifier.rewards`).

>>> gt = '{"width": 1000, "height": 1000, "interval": [0, 0], "boxes": {"0": [0, 0, 10, 10]}}'
>>> TrlReward()(prompts=["p"], completions=['{"0": [{"label": "a", "bbox_2d": [0, 0, 10, 10]}]}'], ground_truth=[gt])
[2.0]
>>> compute_score("stag", "garbage", gt)["score"]
0.0
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, Literal

from verifier.rewards import RewardConfig, RewardResult, as_target, format_reward, stvg_reward, warm_up

# verl and OpenRLHF load this module once per worker and then call compute_score / reward_func: the
# module is the adapter they build, so the lazy imports of the first reward are paid here.
warm_up()

_LOGGED = ("tIoU", "mvIoU", "vIoU", "format")


class TrlReward:
    """A TRL ``GRPOTrainer`` reward function (picklable; its ``__name__`` names it in TRL's logs).

    ``kind="stvg"`` scores against the ground-truth column (``gt_column``); ``kind="format"`` gives
    :func:`~verifier.rewards.format_reward` and needs no ground truth.
    """

    def __init__(self, config: RewardConfig | None = None, *, kind: Literal["stvg", "format"] = "stvg",
                 gt_column: str = "ground_truth", require_think: bool = False, name: str | None = None) -> None:
        if kind not in ("stvg", "format"):
            raise ValueError(f"kind must be 'stvg' or 'format', got {kind!r}")
        self.config = config or RewardConfig()
        self.kind = kind
        self.gt_column = gt_column
        self.require_think = require_think
        self.__name__ = name or f"stag_{kind}"
        warm_up()           # the first multi-referent reward then pays no lazy import

    def __call__(self, prompts: Sequence[Any] | None = None, completions: Sequence[Any] | None = None,
                 completion_ids: Sequence[Any] | None = None, **kwargs: Any) -> list[float]:
        completions = list(completions or [])
        if self.kind == "format":
            return [format_reward(c, require_think=self.require_think, coords=self.config.coords)
                    for c in completions]
        if self.gt_column not in kwargs:
            raise KeyError(f"{self.__name__}: the dataset has no {self.gt_column!r} column; "
                           f"columns passed: {sorted(k for k in kwargs if k not in _TRL_EXTRAS)}")
        gts = list(kwargs[self.gt_column])
        if len(gts) != len(completions):
            raise ValueError(f"{self.__name__}: {len(completions)} completions but {len(gts)} ground truths")
        results = [stvg_reward(c, g, self.config) for c, g in zip(completions, _targets(gts))]
        _log(kwargs.get("log_metric"), kwargs.get("log_extra"), self.__name__, results)
        return [r.reward for r in results]


_TRL_EXTRAS = {"trainer_state", "log_extra", "log_metric", "environments"}


def _targets(gts: Sequence[Any]) -> list[Any]:
    """Ground truths normalised once per run of equal values (a GRPO group shares one); an unusable
    one is passed on as is, so the reward reports why it scores 0."""
    out: list[Any] = []
    prev: Any = object()
    for g in gts:
        if out and (g is prev or _same(g, prev)):
            out.append(out[-1])
            continue
        try:
            out.append(as_target(g))
        except (ValueError, TypeError, RecursionError, OverflowError):
            out.append(g)
        prev = g
    return out


def _same(a: Any, b: Any) -> bool:
    try:
        return type(a) is type(b) and bool(a == b)
    except (ValueError, TypeError):          # e.g. numpy arrays inside
        return False


def _log(log_metric: Callable[..., Any] | None, log_extra: Callable[..., Any] | None, name: str,
         results: list[RewardResult]) -> None:
    if callable(log_metric) and results:
        for key in _LOGGED:
            log_metric(f"{name}/{key}", sum(getattr(r, key) for r in results) / len(results))
    if callable(log_extra):
        log_extra(f"{name}_reason", [r.reason for r in results])


def _config_from(extra_info: Any, base: RewardConfig) -> RewardConfig:
    """Per-sample overrides (``coords``, ``w_t``, ``w_m``, ``w_hota``) carried in verl's extra_info."""
    if not isinstance(extra_info, dict):
        return base
    changes = {k: extra_info[k] for k in ("coords", "w_t", "w_m", "w_hota") if k in extra_info}
    return base.model_copy(update=changes) if changes else base


def compute_score(data_source: Any, solution_str: Any, ground_truth: Any, extra_info: Any = None,
                  **kwargs: Any) -> dict[str, float]:
    """verl's custom reward: ``{"score", "tIoU", "mvIoU", "vIoU", "format", "parse_ok"}``, always
    these numeric keys (verl logs each one). ``extra_info`` may override ``coords`` / ``w_t`` /
    ``w_m`` / ``w_hota`` per sample; ``data_source`` and other keyword arguments are ignored."""
    cfg = _config_from(extra_info, RewardConfig())
    try:
        r = stvg_reward(solution_str, ground_truth, cfg)
    except ValueError as exc:            # an invalid override in extra_info
        r = RewardResult(0.0, 0.0, 0.0, 0.0, 0.0, False, reason=str(exc))
    return {"score": r.reward, "tIoU": r.tIoU, "mvIoU": r.mvIoU, "vIoU": r.vIoU, "format": r.format,
            "parse_ok": 1.0 if r.ok else 0.0}


def response_of(query: str, prompt: Any) -> str:
    """The response part of an OpenRLHF query (prompt + response), so a prompt's own example
    answer is never scored.

    >>> response_of("PROMPT {x} ANSWER", "PROMPT {x}")
    ' ANSWER'
    """
    if isinstance(prompt, str) and prompt:
        if query.startswith(prompt):
            return query[len(prompt):]
        at = query.rfind(prompt)
        if at >= 0:
            return query[at + len(prompt):]
    return query


def score_batch(queries: Sequence[Any], prompts: Sequence[Any] | None, labels: Sequence[Any],
                config: RewardConfig | None = None) -> dict[str, Any]:
    """OpenRLHF's contract in plain lists: ``{"rewards", "scores", "extra_logs"}``; ``scores`` are
    rewards divided by the maximum reward (in [0, 1]). Shared by :func:`reward_func` and the HTTP
    server."""
    cfg = config or RewardConfig()
    queries, labels = list(queries), list(labels)
    prompts = list(prompts) if prompts is not None else [None] * len(queries)
    if not (len(queries) == len(labels) == len(prompts)):
        raise ValueError(f"queries ({len(queries)}), prompts ({len(prompts)}) and labels ({len(labels)}) "
                         "must have the same length")
    results = [stvg_reward(response_of(q, p) if isinstance(q, str) else q, g, cfg)
               for q, p, g in zip(queries, prompts, _targets(labels))]
    top = cfg.max_reward or 1.0
    return {
        "rewards": [r.reward for r in results],
        "scores": [min(1.0, r.reward / top) for r in results],
        "extra_logs": {key: [float(getattr(r, key)) for r in results] for key in _LOGGED},
    }


def reward_func(queries: Sequence[str], prompts: Sequence[str], labels: Sequence[Any], **kwargs: Any) -> dict[str, Any]:
    """OpenRLHF's ``reward_func``: ``{"rewards", "scores", "extra_logs"}`` as torch tensors when
    torch is already loaded (as it is inside OpenRLHF), plain lists otherwise. This module never
    imports torch itself."""
    out = score_batch(queries, prompts, labels)
    torch = sys.modules.get("torch")
    if torch is None:
        return out
    return {
        "rewards": torch.tensor(out["rewards"], dtype=torch.float32),
        "scores": torch.tensor(out["scores"], dtype=torch.float32),
        "extra_logs": {k: torch.tensor(v, dtype=torch.float32) for k, v in out["extra_logs"].items()},
    }


__all__ = ["TrlReward", "compute_score", "response_of", "reward_func", "score_batch"]
