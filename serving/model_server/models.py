"""Resolve what a user typed (a hub name of the catalogue, or a local model directory) into a model to serve.

The catalogue itself (:data:`agent.model_catalog.REGISTRY`: boxes, tool calls, reasoning, parsers,
hardware) is shared with the agent's model planner; this module adds what only the launcher needs.

>>> resolve_model("zai-org/GLM-4.6V").spec.tool_call_parser
'glm45'
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.model_catalog import FAMILY_OF_ARCHITECTURE, REGISTRY, ModelSpec

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


class ModelError(ValueError):
    """The model a user asked for cannot be served as asked; the message says what to do."""


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
