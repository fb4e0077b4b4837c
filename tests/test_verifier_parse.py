"""verifier.parse on the shapes real models write (GLM-V, Qwen, chat messages, broken JSON)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier import parse
from verifier.prediction import PredictedTrack, Prediction
from verifier.result import GroundingResult, Referent, VideoInfo

GLMV = '{"0": [{"label": "car-1", "bbox_2d": [100, 200, 300, 400]}, {"label": "car-2", "bbox_2d": [500, 500, 600, 600]}], "1": [{"label": "car-1", "bbox_2d": [110, 200, 310, 400]}]}'


def boxes_of(p: Prediction) -> dict[str, dict[int, tuple]]:
    return {t.label: t.boxes for t in p.tracks}


def test_glmv_norm1000_converted_with_the_image_size():
    p = parse(GLMV, image_size=(1280, 720))
    assert p.ok and p.clean and p.units == "pixels"
    assert boxes_of(p)["car-1"][0] == (100 / 1000 * 1280, 200 / 1000 * 720, 300 / 1000 * 1280, 400 / 1000 * 720)
    assert [t.label for t in p.tracks] == ["car-1", "car-2"]
    assert p.tracks[0].interval == (0, 1)


def test_norm1000_without_image_size_stays_in_1000_units_and_pixels_are_kept():
    assert parse(GLMV).units == "norm1000"
    assert boxes_of(parse(GLMV))["car-2"][0] == (500.0, 500.0, 600.0, 600.0)
    assert boxes_of(parse(GLMV, coords="pixels", image_size=(10, 10)))["car-2"][0] == (500.0, 500.0, 600.0, 600.0)


@pytest.mark.parametrize("text", [
    f"<think>The red car enters at second 0.</think>{GLMV}",
    f"<think>reasoning</think>\n<answer>{GLMV}</answer>",
    f"<answer>\n```json\n{GLMV}\n```\n</answer>",
    f"Here is the tracking result:\n```json\n{GLMV}\n```\nLet me know if you need more.",
    f"<|begin_of_box|>{GLMV}<|end_of_box|>",
    f"<think>I will output {{\"0\": []}} if nothing</think><answer>{GLMV}</answer><|user|>",
    GLMV.replace('"0"', "0").replace('"1"', "1").replace("{0", '{"0"').replace(", 1:", ', "1":'),
    f"<THINK>x</THINK><ANSWER>{GLMV}</ANSWER>",
])
def test_wrappers_fences_and_markers(text):
    p = parse(text, coords="pixels")
    assert p.ok, p.reason
    assert boxes_of(p)["car-1"] == {0: (100.0, 200.0, 300.0, 400.0), 1: (110.0, 200.0, 310.0, 400.0)}


def test_thinking_is_kept_and_the_answer_after_it_is_used():
    p = parse('<think>maybe {"0": [[1, 1, 2, 2]]}</think>{"5": [{"label": "x", "bbox_2d": [1, 2, 3, 4]}]}',
              coords="pixels")
    assert p.thinking.startswith("maybe")
    assert boxes_of(p) == {"x": {5: (1.0, 2.0, 3.0, 4.0)}}


def test_box_markers_inside_the_bbox_string():
    p = parse('{"2": [{"label": "a", "bbox_2d": "<|begin_of_box|>[10, 20, 30, 40]<|end_of_box|>"}]}', coords="pixels")
    assert boxes_of(p) == {"a": {2: (10.0, 20.0, 30.0, 40.0)}}


def test_truncated_json_keeps_the_complete_part():
    full = {str(k): [{"label": "p-1", "bbox_2d": [k, 0, k + 10, 10]}] for k in range(10)}
    text = json.dumps(full)
    for cut in (len(text) - 3, len(text) - 20, len(text) // 2):
        p = parse(text[:cut], coords="pixels")
        assert p.ok and p.recovered and not p.clean
        got = boxes_of(p)["p-1"]
        assert got and all(got[k] == (float(k), 0.0, k + 10.0, 10.0) for k in got)
        assert max(got) < 10


def test_trailing_garbage_and_leading_prose():
    p = parse("Sure! " + GLMV + " }} and more {", coords="pixels")
    assert p.ok and p.recovered and boxes_of(p)["car-2"] == {0: (500.0, 500.0, 600.0, 600.0)}
    assert parse("The answer: " + GLMV, coords="pixels").clean


def test_other_answer_shapes():
    items = '[{"time": 0, "label": "a", "bbox_2d": [1, 2, 3, 4]}, {"time": "1", "label": "a", "bbox_2d": [2, 2, 4, 4]}]'
    assert boxes_of(parse(items, coords="pixels")) == {"a": {0: (1.0, 2.0, 3.0, 4.0), 1: (2.0, 2.0, 4.0, 4.0)}}
    python = "{'0': [{'label': 'dog', 'bbox_2d': [1, 2, 3, 4]}]}"
    assert boxes_of(parse(python, coords="pixels")) == {"dog": {0: (1.0, 2.0, 3.0, 4.0)}}
    bare = '{"0": [1, 2, 3, 4], "1": [[1, 2, 3, 4]], "2": {"bbox": [1, 2, 3, 4]}}'
    assert boxes_of(parse(bare, coords="pixels")) == {"object": {s: (1.0, 2.0, 3.0, 4.0) for s in range(3)}}
    wrapped = '{"tracks": {"0": [{"label": "a", "bbox_2d": [1, 2, 3, 4]}]}}'
    assert boxes_of(parse(wrapped, coords="pixels")) == {"a": {0: (1.0, 2.0, 3.0, 4.0)}}
    by_label = '{"3": {"car-1": [1, 2, 3, 4], "car-2": [5, 6, 7, 8]}}'
    assert boxes_of(parse(by_label, coords="pixels")) == {"car-1": {3: (1.0, 2.0, 3.0, 4.0)},
                                                          "car-2": {3: (5.0, 6.0, 7.0, 8.0)}}


def test_a_stag_result_json_parses_back():
    r = GroundingResult(query="q", video=VideoInfo(path="v", width=64, height=48, fps=10, frame_count=30, duration=3),
                        referents=[Referent(id=4, label="dog", interval=(1, 2), boxes={1: (1, 1, 5, 5), 2: (2, 1, 6, 5)})])
    p = parse(r.model_dump_json(), coords="pixels")
    assert boxes_of(p) == {"dog-4": {1: (1.0, 1.0, 5.0, 5.0), 2: (2.0, 1.0, 6.0, 5.0)}}


def test_chat_messages_and_bytes():
    msgs = [{"role": "user", "content": "track"}, {"role": "assistant", "content": GLMV}]
    assert parse(msgs, coords="pixels").ok
    parts = [{"type": "text", "text": GLMV}]
    assert parse(parts, coords="pixels").ok
    assert parse(GLMV.encode(), coords="pixels").ok


def test_invalid_entries_are_dropped_and_counted():
    text = json.dumps({"0": [{"label": "a", "bbox_2d": [10, 10, 5, 20]},          # inverted
                             {"label": "b", "bbox_2d": [1, 2, 3]},                # 3 numbers
                             {"label": "c", "bbox_2d": ["x", 1, 2, 3]},           # not numbers
                             {"label": "d", "bbox_2d": [1, 2, 3, 4]},
                             {"label": "d", "bbox_2d": [1, 2, 3, 5]}],            # repeated second
                       "-1": [{"label": "e", "bbox_2d": [1, 2, 3, 4]}],
                       "1": [{"label": "f", "bbox_2d": [1, 2, 1e30, 4]}]})
    text = text.replace('"x"', "NaN")
    p = parse(text, coords="pixels")
    assert p.ok and not p.clean
    assert boxes_of(p) == {"d": {0: (1.0, 2.0, 3.0, 4.0)}}
    assert p.dropped == 6 and "dropped 6 invalid entries" in p.reason


@pytest.mark.parametrize("text,reason", [
    ("", "empty completion"),
    ("   \n", "empty completion"),
    ("I cannot find the object.", "no JSON object found in the answer"),
    ('{"query": "the car", "answer": "yes"}', "JSON found but it is not a per-second tracking answer"),
    ("[1, 2, 3]", "JSON found but it is not a per-second tracking answer"),
])
def test_garbage_gives_an_empty_prediction_with_a_reason(text, reason):
    p = parse(text)
    assert not p.ok and p.tracks == [] and p.reason == reason


def test_bad_arguments_and_types_never_raise():
    assert parse(GLMV, coords="xyxy").reason.startswith("coords must be")
    assert "image_size" in parse(GLMV, image_size=(0, 10)).reason
    assert "image_size" in parse(GLMV, image_size="big").reason
    for obj in (None, 3, 2.5, object(), {"no": "content"}, [], [1, 2]):
        p = parse(obj)
        assert not p.ok and p.reason
    assert parse("x" * 100, max_chars=10).reason == "completion longer than 10 characters"


def test_empty_answer_is_ok_and_empty():
    for text in ("{}", "<answer>{}</answer>", "```json\n{}\n```", "[]"):
        p = parse(text)
        assert p.ok and p.tracks == [] and p.main_track() is None


def test_main_track_is_the_label_in_most_seconds_ties_to_first_seen():
    p = parse('{"0": [{"label": "b", "bbox_2d": [1,1,2,2]}, {"label": "a", "bbox_2d": [1,1,2,2]}],'
              ' "1": [{"label": "a", "bbox_2d": [1,1,2,2]}], "2": [{"label": "b", "bbox_2d": [1,1,2,2]}]}')
    assert p.main_track().label == "b"
    p = parse('{"0": [{"label": "b", "bbox_2d": [1,1,2,2]}], "1": [{"label": "a", "bbox_2d": [1,1,2,2]}],'
              ' "2": [{"label": "a", "bbox_2d": [1,1,2,2]}]}')
    assert p.main_track().label == "a"


def test_prediction_to_result():
    video = VideoInfo(path="v.mp4", width=1280, height=720, fps=30, frame_count=90, duration=3)
    res = parse(GLMV, image_size=(1280, 720)).to_result("cars", video)
    assert [(r.id, r.label, r.interval) for r in res.referents] == [(1, "car-1", (0, 1)), (2, "car-2", (0, 0))]
    with pytest.raises(ValueError, match="0-1000"):
        parse(GLMV).to_result("cars", video)
    assert Prediction(tracks=[PredictedTrack(label="x")]).main_track().interval is None


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.integers(0, 200).map(str),
                       st.lists(st.fixed_dictionaries({
                           "label": st.sampled_from(["car-1", "car-2", " person-3 ", "x"]),
                           "bbox_2d": st.lists(st.one_of(st.integers(-50, 1200), st.floats(-50, 1200)),
                                               min_size=4, max_size=4)}), max_size=3), max_size=8),
       st.sampled_from([None, (640, 360), (1920, 1080)]))
def test_fast_path_and_general_path_agree(answer, size):
    """The canonical form is read by a one-pass fast path; prose in front forces the general path."""
    text = json.dumps(answer)
    fast = parse(text, image_size=size)
    general = parse("Answer: " + text, image_size=size)
    assert boxes_of(fast) == boxes_of(general)
    assert (fast.ok, fast.dropped) == (general.ok, general.dropped)
