"""A tiny causal language model made locally (no hub): a word-level tokenizer and a small Llama.

>>> tok = make_tokenizer(["track", "a", "0", ":"])
>>> tok.decode(tok("track a : 0")["input_ids"], skip_special_tokens=True)
'track a : 0'
>>> model = make_model(tok, hidden=32, layers=1, seed=0)
>>> model.num_parameters() < 100_000
True
"""

from __future__ import annotations

from collections.abc import Sequence

PAD, BOS, EOS, UNK = "<pad>", "<s>", "</s>", "<unk>"


def make_tokenizer(words: Sequence[str]):  # -> transformers.PreTrainedTokenizerFast
    """A whitespace word-level tokenizer over ``words`` (plus pad/bos/eos/unk); decoding joins with spaces."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate([PAD, BOS, EOS, UNK, *dict.fromkeys(words)])}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token=UNK))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    core.post_processor = processors.TemplateProcessing(single=f"{BOS} $A", special_tokens=[(BOS, vocab[BOS])])
    return PreTrainedTokenizerFast(tokenizer_object=core, pad_token=PAD, bos_token=BOS, eos_token=EOS,
                                   unk_token=UNK, padding_side="left")


def make_model(tokenizer, *, hidden: int = 128, layers: int = 4, heads: int = 4, seed: int = 0,
               max_positions: int = 512):  # -> transformers.LlamaForCausalLM
    """A randomly initialised Llama of the given size for ``tokenizer`` (float32, CPU)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=hidden * 2, num_hidden_layers=layers,
        num_attention_heads=heads, num_key_value_heads=heads, max_position_embeddings=max_positions,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, tie_word_embeddings=True,
    )
    return LlamaForCausalLM(config)
