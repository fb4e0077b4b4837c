"""A tiny random GLM-4V (GLM-4.1V architecture) model, built locally with no hub access.

It exists to exercise the real serving path (vLLM's GLM-4V model code, its multimodal processor,
the chat template, parsers and structured output) on a CPU in seconds. Its weights are random, so
its answers are gibberish: use it to test protocol and the handling of bad output, never content.

What is built: a byte-level BPE tokenizer trained with ``tokenizers`` on a small generated corpus,
with GLM's control tokens, wrapped in ``PreTrainedTokenizerFast`` with a chat template that renders
text, images, videos, tools and tool calls in GLM's prompt format (``chat_template_kwargs``
``{"enable_thinking": false}`` closes the reasoning block at once, as GLM-4.5V's template does);
``Glm4vForConditionalGeneration`` from a tiny config (text: 2 layers, hidden 128, M-RoPE sections
[4, 6, 6], half the head rotated; vision: depth 1, hidden 64, patch 14, merge 2); a
``Glm4vProcessor`` whose image and video processors keep inputs small. Run it with the Python that
will serve it (its transformers must be able to load what it writes)::

    .venv-vllm/bin/python -m serving.model_server.tiny_glm outputs/tiny-glm4v

>>> head_dim = TEXT_CONFIG["hidden_size"] // TEXT_CONFIG["num_attention_heads"]
>>> int(head_dim * TEXT_CONFIG["partial_rotary_factor"]) // 2 == sum(MROPE_SECTION)
True
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

SEED = 1234
VOCAB_SIZE = 1024
MROPE_SECTION = [4, 6, 6]
TEXT_CONFIG = {
    "hidden_size": 128,
    "intermediate_size": 256,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "num_key_value_heads": 1,
    "max_position_embeddings": 4096,
    "rope_parameters": {
        "rope_type": "default",
        "rope_theta": 10000.0,
        "mrope_section": MROPE_SECTION,
        "partial_rotary_factor": 0.5,
    },
    "partial_rotary_factor": 0.5,
}
VISION_CONFIG = {
    "depth": 1,
    "hidden_size": 64,
    "num_heads": 2,
    "intermediate_size": 128,
    "out_hidden_size": 128,
    "patch_size": 14,
    "spatial_merge_size": 2,
    "temporal_patch_size": 2,
    "image_size": 112,
}
# Pixel budgets that keep an image at most 64 tokens and a video at most 128 (one token = 28x28 px).
IMAGE_SIZE = {"shortest_edge": 28 * 28 * 4, "longest_edge": 28 * 28 * 64}
VIDEO_SIZE = {"shortest_edge": 28 * 28 * 2 * 4, "longest_edge": 28 * 28 * 2 * 128}

# Control tokens (special: stripped when decoding) and text-level tags (kept in decoded text, as the
# reasoning and tool-call parsers read them).
CONTROL_TOKENS = [
    "<|endoftext|>",
    "[MASK]",
    "[gMASK]",
    "[sMASK]",
    "<sop>",
    "<eop>",
    "<|system|>",
    "<|user|>",
    "<|assistant|>",
    "<|observation|>",
    "<|begin_of_image|>",
    "<|end_of_image|>",
    "<|begin_of_video|>",
    "<|end_of_video|>",
    "<|image|>",
    "<|video|>",
]
TEXT_TAGS = [
    "<think>",
    "</think>",
    "<answer>",
    "</answer>",
    "<|begin_of_box|>",
    "<|end_of_box|>",
    "<tool_call>",
    "</tool_call>",
    "<arg_key>",
    "</arg_key>",
    "<arg_value>",
    "</arg_value>",
    "<tool_response>",
    "</tool_response>",
]

CHAT_TEMPLATE = (
    "[gMASK]<sop>"
    "{%- if tools -%}{{ '<|system|>\\nYou may call these tools:' }}"
    "{%- for tool in tools -%}{{ '\\n' + (tool | tojson) }}{%- endfor -%}"
    "{{ '\\nCall one as <tool_call>name<arg_key>key</arg_key><arg_value>value</arg_value></tool_call>.' }}"
    "{%- endif -%}"
    "{%- for message in messages -%}"
    "{%- if message.role == 'tool' -%}{{ '<|observation|>\\n<tool_response>' }}"
    "{%- else -%}{{ '<|' + message.role + '|>\\n' }}{%- endif -%}"
    "{%- if message.content is string -%}{{ message.content }}"
    "{%- elif message.content is not none -%}{%- for part in message.content -%}"
    "{%- if part.type == 'text' -%}{{ part.text }}"
    "{%- elif part.type in ['image', 'image_url'] -%}<|begin_of_image|><|image|><|end_of_image|>"
    "{%- elif part.type in ['video', 'video_url'] -%}<|begin_of_video|><|video|><|end_of_video|>"
    "{%- endif -%}{%- endfor -%}{%- endif -%}"
    "{%- if message.role == 'tool' -%}</tool_response>{%- endif -%}"
    "{%- for call in message.tool_calls or [] -%}<tool_call>{{ call.function.name }}"
    "{%- set args = call.function.arguments -%}"
    "{%- if args is string -%}{{ args }}{%- else -%}{%- for key, value in args.items() -%}"
    "<arg_key>{{ key }}</arg_key><arg_value>{{ value | tojson }}</arg_value>"
    "{%- endfor -%}{%- endif -%}</tool_call>{%- endfor -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<|assistant|>\\n' }}"
    "{%- if enable_thinking is defined and not enable_thinking -%}<think></think>{%- endif -%}"
    "{%- endif -%}"
)


def corpus() -> list[str]:
    """A small, deterministic training text: the words, digits and JSON the product's prompts use.

    >>> len(corpus()) > 100
    True
    """
    subjects = ["the person", "a car", "the horse carriage", "people", "a cable car", "the dog", "a cyclist"]
    actions = [
        "walks left",
        "crosses the street",
        "stops",
        "turns back",
        "moves toward the camera",
        "enters the frame",
        "leaves the frame",
        "follows another person",
        "is dancing",
    ]
    lines = []
    for i, subject in enumerate(subjects):
        for j, action in enumerate(actions):
            second = (i * 7 + j * 3) % 60
            box = [(i * 97 + j * 13) % 1000, (j * 71) % 1000, (i * 131 + 400) % 1000, (j * 53 + 500) % 1000]
            lines.append(f"At {second} s {subject} {action}.")
            lines.append(json.dumps({str(second): [{"label": f"{subject.split()[-1]}-{j}", "bbox_2d": box}]}))
            lines.append(f"<think>Look at second {second}.</think><answer>{box}</answer>")
    lines += [f"{n} {n * 10} {n * 100}" for n in range(100)]
    return lines


def build_tokenizer(chat_template: str = CHAT_TEMPLATE):
    """Train the byte-level BPE tokenizer and wrap it for transformers (deterministic)."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=CONTROL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    raw.train_from_iterator(corpus(), trainer=trainer)
    raw.add_tokens([AddedToken(tag, special=False, normalized=False) for tag in TEXT_TAGS])
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=raw,
        eos_token="<|endoftext|>",
        pad_token="<|endoftext|>",
        chat_template=chat_template,
    )
    return tokenizer


