"""The one model catalogue: which multimodal models stag knows and how each one speaks.

Both users read it: the agent's model planner (box coordinates, native tool calls) and the model
server launcher ``serving.model_server`` (vLLM parsers, context, hardware). It imports nothing of
the agent, so any package may import it without a circle.

A :class:`ModelSpec` says how a model family speaks (box coordinates 0-1000 or pixels, reasoning
inline as ``<think>/<answer>`` or in vLLM's reasoning field, native tool calls or not), which vLLM
parsers it needs, and what hardware it takes. :func:`spec_for_name` finds the entry a model name
(hub id, fine-tune or served name) belongs to.

>>> spec = REGISTRY[DEFAULT_MODEL]
>>> spec.coordinates, spec.supports_tools, spec.reasoning
('0-1000', False, 'think-answer-tags')
>>> REGISTRY["zai-org/GLM-4.6V"].tool_call_parser
'glm45'
>>> spec_for_name("my-org/qwen2.5-vl-7b-sft").supports_tools  # Qwen2.5-VL's template has no tools
False
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Coordinates = Literal["0-1000", "pixels"]
"""How a model writes boxes: scaled to 0-1000 of the image, or absolute pixels of its resized input."""

Reasoning = Literal["think-answer-tags", "reasoning-field", "none"]
"""Where the model's reasoning arrives: inline ``<think>..</think><answer>..</answer>`` in
``content``; vLLM's ``reasoning_content`` field (a reasoning parser split it off); or nowhere."""

DEFAULT_MODEL = "zai-org/GLM-4.1V-9B-Thinking"


class ModelSpec(BaseModel):
    """One servable model (or model family, for local directories)."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(description="hub id, or the served name of a local directory")
    family: str = Field(description="e.g. glm-4.1v, glm-4.5v, qwen2.5-vl")
    architecture: str = Field(description="the config.json model_type vLLM loads")
    coordinates: Coordinates
    supports_tools: bool = Field(description="native function calling through vLLM's tool parser")
    reasoning: Reasoning
    reasoning_parser: str | None = None
    tool_call_parser: str | None = None
    context_length: int = Field(gt=0, description="the model's maximum context, tokens")
    default_max_model_len: int = Field(gt=0, description="what stag serves with unless told otherwise")
    params_b: float = Field(gt=0, description="total parameters, billions")
    weights_gib: float = Field(gt=0, description="size of the weights as served (bf16 unless FP8)")
    gpus: str = Field(description="GPUs that hold it with room for the KV cache")
    tensor_parallel: int = Field(default=1, ge=1, description="default --tensor-parallel-size")
    moe: bool = False

    def with_name(self, name: str, weights_gib: float | None = None) -> ModelSpec:
        """This family's behaviour under another name (a local directory or a hub fine-tune)."""
        update: dict[str, object] = {"name": name}
        if weights_gib is not None:
            update["weights_gib"] = max(weights_gib, 1e-6)
        return self.model_copy(update=update)


def _glm_moe(name: str, context: int, fp8: bool) -> ModelSpec:
    return ModelSpec(
        name=name,
        family=name.split("/")[-1].lower().removesuffix("-fp8"),
        architecture="glm4v_moe",
        coordinates="0-1000",
        supports_tools=True,
        reasoning="reasoning-field",
        reasoning_parser="glm45",
        tool_call_parser="glm45",
        context_length=context,
        default_max_model_len=65536,
        params_b=108,
        weights_gib=101 if fp8 else 201,
        moe=True,
        tensor_parallel=4,
        gpus="4x H100/H200 80+ GB (FP8 also fits 2x H200)" if fp8 else "4x H100/H200 80+ GB, tensor parallel",
    )


