"""A real TRL GRPOTrainer run (2 steps, CPU) whose rewards come from the verifier's TRL reward.

The policy is a tiny causal LM built from a config, with a BPE tokenizer trained here with
`tokenizers` (no hub). It first memorises one answer (a few SFT steps) so that its samples are
parseable and the rewards are not all zero; GRPO then runs with paper 002's settings
(epsilon 0.2 / 0.28, no KL) and the logged reward means must equal what our function returned.
"""

from __future__ import annotations

import json

import pytest

from verifier import RewardConfig
from verifier.adapters import TrlReward

pytestmark = pytest.mark.slow

GT = json.dumps({"width": 1000, "height": 1000, "interval": [1, 3],
                 "boxes": {str(k): [100, 100, 300, 300] for k in (1, 2, 3)}})
ANSWER = json.dumps({"1": [{"label": "dog-1", "bbox_2d": [100, 100, 300, 300]}],
                     "2": [{"label": "dog-1", "bbox_2d": [120, 100, 320, 300]}]})
PROMPT = "Track the dog every second. Answer:"


class RecordingReward(TrlReward):
    """Our TRL reward, also keeping what it returned (to compare with the trainer's logs)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.returned: list[list[float]] = []

    def __call__(self, *args, **kwargs):
        out = super().__call__(*args, **kwargs)
        self.returned.append(list(out))
        return out


def _tokenizer(tmp_path):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    corpus = [PROMPT, ANSWER, GT, "the quick brown fox jumps over the lazy dog 0123456789 {}[]\":,"] * 50
    tok.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=400, special_tokens=["<pad>", "<eos>", "<unk>"],
                                                        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<eos>", pad_token="<pad>", unk_token="<unk>")
    fast.save_pretrained(tmp_path / "tok")
    return fast


def _memorise(model, tokenizer, steps: int = 150) -> None:
    import torch

    ids = tokenizer(PROMPT + ANSWER + "<eos>", return_tensors="pt").input_ids
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(steps):
        loss = model(input_ids=ids, labels=ids).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.5


def test_grpo_trainer_logs_our_rewards(tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("trl")
    from datasets import Dataset
    from transformers import Qwen2Config, Qwen2ForCausalLM
    from trl import GRPOConfig, GRPOTrainer

    torch.manual_seed(0)
    tokenizer = _tokenizer(tmp_path)
    config = Qwen2Config(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
                         bos_token_id=tokenizer.eos_token_id, tie_word_embeddings=True)
    model = Qwen2ForCausalLM(config)
    _memorise(model, tokenizer)

    stvg = RecordingReward(RewardConfig(w_t=1.0, w_m=1.0, coords="norm1000"))
    fmt = RecordingReward(kind="format")
    dataset = Dataset.from_dict({"prompt": [PROMPT] * 8, "ground_truth": [GT] * 8})
    args = GRPOConfig(
        output_dir=str(tmp_path / "out"), max_steps=2, per_device_train_batch_size=4, num_generations=4,
        max_completion_length=64, learning_rate=1e-5, logging_steps=1, report_to="none", save_strategy="no",
        use_cpu=True, bf16=False, beta=0.0, epsilon=0.2, epsilon_high=0.28, reward_weights=[1.0, 0.5],
        temperature=0.7, seed=0, disable_tqdm=True, dataloader_num_workers=0,
    )
    trainer = GRPOTrainer(model=model, reward_funcs=[stvg, fmt], args=args, train_dataset=dataset,
                          processing_class=tokenizer)
    trainer.train()

    logs = [h for h in trainer.state.log_history if "rewards/stag_stvg/mean" in h]
    assert len(logs) == 2 and len(stvg.returned) == 2 and len(fmt.returned) == 2
    for log, ours, ours_fmt in zip(logs, stvg.returned, fmt.returned):
        assert len(ours) == 4
        assert log["rewards/stag_stvg/mean"] == pytest.approx(sum(ours) / len(ours), abs=1e-5)
        assert log["rewards/stag_format/mean"] == pytest.approx(sum(ours_fmt) / len(ours_fmt), abs=1e-5)
        assert log["reward"] == pytest.approx(sum(ours) / 4 + 0.5 * sum(ours_fmt) / 4, abs=1e-5)
    # the memorised answer covers seconds 1-2 of the 1-3 ground truth: tIoU 2/3, mvIoU > 0.8
    assert max(max(r) for r in stvg.returned) > 1.4
    assert any(key.startswith("stag_stvg/tIoU") for log in trainer.state.log_history for key in log)
