"""The model planner's every branch, driven by a real OpenAI-compatible HTTP server on loopback that
answers with recorded, realistic GLM-V replies (``tests.scripted_openai``).

The video is a synthetic clip (a man standing still, three men walking past); the tools perceive it
for real (bundled YOLOv3-tiny), once per module through the perception cache.
"""

from __future__ import annotations

import base64
import json

import pytest

from agent.api import GroundConfig, ground
from stagdata.synth.generate import generate
from tests.scripted_openai import ScriptedOpenAI, ScriptedReply

TIME_OK = ScriptedReply.glm_answer(
    "The grid shows a street. A man stands on the right the whole time; others walk past from 1 s.",
    '{"intervals": [[0, 9]], "reason": "the man is there from start to end"}',
)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("synth")
    manifest = generate("small", root, seed=0)
    return str(manifest.path(manifest.videos[0].path))


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> dict:
    return {"detector": "coco", "cache_dir": str(tmp_path_factory.mktemp("cache")), "model_image_px": 448,
            "max_model_retries": 1}


@pytest.fixture(scope="module")
def tracks(clip, base) -> dict[int, tuple[int, int]]:
    """Track id -> span, as the tools see the clip (the embedded planner lists every person)."""
    result = ground(clip, "the people", GroundConfig(**base))
    assert result.referents
    return {r.id: r.interval for r in result.referents}


@pytest.fixture
def standing_id(tracks) -> int:
    """The track of the man standing still (the one seen the longest)."""
    return max(tracks, key=lambda i: tracks[i][1] - tracks[i][0])


def _config(server: ScriptedOpenAI, base: dict, **kw) -> GroundConfig:
    return GroundConfig(planner="model", base_url=server.base_url, model=server.model, **base, **kw)


def _user_text(request: dict) -> str:
    content = request["messages"][-1]["content"]
    if isinstance(content, str):
        return content
    return " ".join(part.get("text", "") for part in content if part.get("type") == "text")


def _images(request: dict) -> list[str]:
    return [part["image_url"]["url"] for m in request["messages"] if isinstance(m.get("content"), list)
            for part in m["content"] if part.get("type") == "image_url"]


def test_time_then_space_with_json_actions(clip, base, scripted_openai, standing_id):
    scripted_openai.push(TIME_OK, ScriptedReply.glm_answer(
        f"Track {standing_id} does not move in any frame.",
        f'<|begin_of_box|>{{"action": "accept", "referents": [{{"id": {standing_id}, "interval": [0, 9]}}], '
        f'"reason": "it stands still"}}<|end_of_box|>'))
    result = ground(clip, "the man standing still", _config(scripted_openai, base))
    assert result.planner == "model"
    assert [r.id for r in result.referents] == [standing_id]
    assert result.referents[0].interval[0] <= 1 and result.referents[0].interval[1] >= 8
    time_req, space_req = scripted_openai.chat_requests
    # Time: one contact sheet (a JPEG data URL), JSON-schema constrained, the query in the prompt.
    assert len(_images(time_req)) == 1 and _images(time_req)[0].startswith("data:image/jpeg;base64,")
    assert time_req["response_format"]["type"] == "json_schema"
    assert "intervals" in json.dumps(time_req["response_format"]["json_schema"]["schema"])
    assert "the man standing still" in _user_text(time_req)
    # Space: one set-of-marks sheet and the listing of the marked track ids.
    assert len(_images(space_req)) == 1 and f"id {standing_id}:" in _user_text(space_req)
    assert "tools" not in space_req  # GLM-4.1V: JSON actions, no function calling
    models = [e for e in result.trace if e.kind == "model"]
    assert len(models) == 2 and "stands on the right" in models[0].data["reasoning"]
    assert all(e.data["image_tokens"] > 0 for e in models)


