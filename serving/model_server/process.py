"""Run a model server process: start it, wait until it answers, stop it (and everything it spawned).

:class:`ModelServer` runs a :class:`~serving.model_server.vllm_command.LaunchPlan` in its own process group with
its output in a log file, polls ``/health`` and ``/v1/models`` until the served model is listed,
and raises :class:`ModelServerDied` / :class:`ModelServerTimeout` with the log's last lines when it
does not come up. Checks that need no process (is the port free, is the model available offline,
is vLLM installed) are in :func:`preflight`.

>>> plan = LaunchPlan(command=["python3", "-c", "print('no model here'); raise SystemExit(3)"],
...     env={}, settings=ModelServerSettings(base_url="http://127.0.0.1:9/v1", model="m",
...     family="glm-4.1v", coordinates="0-1000", supports_tools=False, reasoning="none",
...     max_model_len=2048, max_images=1, max_videos=1, video_fps=2.0, device="cpu"))
>>> import tempfile
>>> with ModelServer(plan, Path(tempfile.mkdtemp()) / "server.log") as server:
...     server.wait_ready(timeout=30)
Traceback (most recent call last):
...
serving.model_server.ModelServerDied: the model server exited with code 3 before it was ready. Last log lines:
no model here
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from typing_extensions import Self

from serving.model_server.models import ResolvedModel
from serving.model_server.vllm_command import LaunchPlan, ModelServerSettings, ServeOptions

__all__ = [
    "LaunchPlan",
    "ModelServer",
    "ModelServerDied",
    "ModelServerError",
    "ModelServerSettings",
    "ModelServerTimeout",
    "preflight",
    "tail",
]

ProgressCallback = Callable[[float, str], None]
"""Called while waiting with (seconds elapsed, the log's last line)."""


class ModelServerError(RuntimeError):
    """The model server could not be started or did not become ready."""


class ModelServerDied(ModelServerError):
    """The server process exited before it was ready."""


class ModelServerTimeout(ModelServerError):
    """The server did not answer in time (it has been stopped)."""


def tail(path: Path, lines: int = 25) -> str:
    """The last ``lines`` lines of a text file ('' if it does not exist).

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "x.log"; _ = p.write_text("a\\nb\\nc\\n")
    >>> tail(p, 2)
    'b\\nc'
    """
    try:
        with path.open(errors="replace") as handle:
            return "\n".join(line.rstrip("\n") for line in deque(handle, maxlen=lines))
    except FileNotFoundError:
        return ""


def port_is_free(host: str, port: int) -> bool:
    """True when nothing listens on ``host:port`` (so a server can bind it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _hub_model_cached(repo_id: str) -> bool | None:
    """Whether the hub model's config is in the local Hugging Face cache (None: cannot tell)."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    return isinstance(try_to_load_from_cache(repo_id, "config.json"), str)


def preflight(model: ResolvedModel, options: ServeOptions, env: dict[str, str] | None = None) -> None:
    """Refuse early, with advice, what would fail after a long start. Raises :class:`ModelServerError`."""
    env = dict(os.environ if env is None else env)
    offline = env.get("HF_HUB_OFFLINE", "0").lower() in {"1", "true", "yes", "on"}
    if model.source == "hub" and offline and _hub_model_cached(model.ref) is False:
        raise ModelServerError(
            f"{model.ref} is not in the local Hugging Face cache and the hub is switched off "
            "(HF_HUB_OFFLINE=1). Download it where the hub is reachable (huggingface-cli download "
            f"{model.ref} --local-dir DIR), then pass --model DIR; or unset HF_HUB_OFFLINE to let "
            "vLLM download it."
        )
    if options.cpu:
        if not Path(options.vllm_python).is_file():
            raise ModelServerError(
                f"the CPU vLLM is not installed ({options.vllm_python} is missing). "
                "Run scripts/setup_vllm.sh (about 2 minutes, 3.5 GB), or pass --vllm-python."
            )
    elif shutil.which(options.vllm_bin) is None:
        raise ModelServerError(
            f"'{options.vllm_bin}' is not on PATH. On a CUDA machine: pip install vllm. "
            "Without a GPU: scripts/setup_vllm.sh, then add --cpu."
        )
    if not port_is_free(options.host, options.port):
        raise ModelServerError(f"port {options.port} on {options.host} is in use: pick another with --port.")


class ModelServer:
    """One model server process, started in its own process group and stopped with all its children."""

    def __init__(self, plan: LaunchPlan, log_path: Path, secret_env: dict[str, str] | None = None):
        self.plan = plan
        self.log_path = Path(log_path)
        self._secret_env = dict(secret_env or {})
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def settings(self) -> ModelServerSettings:
        return self.plan.settings

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> None:
        """Start the process (output to :attr:`log_path`); returns at once."""
        if self._process is not None:
            raise ModelServerError("this server was already started")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.plan.env, **self._secret_env}
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                self.plan.command,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def poll(self) -> int | None:
        """The exit code if the process has ended, else None."""
        return None if self._process is None else self._process.poll()

    def _get(self, path: str) -> tuple[int, bytes]:
        root = self.settings.base_url.removesuffix("/v1")
        request = urllib.request.Request(root + path)
        if "VLLM_API_KEY" in self._secret_env:
            request.add_header("Authorization", f"Bearer {self._secret_env['VLLM_API_KEY']}")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, b""
        except (urllib.error.URLError, OSError):
            return 0, b""

    def is_ready(self) -> bool:
        """True when ``/health`` answers 200 and ``/v1/models`` lists the served model."""
        status, _ = self._get("/health")
        if status != 200:
            return False
        status, body = self._get("/v1/models")
        if status != 200:
            return False
        try:
            ids = {entry.get("id") for entry in json.loads(body).get("data", [])}
        except (json.JSONDecodeError, AttributeError):
            return False
        return self.settings.model in ids

    def wait_ready(
        self, timeout: float = 600.0, on_progress: ProgressCallback | None = None, interval: float = 0.5
    ) -> float:
        """Block until ready; return the seconds it took. On death or timeout, raise with the log tail
        (after a timeout the process is stopped)."""
        if self._process is None:
            raise ModelServerError("start() the server before waiting for it")
        started = time.monotonic()
        while True:
            elapsed = time.monotonic() - started
            code = self.poll()
            if code is not None:
                raise ModelServerDied(
                    f"the model server exited with code {code} before it was ready. Last log lines:\n"
                    f"{tail(self.log_path)}"
                )
            if self.is_ready():
                return elapsed
            if elapsed > timeout:
                self.stop()
                raise ModelServerTimeout(
                    f"the model server did not answer within {timeout:.0f} s (stopped it). "
                    f"Log: {self.log_path}. Last log lines:\n{tail(self.log_path)}"
                )
            if on_progress is not None:
                on_progress(elapsed, tail(self.log_path, 1))
            time.sleep(interval)

    def wait(self) -> int:
        """Block until the process ends; return its exit code."""
        if self._process is None:
            raise ModelServerError("the server was never started")
        return self._process.wait()

    def stop(self, grace: float = 20.0) -> int | None:
        """SIGTERM the whole process group, then SIGKILL what is left after ``grace`` seconds."""
        process = self._process
        if process is None:
            return None
        if process.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        self._signal_group(signal.SIGKILL)  # workers the server spawned, even if it exited
        try:
            return process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            return None

    def _signal_group(self, sig: signal.Signals) -> None:
        assert self._process is not None
        try:
            os.killpg(self._process.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
