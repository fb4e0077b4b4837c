"""A real OpenAI-compatible HTTP server on loopback that answers from a script, for tests.

Each ``POST /v1/chat/completions`` takes the next :class:`ScriptedReply` from a queue: content (for
example a GLM-V ``<think>..</think><answer>..</answer>`` answer with 0-1000 boxes), reasoning in
vLLM's ``reasoning`` field (what vLLM 0.32 sends) or the older ``reasoning_content``, tool calls,
refusals, a malformed body, an HTTP error, a delay. Streaming requests get the same reply as
server-sent events. Every request is recorded for assertions. ``GET /v1/models`` and ``GET /health``
answer like vLLM's. An empty queue answers 500 so that a test that makes more calls than it
scripted fails loudly.

    with ScriptedOpenAI(model="glm-4.1v") as server:
        server.push(ScriptedReply.glm_answer("the car is left", '{"0": []}'))
        client = OpenAI(base_url=server.base_url, api_key="x")
        ...
        assert server.chat_requests[0]["messages"][0]["role"] == "user"

``python -m tests.scripted_openai --port 8123`` serves with an empty queue until stopped.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
import time
import uuid
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from pydantic import BaseModel, Field
from typing_extensions import Self


class ScriptedToolCall(BaseModel):
    """One function call the scripted model makes; ``arguments`` may be a dict or raw (bad) text."""

    name: str
    arguments: dict[str, Any] | str = Field(default_factory=dict)


class ScriptedReply(BaseModel):
    """What the server answers to one chat completion request."""

    content: str | None = None
    reasoning: str | None = None
    reasoning_field: Literal["reasoning", "reasoning_content"] = "reasoning"
    tool_calls: list[ScriptedToolCall] = Field(default_factory=list)
    refusal: str | None = None
    finish_reason: str | None = None  # default: "tool_calls" when there are tool calls, else "stop"
    status: int = Field(default=200, ge=200, le=599)
    error: str | None = None  # the error message when status is not 200
    raw_body: str | None = None  # sent verbatim with status 200 (a malformed or truncated body)
    delay_s: float = Field(default=0.0, ge=0.0)
    usage: dict[str, int] | None = None

    @classmethod
    def text(cls, content: str, **kw: Any) -> ScriptedReply:
        return cls(content=content, **kw)

    @classmethod
    def glm_answer(cls, think: str, answer: str, **kw: Any) -> ScriptedReply:
        """GLM-4.1V-Thinking style: reasoning and answer inline in ``content``."""
        return cls(content=f"<think>{think}</think><answer>{answer}</answer>", **kw)

    @classmethod
    def with_reasoning(cls, reasoning: str, content: str, **kw: Any) -> ScriptedReply:
        """GLM-4.5V/4.6V behind vLLM's glm45 reasoning parser: reasoning in its own field."""
        return cls(reasoning=reasoning, content=content, **kw)

    @classmethod
    def tool_call(
        cls, name: str, arguments: dict[str, Any] | str, reasoning: str | None = None
    ) -> ScriptedReply:
        return cls(tool_calls=[ScriptedToolCall(name=name, arguments=arguments)], reasoning=reasoning)

    @classmethod
    def refusal_reply(cls, message: str = "I can't help with that.") -> ScriptedReply:
        return cls(refusal=message)

    @classmethod
    def http_error(cls, status: int, message: str = "scripted failure") -> ScriptedReply:
        return cls(status=status, error=message)

    @classmethod
    def malformed(cls, body: str = '{"id": "x", "choices": [') -> ScriptedReply:
        return cls(raw_body=body)

    @classmethod
    def slow(cls, seconds: float, content: str = "late") -> ScriptedReply:
        return cls(content=content, delay_s=seconds)


class RecordedRequest(BaseModel):
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: Any = None


def _message(reply: ScriptedReply) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content, "refusal": reply.refusal}
    if reply.reasoning is not None:
        message[reply.reasoning_field] = reply.reasoning
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": f"call_{uuid.uuid4().hex[:12]}",
                "type": "function",
                "function": {
                    "name": call.name,
                    "arguments": call.arguments
                    if isinstance(call.arguments, str)
                    else json.dumps(call.arguments),
                },
            }
            for call in reply.tool_calls
        ]
    return message


def completion(reply: ScriptedReply, model: str) -> dict[str, Any]:
    """The chat.completion object for ``reply``.

    >>> completion(ScriptedReply.text("hi"), "m")["choices"][0]["message"]["content"]
    'hi'
    """
    finish = reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")
    body: dict[str, Any] = {
        "id": f"chatcmpl-{uuid.uuid4().hex[:16]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": _message(reply), "finish_reason": finish, "logprobs": None}],
    }
    if reply.usage is not None:
        body["usage"] = reply.usage
    return body