def build_model(tokenizer):
    """A ``Glm4vForConditionalGeneration`` with random weights sized for the tokenizer."""
    import torch
    from transformers import Glm4vConfig, Glm4vForConditionalGeneration

    ids = {token: tokenizer.convert_tokens_to_ids(token) for token in CONTROL_TOKENS}
    eos = [ids["<|endoftext|>"], ids["<|user|>"], ids["<|observation|>"]]
    config = Glm4vConfig(
        text_config={
            **TEXT_CONFIG,
            "vocab_size": len(tokenizer),
            "pad_token_id": ids["<|endoftext|>"],
            "eos_token_id": eos,
        },
        vision_config=VISION_CONFIG,
        image_token_id=ids["<|image|>"],
        video_token_id=ids["<|video|>"],
        image_start_token_id=ids["<|begin_of_image|>"],
        image_end_token_id=ids["<|end_of_image|>"],
        video_start_token_id=ids["<|begin_of_video|>"],
        video_end_token_id=ids["<|end_of_video|>"],
        eos_token_id=eos,
        pad_token_id=ids["<|endoftext|>"],
    )
    torch.manual_seed(SEED)
    model = Glm4vForConditionalGeneration(config).eval()
    model.generation_config.eos_token_id = eos
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    return model


def build_processor(tokenizer):
    """The GLM-4V processor (image + video) with small pixel budgets and the chat template."""
    from transformers import Glm4vImageProcessor, Glm4vProcessor, Glm4vVideoProcessor

    return Glm4vProcessor(
        image_processor=Glm4vImageProcessor(size=IMAGE_SIZE),
        tokenizer=tokenizer,
        video_processor=Glm4vVideoProcessor(
            size=VIDEO_SIZE, max_image_size={"longest_edge": VIDEO_SIZE["longest_edge"]}
        ),
        chat_template=tokenizer.chat_template,
    )


def fingerprint() -> str:
    """Changes whenever this builder or the transformers that runs it changes (cache key)."""
    from importlib.metadata import version

    source = Path(__file__).read_bytes() + version("transformers").encode()
    return hashlib.sha256(source).hexdigest()[:16]


def build(out_dir: str | Path) -> Path:
    """Write tokenizer, processor, config and weights to ``out_dir``; reuse a matching earlier build."""
    out = Path(out_dir)
    stamp = out / ".stag-tiny-glm"
    want = fingerprint()
    if stamp.is_file() and stamp.read_text().strip() == want:
        return out
    tokenizer = build_tokenizer()
    model = build_model(tokenizer)
    processor = build_processor(tokenizer)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    stamp.write_text(want + "\n")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m serving.model_server.tiny_glm", description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", help="directory to write the model to (reused when already built)")
    args = parser.parse_args(argv)
    path = build(args.out_dir)
    print(path.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
