"""The scripted OpenAI-compatible server the agent's model-planner tests use: each reply kind, as
the official ``openai`` client sees it over real loopback HTTP."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

from tests.scripted_openai import ScriptedOpenAI, ScriptedReply

IMAGE = (  # a 1x1 PNG
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def client(server: ScriptedOpenAI, **kw) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0, **kw)


def ask(server: ScriptedOpenAI, text: str = "where is the car?", **kw):
    return client(server).chat.completions.create(
        model=server.model,
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": IMAGE}},
                    {"type": "text", "text": text},
                ],
            }
        ],
        **kw,
    )


def test_answers_in_order_and_records_every_request(scripted_openai: ScriptedOpenAI) -> None:
    boxes = '{"0": [{"label": "car-1", "bbox_2d": [120, 400, 380, 710]}]}'
    scripted_openai.push(
        ScriptedReply.glm_answer("The car enters at 0 s.", boxes), ScriptedReply.text("second")
    )
    first = ask(scripted_openai, "first?", temperature=0)
    second = ask(scripted_openai, "second?")
    assert (
        first.choices[0].message.content == f"<think>The car enters at 0 s.</think><answer>{boxes}</answer>"
    )
    assert first.choices[0].finish_reason == "stop" and first.model == scripted_openai.model
    assert second.choices[0].message.content == "second"
    bodies = scripted_openai.chat_requests
    assert [b["messages"][0]["content"][1]["text"] for b in bodies] == ["first?", "second?"]
    assert (
        bodies[0]["temperature"] == 0 and bodies[0]["messages"][0]["content"][0]["image_url"]["url"] == IMAGE
    )
    assert scripted_openai.pending == 0
    assert scripted_openai.requests[0].headers["authorization"] == "Bearer test"


def test_reasoning_fields(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.push(
        ScriptedReply.with_reasoning("look left", "<|begin_of_box|>[1, 2, 3, 4]<|end_of_box|>"),
        ScriptedReply(reasoning="older servers", reasoning_field="reasoning_content", content="ok"),
    )
    vllm_style = ask(scripted_openai).choices[0].message
    assert (
        vllm_style.model_extra["reasoning"] == "look left"
        and "reasoning_content" not in vllm_style.model_extra
    )
    assert vllm_style.content == "<|begin_of_box|>[1, 2, 3, 4]<|end_of_box|>"
    older = ask(scripted_openai).choices[0].message
    assert older.model_extra["reasoning_content"] == "older servers"


def test_tool_calls_refusals_and_bad_arguments(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.push(
        ScriptedReply.tool_call(
            "track_objects", {"target": "person", "start": 0, "end": 4}, reasoning="need tracks"
        ),
        ScriptedReply.tool_call("track_objects", '{"target": "person", '),  # truncated JSON arguments
        ScriptedReply.refusal_reply("I cannot identify people."),
    )
    tools = [{"type": "function", "function": {"name": "track_objects", "parameters": {"type": "object"}}}]
    call = ask(scripted_openai, tools=tools).choices[0]
    assert call.finish_reason == "tool_calls"
    assert call.message.tool_calls[0].function.name == "track_objects"
    assert json.loads(call.message.tool_calls[0].function.arguments) == {
        "target": "person",
        "start": 0,
        "end": 4,
    }
    assert scripted_openai.chat_requests[0]["tools"] == tools
    broken = ask(scripted_openai).choices[0].message.tool_calls[0].function.arguments
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken)
    refused = ask(scripted_openai).choices[0].message
    assert refused.refusal == "I cannot identify people." and refused.content is None


def test_http_errors_malformed_bodies_and_an_empty_queue(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.push(
        ScriptedReply.http_error(503, "overloaded"),
        ScriptedReply.http_error(429, "slow down"),
        ScriptedReply.malformed(),
    )
    with pytest.raises(openai.InternalServerError, match="overloaded"):
        ask(scripted_openai)
    with pytest.raises(openai.RateLimitError, match="slow down"):
        ask(scripted_openai)
    with pytest.raises((json.JSONDecodeError, openai.APIError)):
        ask(scripted_openai)
    with pytest.raises(openai.InternalServerError, match="no reply queued for request #4"):
        ask(scripted_openai)


def test_wrong_model_bad_json_and_auth() -> None:
    with ScriptedOpenAI(model="glm-4.1v", api_key="right") as server:
        server.push(ScriptedReply.text("only for the right key"))
        with pytest.raises(openai.AuthenticationError):
            ask(server)  # the client sends "test"
        good = openai.OpenAI(base_url=server.base_url, api_key="right", max_retries=0)
        with pytest.raises(openai.NotFoundError, match="The model `other` does not exist"):
            good.chat.completions.create(model="other", messages=[{"role": "user", "content": "x"}])
        response = httpx.post(
            f"{server.base_url}/chat/completions", content=b"{oops", headers={"Authorization": "Bearer right"}
        )
        assert response.status_code == 400 and "not JSON" in response.json()["error"]["message"]
        assert (
            good.chat.completions.create(model="glm-4.1v", messages=[{"role": "user", "content": "x"}])
            .choices[0]
            .message.content
            == "only for the right key"
        )
        assert [m.id for m in good.models.list()] == ["glm-4.1v"]
        assert httpx.get(f"{server.base_url.removesuffix('/v1')}/health").status_code == 200


def test_delay_lets_client_timeouts_fire(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.push(ScriptedReply.slow(2.0), ScriptedReply.text("on time"))
    impatient = client(scripted_openai, timeout=0.3)
    with pytest.raises(openai.APITimeoutError):
        impatient.chat.completions.create(
            model=scripted_openai.model, messages=[{"role": "user", "content": "x"}]
        )
    assert ask(scripted_openai).choices[0].message.content == "on time"


def test_streaming_gives_the_same_reply(scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.push(
        ScriptedReply.with_reasoning(
            "think", "answer", usage={"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9}
        ),
        ScriptedReply.tool_call("ground_query", {"query": "the dog"}),
    )
    chunks = list(ask(scripted_openai, stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    reasoning = "".join(
        (c.choices[0].delta.model_extra or {}).get("reasoning", "") for c in chunks if c.choices
    )
    assert (text, reasoning) == ("answer", "think")
    assert chunks[-1].usage.total_tokens == 9
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    calls = [
        call
        for c in ask(scripted_openai, stream=True)
        if c.choices
        for call in (c.choices[0].delta.tool_calls or [])
    ]
    assert calls[0].function.name == "ground_query" and json.loads(calls[0].function.arguments) == {
        "query": "the dog"
    }
