"""Run ``stag serve`` as a child process on a free loopback port (tests, benchmarks, scripts).

:func:`start_local_server` starts the real server (``--port 0``), reads the port from its
"listening on" line, waits until ``/healthz`` answers, and returns a :class:`LocalServer` that can
stop it gracefully (SIGTERM) or kill it outright (SIGKILL, as a crash would).

>>> with start_local_server(["--db", "/tmp/stag-doc/jobs.sqlite3"], log_path="/tmp/stag-doc/log.txt") as srv:  # doctest: +SKIP
...     httpx.get(f"{srv.url}/healthz").json()["ok"]
True
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from typing_extensions import Self

_LISTENING = re.compile(r"stag serve: listening on (http://\S+?) ")


@dataclass
class LocalServer:
    """A running ``stag serve`` child process."""

    process: subprocess.Popen[bytes]
    url: str
    token: str | None
    log_path: Path

    def headers(self) -> dict[str, str]:
        """The Authorization header for this server (empty without a token)."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 20.0) -> int:
        """Graceful stop (SIGTERM), killing it if it takes longer than ``timeout``; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def kill(self) -> int:
        """Kill it at once (SIGKILL), as a crash or an out-of-memory kill would."""
        if self.process.poll() is None:
            self.process.kill()
        return self.process.wait()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_local_server(
    args: list[str],
    *,
    log_path: str | os.PathLike[str],
    token: str | None = None,
    host: str = "127.0.0.1",
    ready_timeout: float = 90.0,
) -> LocalServer:
    """Start ``stag serve --host HOST --port 0 ARGS`` and wait until it answers ``/healthz``."""
    log_file = Path(log_path)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.pop("STAG_TOKEN", None)
    env.pop("STAG_ADMIN_TOKEN", None)
    if token:
        env["STAG_TOKEN"] = token
    cmd = [sys.executable, "-m", "agent.cli", "serve", "--host", host, "--port", "0", *args]
    with log_file.open("wb") as sink:
        process = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + ready_timeout
    url = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"stag serve exited with code {process.returncode}:\n{log_file.read_text()[-3000:]}")
        if url is None:
            found = _LISTENING.search(log_file.read_text(errors="replace"))
            url = found.group(1) if found else None
        if url is not None:
            try:
                if httpx.get(f"{url}/healthz", timeout=2.0).status_code == 200:
                    return LocalServer(process=process, url=url, token=token, log_path=log_file)
            except httpx.HTTPError:
                pass
        time.sleep(0.2)
    process.kill()
    process.wait()
    raise TimeoutError(f"stag serve was not ready within {ready_timeout:g} s:\n{log_file.read_text()[-3000:]}")