_SPECS = [
    ModelSpec(
        name=DEFAULT_MODEL,
        family="glm-4.1v",
        architecture="glm4v",
        coordinates="0-1000",
        supports_tools=False,
        reasoning="think-answer-tags",
        context_length=65536,
        default_max_model_len=32768,
        params_b=10.3,
        weights_gib=19.2,
        gpus="1x 40+ GB (A100 40/80 GB, L40S, H100); a 24 GB card with --max-model-len 8192",
    ),
    _glm_moe("zai-org/GLM-4.5V", 65536, fp8=False),
    _glm_moe("zai-org/GLM-4.5V-FP8", 65536, fp8=True),
    _glm_moe("zai-org/GLM-4.6V", 131072, fp8=False),
    _glm_moe("zai-org/GLM-4.6V-FP8", 131072, fp8=True),
    ModelSpec(
        name="zai-org/GLM-4.6V-Flash",
        family="glm-4.6v-flash",
        architecture="glm4v",
        coordinates="0-1000",
        supports_tools=True,
        reasoning="reasoning-field",
        reasoning_parser="glm45",
        tool_call_parser="glm45",
        context_length=131072,
        default_max_model_len=32768,
        params_b=10.3,
        weights_gib=19.2,
        gpus="1x 40+ GB (A100, L40S, H100); a 24 GB card with --max-model-len 8192",
    ),
    ModelSpec(
        name="Qwen/Qwen2.5-VL-7B-Instruct",
        family="qwen2.5-vl",
        architecture="qwen2_5_vl",
        coordinates="pixels",
        supports_tools=False,
        reasoning="none",
        context_length=128000,
        default_max_model_len=32768,
        params_b=8.3,
        weights_gib=15.5,
        gpus="1x 24+ GB (L4 with --max-model-len 16384, A100, H100)",
    ),
    ModelSpec(
        name="Qwen/Qwen3-VL-8B-Instruct",
        family="qwen3-vl",
        architecture="qwen3_vl",
        coordinates="0-1000",
        supports_tools=True,
        reasoning="none",
        tool_call_parser="hermes",
        context_length=262144,
        default_max_model_len=32768,
        params_b=8.8,
        weights_gib=16.3,
        gpus="1x 24+ GB (L4 with --max-model-len 16384, A100, H100)",
    ),
]
REGISTRY: dict[str, ModelSpec] = {spec.name: spec for spec in _SPECS}
"""Hub models stag knows how to serve, by hub id."""

FAMILY_OF_ARCHITECTURE: dict[str, str] = {
    "glm4v": DEFAULT_MODEL,
    "glm4v_moe": "zai-org/GLM-4.5V",
    "qwen2_5_vl": "Qwen/Qwen2.5-VL-7B-Instruct",
    "qwen3_vl": "Qwen/Qwen3-VL-8B-Instruct",
}
"""Which registry entry a local directory behaves like, by its config.json ``model_type``."""


def spec_for_name(name: str) -> ModelSpec | None:
    """The catalogue entry ``name`` belongs to, or ``None`` when no known family matches.

    Matches a hub id (any case), then its last path part, then the longest family name
    (``glm-4.6v-flash`` before ``glm-4.6v``) found in the name, punctuation ignored.

    >>> spec_for_name("zai-org/GLM-4.6V-Flash").family
    'glm-4.6v-flash'
    >>> spec_for_name("/models/GLM-4.5V-FP8").name
    'zai-org/GLM-4.5V-FP8'
    >>> spec_for_name("tiny-glm4v") is None
    True
    """
    lowered = name.strip().lower()
    for key, spec in REGISTRY.items():
        if key.lower() == lowered or key.split("/")[-1].lower() == lowered.rstrip("/").split("/")[-1]:
            return spec
    def squash(text: str) -> str:
        return re.sub(r"[^a-z0-9]", "", text.lower())

    families = sorted({spec.family: spec for spec in REGISTRY.values()}.items(), key=lambda kv: -len(kv[0]))
    for family, spec in families:
        if squash(family) in squash(lowered):
            return spec
    return None
