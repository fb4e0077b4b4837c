"""Which multimodal models stag can serve with vLLM, and what the agent must know about each.

A :class:`ModelSpec` says how a model family speaks (box coordinates 0-1000 or pixels, reasoning
inline as ``<think>/<answer>`` or in vLLM's ``reasoning_content``, native tool calls or not), which
vLLM parsers it needs, and what hardware it takes. :func:`resolve_model` turns what a user typed
(a hub name from :data:`REGISTRY`, or a local model directory) into a :class:`ResolvedModel`.

>>> spec = REGISTRY[DEFAULT_MODEL]
>>> spec.coordinates, spec.supports_tools, spec.reasoning
('0-1000', False, 'think-answer-tags')
>>> REGISTRY["zai-org/GLM-4.6V"].tool_call_parser
'glm45'
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Coordinates = Literal["0-1000", "pixels"]
"""How a model writes boxes: scaled to 0-1000 of the image, or absolute pixels of its resized input."""

Reasoning = Literal["think-answer-tags", "reasoning-field", "none"]
"""Where the model's reasoning arrives: inline ``<think>..</think><answer>..</answer>`` in
``content``; vLLM's ``reasoning_content`` field (a reasoning parser split it off); or nowhere."""

DEFAULT_MODEL = "zai-org/GLM-4.1V-9B-Thinking"
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


class ModelError(ValueError):
    """The model a user asked for cannot be served as asked; the message says what to do."""


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


class ResolvedModel(BaseModel):
    """What to pass to vLLM (``ref``), under which name to serve it, and how it behaves."""

    model_config = ConfigDict(frozen=True)

    ref: str = Field(description="hub id or absolute directory path, as vLLM's --model")
    source: Literal["hub", "local"]
    spec: ModelSpec


def _weights_gib(directory: Path) -> float:
    files = list(directory.glob("*.safetensors")) or list(directory.glob("*.bin"))
    return sum(f.stat().st_size for f in files) / 2**30


def _lookup(name: str) -> ModelSpec:
    if name in REGISTRY:
        return REGISTRY[name]
    lowered = {key.lower(): spec for key, spec in REGISTRY.items()}
    if name.lower() in lowered:
        return lowered[name.lower()]
    raise ModelError(
        f"unknown model {name!r}. Known: {', '.join(REGISTRY)}; or pass a local model directory."
    )


def _spec_for_directory(directory: Path, like: str | None) -> ModelSpec:
    config_file = directory / "config.json"
    if not config_file.is_file():
        raise ModelError(f"{directory} has no config.json: it is not a Hugging Face model directory.")
    try:
        model_type = json.loads(config_file.read_text()).get("model_type")
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError) as exc:
        raise ModelError(f"{config_file} is not valid JSON ({exc}).") from exc
    if like is not None:
        profile = _lookup(like)
    else:
        by_name = [
            spec for key, spec in REGISTRY.items() if key.split("/")[-1].lower() == directory.name.lower()
        ]
        if by_name:
            profile = by_name[0]
        elif model_type in FAMILY_OF_ARCHITECTURE:
            profile = REGISTRY[FAMILY_OF_ARCHITECTURE[model_type]]
        else:
            raise ModelError(
                f"cannot tell how the model in {directory} (model_type {model_type!r}) writes boxes and "
                f"reasoning. Pass --like NAME with one of: {', '.join(REGISTRY)}."
            )
    return profile.with_name(directory.name, weights_gib=_weights_gib(directory))


def resolve_model(model: str, like: str | None = None) -> ResolvedModel:
    """Resolve a hub id or a local directory; raise :class:`ModelError` with advice otherwise.

    ``like`` names the registry entry whose behaviour a local directory or an unlisted hub model
    shares (for example a fine-tune of GLM-4.6V-Flash, which has the GLM-4.1V architecture but
    supports tools).

    >>> resolve_model("zai-org/GLM-4.5V").spec.tensor_parallel
    4
    >>> resolve_model("my-org/GLM-4.6V-Flash-ft", like="zai-org/GLM-4.6V-Flash").spec.supports_tools
    True
    >>> resolve_model("no/such-model")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    serving.model_server.models.ModelError: unknown model 'no/such-model'. Known: ...
    """
    if not model or not model.strip():
        raise ModelError("no model given: pass --model with a hub id or a local model directory.")
    path = Path(model).expanduser()
    if path.is_dir():
        directory = path.resolve()
        return ResolvedModel(ref=str(directory), source="local", spec=_spec_for_directory(directory, like))
    if path.exists():
        raise ModelError(f"{model} is a file; pass a model directory (with config.json) or a hub id.")
    if not _HUB_ID.match(model):
        raise ModelError(
            f"{model!r} is neither an existing directory nor a hub id like 'zai-org/GLM-4.1V-9B-Thinking'."
        )
    if like is not None:
        return ResolvedModel(ref=model, source="hub", spec=_lookup(like).with_name(model))
    return ResolvedModel(ref=model, source="hub", spec=_lookup(model))
