"""`stag serve-model`: the vLLM command per model (--dry-run), input checks, and the process lifecycle.

Fast: no vLLM is started here (tests/test_model_server_vllm.py does that). The lifecycle tests run
real subprocesses: one that dies, one that hangs, a real HTTP server that becomes ready, and one
that spawns a child, to show that stop() takes the whole process group down.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import NamedTuple

import pytest

from agent.model_catalog import REGISTRY
from serving.model_server.cli import main
from serving.model_server.models import resolve_model
from serving.model_server.process import (
    ModelServer,
    ModelServerDied,
    ModelServerError,
    ModelServerTimeout,
    port_is_free,
    preflight,
    tail,
)
from serving.model_server.vllm_command import LaunchPlan, ModelServerSettings, ServeOptions
from tests.fixtures_llm import free_port

REPO = Path(__file__).resolve().parent.parent


class Want(NamedTuple):
    tool_parser: str | None
    coords: str
    reasoning_parser: str | None
    tp: int
    max_len: int


# What each hub model must get, written out independently of the registry.
EXPECTED = {
    "zai-org/GLM-4.1V-9B-Thinking": Want(None, "0-1000", None, 1, 32768),
    "zai-org/GLM-4.5V": Want("glm45", "0-1000", "glm45", 4, 65536),
    "zai-org/GLM-4.5V-FP8": Want("glm45", "0-1000", "glm45", 4, 65536),
    "zai-org/GLM-4.6V": Want("glm45", "0-1000", "glm45", 4, 65536),
    "zai-org/GLM-4.6V-FP8": Want("glm45", "0-1000", "glm45", 4, 65536),
    "zai-org/GLM-4.6V-Flash": Want("glm45", "0-1000", "glm45", 1, 32768),
    "Qwen/Qwen2.5-VL-7B-Instruct": Want(None, "pixels", None, 1, 32768),
    "Qwen/Qwen3-VL-8B-Instruct": Want("hermes", "0-1000", None, 1, 32768),
}


def dry_run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main(["--dry-run", "--json", *argv]) == 0
    return json.loads(capsys.readouterr().out)


def flag(command: list[str], name: str) -> str | None:
    return command[command.index(name) + 1] if name in command else None


def model_dir(root: Path, name: str, model_type: str = "glm4v") -> Path:
    directory = root / name
    directory.mkdir(parents=True)
    (directory / "config.json").write_text(json.dumps({"model_type": model_type}))
    (directory / "model.safetensors").write_bytes(b"\0" * 2048)
    return directory


def test_every_registry_model_is_checked() -> None:
    assert set(EXPECTED) == set(REGISTRY)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_dry_run_gpu_command_per_model(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    want = EXPECTED[name]
    out = dry_run(capsys, "--model", name, "--port", "8123")
    cmd, settings = out["command"], out["settings"]
    assert cmd[:3] == ["vllm", "serve", name]
    assert flag(cmd, "--served-model-name") == name
    assert flag(cmd, "--host") == "127.0.0.1" and flag(cmd, "--port") == "8123"
    assert flag(cmd, "--max-model-len") == str(want.max_len)
    assert json.loads(flag(cmd, "--limit-mm-per-prompt")) == {"image": 8, "video": 1}
    assert json.loads(flag(cmd, "--media-io-kwargs")) == {"video": {"fps": 2.0, "max_duration": 600}}
    assert flag(cmd, "--reasoning-parser") == want.reasoning_parser
    assert flag(cmd, "--tool-call-parser") == want.tool_parser
    assert ("--enable-auto-tool-choice" in cmd) is (want.tool_parser is not None)
    assert flag(cmd, "--tensor-parallel-size") == (str(want.tp) if want.tp > 1 else None)
    assert ("--enable-expert-parallel" in cmd) is (want.tp > 1)
    assert "--enforce-eager" not in cmd and "--allowed-local-media-path" not in cmd
    assert "--structured-outputs-config" not in cmd
    assert settings["base_url"] == "http://127.0.0.1:8123/v1"
    assert settings["model"] == name and settings["device"] == "gpu"
    assert settings["coordinates"] == want.coords
    assert settings["supports_tools"] is (want.tool_parser is not None)
    expected_reasoning = (
        "think-answer-tags"
        if name.endswith("Thinking")
        else "reasoning-field"
        if want.reasoning_parser
        else "none"
    )
    assert settings["reasoning"] == expected_reasoning
    assert out["env"] == {"VLLM_NO_USAGE_STATS": "1", "DO_NOT_TRACK": "1"}  # hub: the user's own HF settings


def test_dry_run_cpu_local_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = model_dir(tmp_path, "tiny-glm4v")
    out = dry_run(
        capsys,
        "--model",
        str(directory),
        "--cpu",
        "--vllm-python",
        "/opt/vllm/bin/python",
        "--max-images",
        "3",
        "--video-fps",
        "1",
        "--max-video-seconds",
        "120",
    )
    cmd, settings = out["command"], out["settings"]
    assert cmd[:5] == [
        "/opt/vllm/bin/python",
        "-m",
        "vllm.entrypoints.openai.api_server",
        "--model",
        str(directory),
    ]
    assert flag(cmd, "--dtype") == "float32" and "--enforce-eager" in cmd
    assert flag(cmd, "--max-model-len") == "2048"
    assert flag(cmd, "--served-model-name") == "tiny-glm4v"
    assert json.loads(flag(cmd, "--limit-mm-per-prompt")) == {"image": 3, "video": 1}
    assert json.loads(flag(cmd, "--media-io-kwargs")) == {"video": {"fps": 1.0, "max_duration": 120}}
    assert "--tool-call-parser" not in cmd and "--reasoning-parser" not in cmd  # a glm4v dir acts like 4.1V
    assert out["env"]["VLLM_CPU_KVCACHE_SPACE"] == "1"
    assert out["env"]["HF_HUB_OFFLINE"] == "1"  # a local directory never touches the hub
    assert settings == {
        **settings,
        "model": "tiny-glm4v",
        "device": "cpu",
        "coordinates": "0-1000",
        "supports_tools": False,
        "reasoning": "think-answer-tags",
        "max_model_len": 2048,
        "max_images": 3,
        "video_fps": 1.0,
    }


def test_dry_run_text_is_a_copyable_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--model", "zai-org/GLM-4.5V", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "DO_NOT_TRACK=1 VLLM_NO_USAGE_STATS=1 vllm serve zai-org/GLM-4.5V" in out
    assert '--limit-mm-per-prompt \'{"image":8,"video":1}\'' in out
    assert "--planner model --base-url http://127.0.0.1:8000/v1 --model zai-org/GLM-4.5V" in out


def test_local_directory_profiles(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flash = model_dir(tmp_path, "GLM-4.6V-Flash")  # named like a registry model: behaves like it
    assert dry_run(capsys, "--model", str(flash))["settings"]["supports_tools"] is True
    finetune = model_dir(tmp_path, "my-finetune")
    out = dry_run(capsys, "--model", str(finetune), "--like", "zai-org/GLM-4.6V-Flash")
    assert flag(out["command"], "--tool-call-parser") == "glm45"
    qwen = model_dir(tmp_path, "qwen-local", model_type="qwen2_5_vl")
    assert dry_run(capsys, "--model", str(qwen))["settings"]["coordinates"] == "pixels"
    moe = model_dir(tmp_path, "moe-local", model_type="glm4v_moe")
    moe_cmd = dry_run(capsys, "--model", str(moe), "--tensor-parallel-size", "2")["command"]
    assert flag(moe_cmd, "--tensor-parallel-size") == "2" and flag(moe_cmd, "--mm-encoder-tp-mode") == "data"
    assert resolve_model(str(finetune)).spec.weights_gib == pytest.approx(2048 / 2**30)


def test_options_reach_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = dry_run(
        capsys,
        "--model",
        "zai-org/GLM-4.1V-9B-Thinking",
        "--media-root",
        str(tmp_path),
        "--max-model-len",
        "8192",
        "--gpu-memory-utilization",
        "0.85",
        "--tensor-parallel-size",
        "2",
        "--served-model-name",
        "glm",
        "--compact-json",
        "--",
        "--max-num-seqs",
        "4",
    )
    cmd = out["command"]
    assert json.loads(flag(cmd, "--structured-outputs-config")) == {
        "backend": "xgrammar",
        "disable_any_whitespace": True,
    }
    assert flag(cmd, "--allowed-local-media-path") == str(tmp_path.resolve())
    assert flag(cmd, "--max-model-len") == "8192" and out["settings"]["max_model_len"] == 8192
    assert flag(cmd, "--gpu-memory-utilization") == "0.85"
    assert flag(cmd, "--tensor-parallel-size") == "2" and "--enable-expert-parallel" not in cmd  # dense model
    assert flag(cmd, "--served-model-name") == "glm" and out["settings"]["model"] == "glm"
    assert cmd[-2:] == ["--max-num-seqs", "4"]


def test_api_key_stays_out_of_the_printed_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STAG_TEST_KEY", "s3cret-token")
    assert main(["--host", "0.0.0.0", "--api-key-env", "STAG_TEST_KEY", "--dry-run", "--json"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert "s3cret-token" not in captured.out + captured.err
    assert out["settings"]["api_key_required"] is True
    assert out["settings"]["base_url"] == "http://127.0.0.1:8000/v1"  # clients dial loopback for 0.0.0.0
    assert main(["--host", "0.0.0.0", "--dry-run"]) == 0
    assert "without --api-key-env" in capsys.readouterr().err
    monkeypatch.delenv("STAG_TEST_KEY")
    assert main(["--api-key-env", "STAG_TEST_KEY", "--dry-run"]) == 2
    assert "STAG_TEST_KEY" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--model", "acme/NotAModel"],
            "unknown model 'acme/NotAModel'. Known: zai-org/GLM-4.1V-9B-Thinking",
        ),
        (["--model", "./no/such/dir/model"], "neither an existing directory nor a hub id"),
        (["--model", "   "], "no model given"),
        (
            ["--model", "zai-org/GLM-4.1V-9B-Thinking", "--cpu", "--tensor-parallel-size", "2"],
            "does not apply with --cpu",
        ),
        (
            ["--model", "zai-org/GLM-4.5V", "--max-model-len", "200000"],
            "exceeds zai-org/GLM-4.5V's context of 65536",
        ),
        (["--port", "0"], "--port: Input should be greater than or equal to 1"),
        (["--max-images", "-1"], "--max-images: Input should be greater than or equal to 0"),
        (["--video-fps", "0"], "--video-fps: Input should be greater than 0"),
        (["--model", "zai-org/GLM-4.5V", "--like", "acme/Other"], "unknown model 'acme/Other'"),
    ],
)
def test_bad_requests_exit_2_with_a_reason(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "--dry-run"]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


def test_bad_local_directories(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["--model", str(tmp_path / "empty"), "--dry-run"]) == 2
    assert "has no config.json" in capsys.readouterr().err
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    assert main(["--model", str(broken), "--dry-run"]) == 2
    assert "is not valid JSON" in capsys.readouterr().err
    odd = model_dir(tmp_path, "odd", model_type="llava")
    assert main(["--model", str(odd), "--dry-run"]) == 2
    assert "Pass --like NAME" in capsys.readouterr().err
    (tmp_path / "weights.bin").write_bytes(b"x")
    assert main(["--model", str(tmp_path / "weights.bin"), "--dry-run"]) == 2
    assert "is a file" in capsys.readouterr().err


def _serve_model_subprocess(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent.cli", "serve-model", *argv],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_hub_model_offline_and_not_cached_is_refused(tmp_path: Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path / "hub")}
    done = _serve_model_subprocess(["--model", "zai-org/GLM-4.1V-9B-Thinking", "--cpu"], env)
    assert done.returncode == 2, done.stderr
    assert "not in the local Hugging Face cache" in done.stderr and "--local-dir" in done.stderr
    # Once the model is in the cache, that check passes and the next one speaks (vLLM missing).
    snapshot = tmp_path / "hub" / "models--zai-org--GLM-4.1V-9B-Thinking" / "snapshots" / ("a" * 40)
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}")
    (tmp_path / "hub" / "models--zai-org--GLM-4.1V-9B-Thinking" / "refs").mkdir()
    (tmp_path / "hub" / "models--zai-org--GLM-4.1V-9B-Thinking" / "refs" / "main").write_text("a" * 40)
    done = _serve_model_subprocess(
        [
            "--model",
            "zai-org/GLM-4.1V-9B-Thinking",
            "--cpu",
            "--vllm-python",
            str(tmp_path / "missing" / "python"),
        ],
        env,
    )
    assert done.returncode == 2
    assert "not in the local Hugging Face cache" not in done.stderr
    assert "the CPU vLLM is not installed" in done.stderr and "scripts/setup_vllm.sh" in done.stderr


def test_preflight_gpu_binary_and_busy_port(tmp_path: Path) -> None:
    model = resolve_model(str(model_dir(tmp_path, "m")))
    with pytest.raises(ModelServerError, match="'no-such-vllm-binary' is not on PATH.*--cpu"):
        preflight(model, ServeOptions(vllm_bin="no-such-vllm-binary"))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        options = ServeOptions(cpu=True, port=port, vllm_python=Path(sys.executable))
        with pytest.raises(ModelServerError, match=f"port {port} on 127.0.0.1 is in use"):
            preflight(model, options)
    preflight(model, options)  # freed: no complaint


def _plan(command: list[str], port: int = 9, model: str = "m") -> LaunchPlan:
    settings = ModelServerSettings(
        base_url=f"http://127.0.0.1:{port}/v1",
        model=model,
        family="glm-4.1v",
        coordinates="0-1000",
        supports_tools=False,
        reasoning="think-answer-tags",
        max_model_len=2048,
        max_images=1,
        max_videos=1,
        video_fps=2.0,
        device="cpu",
    )
    return LaunchPlan(command=command, env={"STAG_PLAN_VAR": "from-plan"}, settings=settings)


def test_server_that_dies_reports_its_last_log_lines(tmp_path: Path) -> None:
    script = (
        "import os; print('loading', os.environ['STAG_PLAN_VAR']); print('ValueError: bad config'); "
        "raise SystemExit(3)"
    )
    with (
        ModelServer(_plan([sys.executable, "-c", script]), tmp_path / "s.log") as server,
        pytest.raises(ModelServerDied) as info,
    ):
        server.wait_ready(timeout=60)
    text = str(info.value)
    assert "exited with code 3 before it was ready" in text
    assert "loading from-plan" in text and "ValueError: bad config" in text


def test_server_that_never_answers_times_out_and_is_stopped(tmp_path: Path) -> None:
    server = ModelServer(
        _plan([sys.executable, "-c", "import time; print('stuck', flush=True); time.sleep(120)"]),
        tmp_path / "s.log",
    )
    server.start()
    progress: list[tuple[float, str]] = []
    try:
        with pytest.raises(ModelServerTimeout, match=r"did not answer within 1 s(.|\n)*stuck"):
            server.wait_ready(timeout=1.0, interval=0.1, on_progress=lambda *update: progress.append(update))
        assert server.poll() is not None  # stopped by the timeout
        assert progress and all(a <= b for (a, _), (b, _) in itertools.pairwise(progress))
        assert progress[-1][1] == "stuck"
    finally:
        server.stop()


def test_ready_when_the_model_is_listed_then_stopped(tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "tests.scripted_openai", "--port", str(port), "--model", "m"]
    with ModelServer(_plan(command, port, model="m"), tmp_path / "s.log") as server:
        seconds = server.wait_ready(timeout=60)
        assert server.is_ready() and seconds < 60
    assert server.poll() is not None
    assert port_is_free("127.0.0.1", port)
    # A server that answers but does not list the requested model is not ready.
    port = free_port()
    command = [sys.executable, "-m", "tests.scripted_openai", "--port", str(port), "--model", "other"]
    with (
        ModelServer(_plan(command, port, model="m"), tmp_path / "t.log") as server,
        pytest.raises(ModelServerTimeout),
    ):
        server.wait_ready(timeout=4, interval=0.2)


def test_stop_takes_down_the_children_too(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    script = textwrap.dedent(f"""
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
        open({str(pid_file)!r}, "w").write(str(child.pid))
        time.sleep(300)
    """)
    server = ModelServer(_plan([sys.executable, "-c", script]), tmp_path / "s.log")
    server.start()
    deadline = time.monotonic() + 30
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, tail(tmp_path / "s.log")
        time.sleep(0.05)
    child = int(pid_file.read_text())
    assert server.stop(grace=5) is not None
    deadline = time.monotonic() + 10
    while _alive(child):
        assert time.monotonic() < deadline, f"child {child} survived stop()"
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by init) counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False
