"""A tiny HTTP reward server with OpenRLHF's remote-reward contract (standard library only).

``POST`` (any path, e.g. ``/get_reward``) a JSON body ``{"query": [prompt + response, ...],
"prompts": [prompt, ...], "labels": [ground truth, ...]}`` (``prompts`` optional; a label is the
``stag eval stvg`` JSON as an object or a string) and get ``200 {"rewards": [...], "scores": [...],
"extra_logs": {"tIoU": [...], "mvIoU": [...], "vIoU": [...], "format": [...]}}``. A malformed
request gets ``400 {"error": "..."}`` (``411`` without Content-Length, ``413`` when larger than
``max_body`` bytes). ``GET /health`` answers ``{"status": "ok"}``.

    python -m verifier reward-server --host 127.0.0.1 --port 8000
    # OpenRLHF: --remote_rm_url http://127.0.0.1:8000/get_reward

>>> server = make_server("127.0.0.1", 0)
>>> server.server_address[1] > 0
True
>>> server.server_close()
"""

from __future__ import annotations

import json
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from verifier.adapters import score_batch
from verifier.rewards import RewardConfig, warm_up

MAX_BODY = 64 * 1024 * 1024


class RewardServer(ThreadingHTTPServer):
    """The HTTP server; ``config`` and ``max_body`` are read by its handler."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], config: RewardConfig, max_body: int) -> None:
        super().__init__(address, _Handler)
        self.config = config
        self.max_body = max_body
        warm_up()           # the first request pays no lazy import


class _Handler(BaseHTTPRequestHandler):
    server: RewardServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/health":
            self._send(HTTPStatus.OK, {"status": "ok"})
        else:
            self._send(HTTPStatus.NOT_FOUND, {"error": "POST a JSON body to any path; GET /health"})

    def do_POST(self) -> None:
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            self.close_connection = True
            self._send(HTTPStatus.LENGTH_REQUIRED, {"error": "Content-Length header required"})
            return
        try:
            length = int(length_header)
        except ValueError:
            self.close_connection = True
            self._send(HTTPStatus.BAD_REQUEST, {"error": f"bad Content-Length {length_header!r}"})
            return
        if length < 0 or length > self.server.max_body:
            self.close_connection = True
            self._send(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                       {"error": f"body of {length} bytes exceeds the limit of {self.server.max_body}"})
            return
        raw = self.rfile.read(length)
        try:
            request = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            self._send(HTTPStatus.BAD_REQUEST, {"error": f"body is not valid JSON: {exc}"})
            return
        error = _check(request)
        if error:
            self._send(HTTPStatus.BAD_REQUEST, {"error": error})
            return
        try:
            out = score_batch(request["query"], request.get("prompts"), request["labels"], self.server.config)
        except ValueError as exc:
            self._send(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
            return
        except Exception as exc:  # noqa: BLE001 - the rewards never raise; if one ever did, the
            # trainer gets a JSON error instead of a dropped connection that loses the batch.
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"{type(exc).__name__}: {exc}"[:500]})
            return
        self._send(HTTPStatus.OK, out)


def _check(request: Any) -> str:
    if not isinstance(request, dict):
        return "body must be a JSON object with 'query' and 'labels' lists"
    for key in ("query", "labels"):
        if not isinstance(request.get(key), list):
            return f"'{key}' must be a list (one entry per completion)"
    if "prompts" in request and request["prompts"] is not None and not isinstance(request["prompts"], list):
        return "'prompts' must be a list when given"
    return ""


def make_server(host: str = "127.0.0.1", port: int = 8000, config: RewardConfig | None = None,
                max_body: int = MAX_BODY) -> RewardServer:
    """A bound, not yet serving, reward server (``port=0`` picks a free port); call
    ``serve_forever()`` to run it and ``shutdown()`` / ``server_close()`` to stop it."""
    return RewardServer((host, port), config or RewardConfig(), max_body)