def test_malformed_json_is_retried_with_the_error_shown(clip, base, scripted_openai, standing_id):
    scripted_openai.push(
        ScriptedReply.glm_answer("Let me see.", '```json\n{"intervals": [[0, 9]'),  # truncated
        TIME_OK,
        ScriptedReply.text(f'{{"action": "accept", "referents": [{{"id": {standing_id}}}], "reason": "x"}}'),
    )
    result = ground(clip, "the man standing still", _config(scripted_openai, base))
    assert result.planner == "model" and [r.id for r in result.referents] == [standing_id]
    retry = scripted_openai.chat_requests[1]
    assert retry["messages"][-2]["role"] == "assistant" and "intervals" in retry["messages"][-2]["content"]
    assert "could not be used" in _user_text(retry) and "not valid JSON" in _user_text(retry)
    assert any(e.kind == "error" and "invalid answer" in e.message for e in result.trace)


def test_unknown_track_id_is_retried_naming_the_marked_ids(clip, base, scripted_openai, tracks, standing_id):
    scripted_openai.push(
        TIME_OK,
        ScriptedReply.glm_answer("Track 99.", '{"action": "accept", "referents": [{"id": 99}], "reason": "x"}'),
        ScriptedReply.glm_answer("Sorry.", f'{{"action": "accept", "referents": [{{"id": {standing_id}}}], '
                                           '"reason": "x"}'),
    )
    result = ground(clip, "the man standing still", _config(scripted_openai, base))
    assert [r.id for r in result.referents] == [standing_id]
    assert f"marked ids are {sorted(tracks)}" in _user_text(scripted_openai.chat_requests[2])


def test_refusals_fall_back_to_the_embedded_planner(clip, base, scripted_openai):
    scripted_openai.push(TIME_OK, ScriptedReply.refusal_reply("I can't identify people."),
                         ScriptedReply.refusal_reply("I can't identify people."))
    result = ground(clip, "the man standing still", _config(scripted_openai, base))
    assert result.planner == "embedded"
    fallback = [e for e in result.trace if e.kind == "fallback"]
    assert len(fallback) == 1 and fallback[0].step == "choose_referents"
    assert "the model refused" in fallback[0].data["error"]
    assert len(result.referents) == 1  # the embedded planner found the standing man
    assert scripted_openai.pending == 0 and len(scripted_openai.chat_requests) == 3


def test_widen_refocuses_on_the_one_perception(clip, base, scripted_openai, standing_id):
    scripted_openai.push(
        ScriptedReply.glm_answer("Only the start matters.", '{"intervals": [[0, 2]], "reason": "start"}'),
        ScriptedReply.glm_answer("Need more.", '{"action": "widen", "intervals": [[0, 9]], "reason": "too short"}'),
        ScriptedReply.glm_answer("Now.", f'{{"action": "accept", "referents": [{{"id": {standing_id}, '
                                         '"interval": [0, 9]}], "reason": "x"}'),
    )
    result = ground(clip, "the man standing still", _config(scripted_openai, base))
    perceives = [e for e in result.trace if e.step == "perceive" and e.kind == "tool"]
    assert len(perceives) == 1  # the tools look at the whole video once; widening only refocuses
    focus = [e for e in result.trace if e.step == "perceive" and e.kind == "note"]
    assert [[tuple(w) for w in e.data["windows"]] for e in focus] == [[(0, 3)], [(0, 9)]]
    assert any("widen" in e.message for e in result.trace if e.step == "choose_referents")
    assert result.planner == "model" and len(result.referents) == 1


def test_look_action_sends_another_marked_frame(clip, base, scripted_openai, standing_id):
    scripted_openai.push(
        TIME_OK,
        ScriptedReply.glm_answer("Check 5 s.", '{"action": "look", "second": 5, "reason": "to be sure"}'),
        ScriptedReply.glm_answer("Yes.", f'{{"action": "accept", "referents": [{{"id": {standing_id}}}], '
                                         '"reason": "x"}'),
    )
    result = ground(clip, "the man standing still", _config(scripted_openai, base))
    third = scripted_openai.chat_requests[2]
    assert len(_images(third)) == 2 and "at 5 s" in _user_text(third)
    assert any(e.kind == "tool" and e.message == "look at 5 s" for e in result.trace)
    assert [r.id for r in result.referents] == [standing_id]