def completion_chunks(reply: ScriptedReply, model: str) -> list[dict[str, Any]]:
    """The same reply as streamed chunks: role, then the message's fields, then the finish reason."""
    full = completion(reply, model)
    base = {key: full[key] for key in ("id", "created", "model")} | {"object": "chat.completion.chunk"}
    message = full["choices"][0]["message"]
    delta = {key: value for key, value in message.items() if value is not None and key != "role"}
    if "tool_calls" in delta:
        delta["tool_calls"] = [{"index": i, **call} for i, call in enumerate(delta["tool_calls"])]
    chunks = [
        {**base, "choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}]},
        {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]},
        {
            **base,
            "choices": [{"index": 0, "delta": {}, "finish_reason": full["choices"][0]["finish_reason"]}],
        },
    ]
    if reply.usage is not None:
        chunks.append({**base, "choices": [], "usage": reply.usage})
    return chunks


class ScriptedOpenAI:
    """The server. ``start()`` binds a free loopback port; ``stop()`` shuts it down."""

    def __init__(
        self, model: str = "scripted-glm", api_key: str | None = None, host: str = "127.0.0.1", port: int = 0
    ):
        self.model = model
        self.api_key = api_key
        self.requests: list[RecordedRequest] = []
        self._replies: deque[ScriptedReply] = deque()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False  # a scripted delay must not hold up stop()
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        """Bodies of the chat completion requests, in arrival order."""
        with self._lock:
            return [r.body for r in self.requests if r.method == "POST" and r.path == "/v1/chat/completions"]

    @property
    def pending(self) -> int:
        """Scripted replies not yet used."""
        with self._lock:
            return len(self._replies)

    def push(self, *replies: ScriptedReply) -> ScriptedOpenAI:
        with self._lock:
            self._replies.extend(replies)
        return self

    def start(self) -> ScriptedOpenAI:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="scripted-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _record(self, request: RecordedRequest) -> int:
        with self._lock:
            self.requests.append(request)
            return len(self.requests)

    def _next_reply(self) -> ScriptedReply | None:
        with self._lock:
            return self._replies.popleft() if self._replies else None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _headers(self) -> dict[str, str]:
                return {key.lower(): value for key, value in self.headers.items()}

            def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def _error(self, status: int, message: str, kind: str = "BadRequestError") -> None:
                body = {"error": {"message": message, "type": kind, "param": None, "code": status}}
                self._send(status, json.dumps(body).encode())

            def do_GET(self) -> None:
                server._record(RecordedRequest(method="GET", path=self.path, headers=self._headers()))
                if self.path == "/health":
                    self._send(200, b"", "text/plain")
                elif self.path == "/v1/models":
                    data = [{"id": server.model, "object": "model", "created": 0, "owned_by": "stag-tests"}]
                    self._send(200, json.dumps({"object": "list", "data": data}).encode())
                else:
                    self._error(404, f"no route {self.path}", "NotFoundError")

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw or b"null")
                except json.JSONDecodeError as exc:
                    server._record(
                        RecordedRequest(
                            method="POST",
                            path=self.path,
                            headers=self._headers(),
                            body=raw.decode(errors="replace"),
                        )
                    )
                    return self._error(400, f"request body is not JSON: {exc}")
                number = server._record(
                    RecordedRequest(method="POST", path=self.path, headers=self._headers(), body=body)
                )
                if self.path != "/v1/chat/completions":
                    return self._error(404, f"no route {self.path}", "NotFoundError")
                if (
                    server.api_key is not None
                    and self.headers.get("Authorization") != f"Bearer {server.api_key}"
                ):
                    return self._error(401, "Unauthorized", "AuthenticationError")
                if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
                    return self._error(400, "'messages' must be a list")
                if body.get("model") != server.model:
                    return self._error(
                        404, f"The model `{body.get('model')}` does not exist.", "NotFoundError"
                    )
                reply = server._next_reply()
                if reply is None:
                    return self._error(
                        500, f"scripted server: no reply queued for request #{number}", "InternalServerError"
                    )
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                if reply.status != 200:
                    return self._error(reply.status, reply.error or "scripted failure", "ScriptedError")
                if reply.raw_body is not None:
                    return self._send(200, reply.raw_body.encode())
                if body.get("stream"):
                    events = "".join(
                        f"data: {json.dumps(c)}\n\n" for c in completion_chunks(reply, server.model)
                    )
                    return self._send(200, (events + "data: [DONE]\n\n").encode(), "text/event-stream")
                self._send(200, json.dumps(completion(reply, server.model)).encode())

        return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.scripted_openai")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--model", default="scripted-glm")
    args = parser.parse_args(argv)
    server = ScriptedOpenAI(model=args.model, port=args.port).start()
    print(f"scripted OpenAI server at {server.base_url}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
