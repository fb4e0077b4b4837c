"""``make rl-smoke``: proof on a CPU that SFT then GRPO with the verifier's reward learns.

A tiny Llama and a word-level tokenizer are made locally (:mod:`training.tiny`); the task is the
text-rendered second-level grounding task cut from the synthetic benchmark
(:mod:`training.textgrid`). A short SFT teaches the answer format, then TRL's ``GRPOTrainer`` with
paper 002's settings (asymmetric clipping 0.20 / 0.28, no KL) optimises the verifier's reward.
Written to ``out``: ``metrics.jsonl`` (per GRPO step: step, reward_mean, tIoU_mean, mvIoU_mean,
format_rate), ``samples.jsonl`` (completions with ``ground_truth``, ``reward`` and the reward
weights, re-scorable with :func:`verifier.rewards.stvg_reward`), ``reward.png`` and
``summary.json``, and for ``training/recipes/tiny-cpu.yaml`` the SFT model (``sft-model``) and the
GRPO prompts (``grpo-data``).

    python -m training.smoke --out outputs/rl-smoke
    python -m training.smoke --out outputs/rl-ablation --ablation --sft-model outputs/rl-smoke/sft-model
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from training.rewards import RewardWeights, ScoredBatch, reward_functions
from training.textgrid import TextExample, TextTaskConfig, make_examples, vocabulary
from training.tiny import make_model, make_tokenizer


class SmokeConfig(BaseModel):
    """Sizes and steps of the smoke run (the defaults are ``make rl-smoke``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = 0
    task: TextTaskConfig = TextTaskConfig()
    hidden: int = Field(128, ge=8)
    layers: int = Field(4, ge=1)
    sft_steps: int = Field(200, ge=0)
    sft_batch: int = Field(16, ge=1)
    sft_lr: float = Field(3e-3, gt=0)
    grpo_steps: int = Field(30, ge=1)
    grpo_prompts: int = Field(4, ge=1, description="prompts per GRPO step")
    num_generations: int = Field(8, ge=2, description="group size G")
    grpo_lr: float = Field(5e-4, gt=0)
    temperature: float = Field(0.5, gt=0, description="sampling temperature of the GRPO groups")
    weights: RewardWeights = RewardWeights(tIoU=1.0, mvIoU=1.0, format=0.5)
    samples_per_step: int = Field(4, ge=0, description="completions written to samples.jsonl per step")


def _dataset(examples: list[TextExample], sft: bool):
    from datasets import Dataset

    if sft:
        return Dataset.from_list([{"prompt": e.prompt, "completion": " " + e.answer} for e in examples])
    return Dataset.from_list([{"prompt": e.prompt, "ground_truth": e.ground_truth} for e in examples])


class _Recorder:
    """Writes one metrics line and a few samples per reward call (= per GRPO step here)."""

    def __init__(self, out: Path, weights: RewardWeights, per_step: int) -> None:
        self.metrics_path, self.samples_path = out / "metrics.jsonl", out / "samples.jsonl"
        self.metrics_path.write_text("")
        self.samples_path.write_text("")
        self.weights, self.per_step = weights, per_step
        self.rows: list[dict[str, Any]] = []

    def __call__(self, batch: ScoredBatch) -> None:
        row = {"step": len(self.rows) + 1, **batch.stats()}
        self.rows.append(row)
        with self.metrics_path.open("a") as f:
            f.write(json.dumps(row) + "\n")
        with self.samples_path.open("a") as f:
            for c, g, r in list(zip(batch.completions, batch.ground_truths, batch.results))[: self.per_step]:
                f.write(json.dumps({"step": row["step"], "completion": c, "ground_truth": g, "reward": r.reward,
                                    "tIoU": r.tIoU, "mvIoU": r.mvIoU, "w_t": self.weights.tIoU,
                                    "w_m": self.weights.mvIoU}) + "\n")


def _common_args(out: Path, seed: int) -> dict[str, Any]:
    return {"output_dir": str(out), "save_strategy": "no", "report_to": [], "use_cpu": True, "seed": seed,
            "logging_steps": 20, "disable_tqdm": True, "dataloader_num_workers": 0}


def run(out: str | Path, cfg: SmokeConfig | None = None, *, sft_model_dir: str | Path | None = None,
        synth_dir: str | Path | None = None) -> dict[str, Any]:
    """Run SFT (or load ``sft_model_dir``) then GRPO; return the summary (also in ``summary.json``).

    The synthetic videos are generated once into ``synth_dir`` (default: ``out/../textgrid-synth``).
    """
    import torch
    from transformers import AutoModelForCausalLM, set_seed
    from trl import GRPOConfig, GRPOTrainer, SFTConfig, SFTTrainer

    cfg = cfg or SmokeConfig()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)  # on a shared 2-core machine one thread is many times faster than two
    t0 = time.monotonic()
    examples = make_examples(synth_dir or out.parent / "textgrid-synth", cfg.task, seed=cfg.seed)
    n_grpo = min(cfg.grpo_steps * cfg.grpo_prompts, len(examples) // 4)   # held out from SFT; cycled
    if n_grpo < cfg.grpo_prompts or len(examples) - n_grpo < cfg.sft_batch:
        raise ValueError(f"only {len(examples)} examples: generate more synthetic videos (task.videos)")
    grpo_examples, sft_examples = examples[:n_grpo], examples[n_grpo:]
    tok = make_tokenizer(vocabulary(cfg.task))
    set_seed(cfg.seed)
    sft_dir = Path(sft_model_dir) if sft_model_dir is not None else out / "sft-model"
    if sft_model_dir is not None and (sft_dir / "config.json").is_file():
        model = AutoModelForCausalLM.from_pretrained(sft_dir)
    else:
        model = make_model(tok, hidden=cfg.hidden, layers=cfg.layers, seed=cfg.seed)
        if cfg.sft_steps:
            sft = SFTTrainer(
                model=model, processing_class=tok, train_dataset=_dataset(sft_examples, sft=True),
                args=SFTConfig(**_common_args(out / "sft", cfg.seed), max_steps=cfg.sft_steps,
                               per_device_train_batch_size=cfg.sft_batch, learning_rate=cfg.sft_lr,
                               lr_scheduler_type="cosine", warmup_steps=10, max_length=None,
                               completion_only_loss=True))
            sft.train()
            model = sft.model
        model.save_pretrained(sft_dir)
        tok.save_pretrained(sft_dir)
    grpo_data = _dataset(grpo_examples, sft=False)
    grpo_data.save_to_disk(str(out / "grpo-data"))
    t_sft = time.monotonic() - t0
    recorder = _Recorder(out, cfg.weights, cfg.samples_per_step)
    funcs, weights = reward_functions(cfg.weights, sink=recorder)
    args = GRPOConfig(
        **_common_args(out / "grpo", cfg.seed), max_steps=cfg.grpo_steps, learning_rate=cfg.grpo_lr,
        per_device_train_batch_size=cfg.grpo_prompts * cfg.num_generations, num_generations=cfg.num_generations,
        max_completion_length=12 * cfg.task.seconds + 8, temperature=cfg.temperature,
        epsilon=0.2, epsilon_high=0.28, beta=0.0, loss_type="dapo", lr_scheduler_type="constant",
        shuffle_dataset=False, reward_weights=weights,
    )
    grpo = GRPOTrainer(model=model, reward_funcs=funcs, args=args, processing_class=tok,
                       train_dataset=grpo_data)
    grpo.train()
    rows = recorder.rows
    summary = summarize(rows)
    summary.update({"seconds_sft": round(t_sft, 1), "seconds_total": round(time.monotonic() - t0, 1),
                    "examples": len(examples), "weights": cfg.weights.model_dump()})
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    plot({"reward": rows}, out / "reward.png", title="rl-smoke: GRPO with the verifier's reward")
    return summary


def summarize(rows: list[dict[str, Any]], k: int = 5) -> dict[str, Any]:
    """First-k / last-k means of the reward and the final format rate.

    >>> summarize([{"reward_mean": r, "format_rate": 1.0} for r in [0, 0, 1, 1]], k=2)["rise"]
    1.0
    """
    first = [r["reward_mean"] for r in rows[:k]]
    last = [r["reward_mean"] for r in rows[-k:]]
    end_format = [r["format_rate"] for r in rows[-k:]]
    f = sum(first) / max(1, len(first))
    la = sum(last) / max(1, len(last))
    return {"steps": len(rows), "reward_first": round(f, 4), "reward_last": round(la, 4), "rise": round(la - f, 4),
            "format_rate_end": round(sum(end_format) / max(1, len(end_format)), 4)}


def plot(curves: dict[str, list[dict[str, Any]]], path: Path, *, title: str) -> None:
    """Reward (and its tIoU / mvIoU parts) per GRPO step, one colour per run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for (name, rows), colour in zip(curves.items(), ["C0", "C1", "C2", "C3"]):
        steps = [r["step"] for r in rows]
        ax.plot(steps, [r["reward_mean"] for r in rows], color=colour, label=f"{name}: reward")
        ax.plot(steps, [r["tIoU_mean"] for r in rows], color=colour, ls="--", alpha=0.6, label=f"{name}: tIoU")
        ax.plot(steps, [r["mvIoU_mean"] for r in rows], color=colour, ls=":", alpha=0.6, label=f"{name}: mvIoU")
    ax.set_xlabel("GRPO step")
    ax.set_ylabel("mean over the step's completions")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    """CLI: ``python -m training.smoke --out DIR [--ablation] [--grpo-steps N] [--sft-steps N]``."""
    p = argparse.ArgumentParser(prog="training.smoke", description=__doc__.splitlines()[0])
    p.add_argument("--out", default="outputs/rl-smoke")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--sft-steps", type=int)
    p.add_argument("--grpo-steps", type=int)
    p.add_argument("--ablation", action="store_true", help="run tIoU+mvIoU and mvIoU-only from one SFT model")
    p.add_argument("--sft-model", help="start GRPO from this SFT model if it exists (else train and save it there)")
    a = p.parse_args(argv)
    over = {k: v for k, v in {"seed": a.seed, "sft_steps": a.sft_steps, "grpo_steps": a.grpo_steps}.items()
            if v is not None}
    cfg = SmokeConfig(**over)
    out = Path(a.out)
    if not a.ablation:
        s = run(out, cfg, sft_model_dir=a.sft_model)
        print(json.dumps(s, indent=1))
        ok = s["rise"] >= 0.1 and s["format_rate_end"] >= 0.9
        print(f"reward first 5 {s['reward_first']:.3f} -> last 5 {s['reward_last']:.3f} (rise {s['rise']:+.3f}); "
              f"format rate at end {s['format_rate_end']:.2f}: {'PASS' if ok else 'FAIL'}")
        return 0 if ok else 1
    sft_dir = Path(a.sft_model) if a.sft_model else out / "sft-model"
    fmt = cfg.weights.format              # the same format term in both runs
    runs = {"tIoU+mvIoU": RewardWeights(tIoU=1, mvIoU=1, format=fmt), "mvIoU only": RewardWeights(tIoU=0, mvIoU=1, format=fmt)}
    curves, table = {}, []
    for name, w in runs.items():
        sub = out / ("combined" if "+" in name else "mviou-only")
        s = run(sub, cfg.model_copy(update={"weights": w}), sft_model_dir=sft_dir,
                synth_dir=out.parent / "textgrid-synth")
        curves[name] = [json.loads(line) for line in (sub / "metrics.jsonl").read_text().splitlines()]
        table.append((name, s))
    plot(curves, out / "ablation.png", title="rl-ablation: same seed, same SFT model")
    print("| reward used | mvIoU first 5 | mvIoU last 5 | tIoU first 5 | tIoU last 5 |")
    print("|---|---|---|---|---|")
    for name, _ in table:
        rows = curves[name]
        m = [sum(r[key] for r in part) / len(part) for key in ("mvIoU_mean", "tIoU_mean") for part in (rows[:5], rows[-5:])]
        print(f"| {name} | {m[0]:.3f} | {m[1]:.3f} | {m[2]:.3f} | {m[3]:.3f} |")
    print(f"command: python -m training.smoke --out {out} --ablation --sft-model {sft_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