def test_native_tool_calls(clip, base, standing_id):
    with ScriptedOpenAI(model="zai-org/GLM-4.6V-Flash") as server:
        server.push(
            ScriptedReply.with_reasoning("A man stands right.", '{"intervals": [[0, 9]], "reason": "all"}'),
            ScriptedReply.tool_call("probe_video", {"video": clip}, reasoning="How long is it?"),
            ScriptedReply.tool_call("look", {"second": 3}),
            ScriptedReply.tool_call("answer", {"action": "accept", "referents": [{"id": standing_id}],
                                               "reason": "stands"}),
        )
        result = ground(clip, "the man standing still", _config(server, base))
        reqs = server.chat_requests
    assert result.planner == "model" and [r.id for r in result.referents] == [standing_id]
    names = {t["function"]["name"] for t in reqs[1]["tools"]}
    assert {"probe_video", "detect", "track", "crop", "render_marks", "look", "answer"} <= names
    assert "response_format" not in reqs[1]  # tools, not a JSON schema
    tool_msgs = [m for m in reqs[2]["messages"] if m["role"] == "tool"]
    assert tool_msgs and '"width": 640' in tool_msgs[0]["content"]  # probe_video's real output
    assert len(_images(reqs[3])) == 2  # the look at 3 s came back as an image
    assert any(e.message.startswith("model called probe_video") for e in result.trace)
    assert any(e.kind == "model" and e.data["reasoning"] == "A man stands right." for e in result.trace)


def test_direct_mode_parses_per_second_tracks(clip, base, scripted_openai):
    answer = json.dumps({str(k): [{"label": "man-1", "bbox_2d": [640, 311, 763, 766]}] for k in range(10)})
    scripted_openai.push(ScriptedReply.glm_answer("The man on the right never moves.", answer))
    result = ground(clip, "the man standing still", _config(scripted_openai, base, model_mode="direct"))
    assert result.planner == "model"
    (r,) = result.referents
    assert r.label == "man-1" and r.interval == (0, 9)
    x1, y1, x2, y2 = r.boxes[4]
    assert (round(x1), round(y1), round(x2), round(y2)) == (410, 112, 488, 276)  # 0-1000 -> pixels of 640x360
    req = scripted_openai.chat_requests[0]
    video = req["messages"][0]["content"][0]
    assert video["type"] == "video_url" and video["video_url"]["url"].startswith("data:video/mp4;base64,")
    assert base64.b64decode(video["video_url"]["url"].split(",", 1)[1])[4:8] == b"ftyp"
    assert "track the objects" in _user_text(req) and "the man standing still" in _user_text(req)


def test_direct_mode_garbage_falls_back_to_the_tools(clip, base, scripted_openai):
    scripted_openai.push(ScriptedReply.text("           "), ScriptedReply.text("I think there is a man."))
    result = ground(clip, "the man standing still", _config(scripted_openai, base, model_mode="direct"))
    assert result.planner == "embedded" and len(result.referents) == 1
    (fallback,) = [e for e in result.trace if e.kind == "fallback"]
    assert fallback.step == "perceive" and "no JSON" in fallback.data["error"]
    assert any(e.step == "perceive" and e.kind == "tool" for e in result.trace)  # the tools ran after all


def test_http_errors_and_malformed_bodies_are_retried(clip, base, scripted_openai, standing_id):
    scripted_openai.push(
        ScriptedReply.http_error(500, "CUDA out of memory"), TIME_OK,
        ScriptedReply.malformed(), ScriptedReply.glm_answer("ok", f'{{"action": "accept", "referents": '
                                                                   f'[{{"id": {standing_id}}}], "reason": "x"}}'),
    )
    result = ground(clip, "the man standing still", _config(scripted_openai, base))
    assert result.planner == "model" and [r.id for r in result.referents] == [standing_id]
    errors = [e.message for e in result.trace if e.kind == "error"]
    assert any("HTTP 500" in m for m in errors) and any("unusable response" in m for m in errors)


def test_unreachable_endpoint_falls_back_with_a_clear_message(clip, base):
    config = GroundConfig(planner="model", base_url="http://127.0.0.1:9/v1", model="glm", request_timeout=5, **base)
    result = ground(clip, "the man standing still", config)
    assert result.planner == "embedded" and len(result.referents) == 1
    (fallback,) = [e for e in result.trace if e.kind == "fallback"]
    assert fallback.step == "plan_time" and "cannot reach the model endpoint http://127.0.0.1:9/v1" in fallback.message
    assert sum(e.kind == "model" for e in result.trace) == 0
