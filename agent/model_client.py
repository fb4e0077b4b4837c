"""A thin client for an OpenAI-compatible multimodal endpoint (vLLM serving GLM-V, Qwen-VL, ...).

It uses the ``openai`` package directly (LangChain's wrapper drops vLLM's reasoning field) and
returns a :class:`Reply` with the answer text, the reasoning (vLLM's ``reasoning`` /
``reasoning_content`` field or an inline ``<think>`` block), tool calls and a refusal, plus the
cost of the call. Connection failures, timeouts and HTTP errors become :class:`ModelUnavailable`
or :class:`ModelCallError` with a message naming the endpoint.

>>> extract_json('<think>the car</think><answer>```json\\n{"a": 1}\\n```</answer>')
{'a': 1}
>>> image_tokens(896, 448)
512
"""

from __future__ import annotations

import base64
import json
import math
import re
import time
from typing import Any

import cv2
import numpy as np
from pydantic import BaseModel, Field

_THINK = re.compile(r"<think>(.*?)(?:</think>|$)", re.DOTALL | re.IGNORECASE)
_ANSWER = re.compile(r"<answer>(.*?)(?:</answer>|$)", re.DOTALL | re.IGNORECASE)
_SPECIAL = re.compile(r"<\|[^|<>\n]{1,40}\|>")
_FENCE = re.compile(r"```[A-Za-z0-9_+-]*")


class ModelUnavailable(RuntimeError):
    """The endpoint could not be reached (connection refused, DNS, timeout)."""


class ModelCallError(RuntimeError):
    """The endpoint answered, but not with a usable completion (HTTP error, malformed body)."""


class ToolCall(BaseModel):
    """A native function call from the model (arguments as the raw text it sent)."""

    id: str
    name: str
    arguments: str


class Reply(BaseModel):
    """One model answer."""

    content: str = ""
    reasoning: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    refusal: str | None = None
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    seconds: float = 0.0

    @property
    def answer(self) -> str:
        """The answer without reasoning: the ``<answer>`` block if any, else the text after ``</think>``."""
        m = _ANSWER.search(self.content)
        if m:
            return m.group(1).strip()
        return _THINK.sub("", self.content).strip()

    @property
    def thinking(self) -> str | None:
        """The reasoning, from the reasoning field or an inline ``<think>`` block."""
        if self.reasoning:
            return self.reasoning
        m = _THINK.search(self.content)
        return m.group(1).strip() if m else None


def image_tokens(width: int, height: int, patch: int = 28) -> int:
    """Visual tokens a GLM-4.xV / Qwen-VL style encoder spends on an image (28-pixel merged patches)."""
    return max(1, math.ceil(width / patch)) * max(1, math.ceil(height / patch))


def data_url(image: np.ndarray, quality: int = 85) -> str:
    """A BGR image as a ``data:image/jpeg;base64,...`` URL."""
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("could not encode the image as JPEG")
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode()


def fit(image: np.ndarray, max_side: int) -> np.ndarray:
    """``image`` scaled down so its longer side is at most ``max_side`` pixels (never up)."""
    h, w = image.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale >= 1.0:
        return image
    return cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def extract_json(text: str) -> dict[str, Any]:
    """The first JSON object in a model answer (``<think>``, ``<answer>``, fences and box markers removed).

    Raises ``ValueError`` saying what was wrong.
    """
    m = _ANSWER.search(text)
    body = m.group(1) if m else _THINK.sub("", text)
    body = _FENCE.sub("", _SPECIAL.sub("", body)).strip()
    if not body:
        raise ValueError("the answer is empty")
    decoder = json.JSONDecoder()
    starts = [i for i, ch in enumerate(body) if ch == "{"][:32]
    if not starts:
        raise ValueError(f"no JSON object in the answer: {body[:120]!r}")
    last_error = ""
    for i in starts:
        try:
            value, _ = decoder.raw_decode(body, i)
        except json.JSONDecodeError as exc:
            last_error = last_error or f"{exc.msg} at character {exc.pos}"
            continue
        if isinstance(value, dict):
            return value
    raise ValueError(f"the answer is not valid JSON ({last_error}): {body[:120]!r}")


class ModelClient:
    """Chat completions against one endpoint and model; counts calls and image tokens."""

    def __init__(self, base_url: str, model: str, api_key: str = "EMPTY", timeout: float = 60.0) -> None:
        from openai import OpenAI

        self.base_url, self.model = base_url, model
        self._client = OpenAI(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=0)
        self.calls = 0
        self.image_tokens = 0

    def chat(
        self,
        messages: list[dict[str, Any]],
        *,
        max_tokens: int = 1024,
        schema: dict[str, Any] | None = None,
        tools: list[dict[str, Any]] | None = None,
        images: int = 0,
        extra_body: dict[str, Any] | None = None,
    ) -> Reply:
        """One completion; ``images`` = visual tokens in ``messages`` (for accounting)."""
        import openai

        kwargs: dict[str, Any] = {"model": self.model, "messages": messages, "max_tokens": max_tokens,
                                  "temperature": 0.0}
        if schema is not None:
            kwargs["response_format"] = {"type": "json_schema",
                                         "json_schema": {"name": schema.get("title", "answer"), "schema": schema}}
        if tools:
            kwargs["tools"] = tools
            kwargs["tool_choice"] = "auto"
        if extra_body:
            kwargs["extra_body"] = extra_body
        self.calls += 1
        self.image_tokens += images
        t = time.perf_counter()
        try:
            resp = self._client.chat.completions.create(**kwargs)
        except (openai.APIConnectionError, openai.APITimeoutError) as exc:
            raise ModelUnavailable(f"cannot reach the model endpoint {self.base_url} ({exc.__class__.__name__}: "
                                   f"{exc}); is the server running? (stag serve-model)") from exc
        except openai.APIStatusError as exc:
            raise ModelCallError(f"the model endpoint {self.base_url} answered HTTP {exc.status_code}: "
                                 f"{str(exc)[:300]}") from exc
        except (openai.APIError, ValueError) as exc:  # malformed body, bad JSON
            raise ModelCallError(f"the model endpoint {self.base_url} sent an unusable response: "
                                 f"{str(exc)[:300]}") from exc
        if not getattr(resp, "choices", None):
            raise ModelCallError(f"the model endpoint {self.base_url} sent a response without choices")
        choice = resp.choices[0]
        msg = choice.message
        extra = getattr(msg, "model_extra", None) or {}
        reasoning = extra.get("reasoning") or extra.get("reasoning_content")
        calls = [ToolCall(id=c.id or f"call_{i}", name=c.function.name, arguments=c.function.arguments or "")
                 for i, c in enumerate(msg.tool_calls or []) if getattr(c, "function", None)]
        usage = getattr(resp, "usage", None)
        return Reply(
            content=msg.content or "", reasoning=reasoning, tool_calls=calls, refusal=getattr(msg, "refusal", None),
            finish_reason=choice.finish_reason, seconds=round(time.perf_counter() - t, 3),
            prompt_tokens=getattr(usage, "prompt_tokens", None), completion_tokens=getattr(usage, "completion_tokens", None),
        )
