"""Fuzzing the parser and the reward path: random and adversarial text never raises or hangs."""

from __future__ import annotations

import json
import math
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verifier import RewardConfig, format_reward, parse, stvg_reward
from verifier.adapters import compute_score, score_batch

GT = {"width": 640, "height": 360, "interval": [2, 6],
      "boxes": {str(k): [10 * k, 20, 10 * k + 80, 200] for k in range(2, 7)}}
MULTI_GT = {"width": 640, "height": 360, "referents": [
    {"interval": [0, 3], "boxes": {str(k): [0, 0, 50, 50] for k in range(4)}},
    {"interval": [2, 5], "boxes": {str(k): [100, 100, 150, 150] for k in range(2, 6)}}]}
CONFIG = RewardConfig(w_t=1.0, w_m=2.0)
PER_CALL_LIMIT_S = 3.0      # generous for a loaded 2-core machine; typical calls take microseconds


def check(text) -> None:
    """Everything the reward path does with ``text``: no exception, bounded time, sane numbers."""
    t0 = time.perf_counter()
    p = parse(text)
    assert isinstance(p.ok, bool) and isinstance(p.reason, str)
    for gt in (GT, MULTI_GT, json.dumps(GT)):
        r = stvg_reward(text, gt, CONFIG)
        assert 0.0 <= r.reward <= CONFIG.max_reward + 1e-9
        for v in (r.tIoU, r.mvIoU, r.vIoU):
            assert 0.0 <= v <= 1.0 and math.isfinite(v)
    assert format_reward(text) in (0.0, 0.5, 1.0)
    assert set(compute_score("stag", text, json.dumps(GT))) == {"score", "tIoU", "mvIoU", "vIoU", "format", "parse_ok"}
    assert time.perf_counter() - t0 < PER_CALL_LIMIT_S


box = st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**12, 10**12),
                         st.text(max_size=5), st.none(), st.booleans()), min_size=0, max_size=6)
detection = st.fixed_dictionaries({}, optional={
    "label": st.one_of(st.text(max_size=8), st.integers(), st.none(), st.lists(st.integers(), max_size=2)),
    "bbox_2d": st.one_of(box, st.text(max_size=20), st.dictionaries(st.text(max_size=3), st.floats(), max_size=4)),
})
answer = st.dictionaries(st.one_of(st.integers(-5, 10**9).map(str), st.text(max_size=6)),
                         st.one_of(st.lists(detection, max_size=4), detection, box, st.none(), st.integers()),
                         max_size=8)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answer, st.sampled_from(["{}", "<think>x</think>{}", "<answer>{}</answer>", "```json\n{}\n```",
                                "<|begin_of_box|>{}<|end_of_box|>", "{} trailing", "garbage {}"]),
       st.integers(0, 400))
def test_random_structured_answers(obj, wrapper, cut):
    text = wrapper.replace("{}", json.dumps(obj, allow_nan=True), 1)
    check(text)
    check(text[:cut])          # truncated anywhere


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('{}[]",:0123456789.-eE tnulfasNaIiy<>/|\\\'')), max_size=400))
def test_random_json_like_noise(text):
    check(text)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_random_unicode(text):
    check(text)


def _adversarial() -> list:
    valid = json.dumps({str(k): [{"label": "p-1", "bbox_2d": [k, k, k + 50, k + 50]}] for k in range(60)})
    return [
        "[" * 200_000,                                   # deep nesting
        "{" * 200_000,
        '{"0": ' * 50_000,
        '{"a": [' * 30_000 + "1" + "]}" * 30_000,
        '{"0": [' + '{"label": "x", "bbox_2d": [1, 2, 3, 4]},' * 60_000 + "]}",   # huge but valid-ish
        "x" * 1_900_000,                                 # huge string under the limit
        "y" * 3_000_000,                                 # over the limit
        valid * 500,                                     # many candidates
        "{" + '"0": [' * 20 + "[1,2,3,4" + "]" * 21,
        '{"0": [{"label": "a", "bbox_2d": [NaN, Infinity, -Infinity, 1]}]}',
        '{"0": [{"label": "a", "bbox_2d": [1e308, 1e308, 1e309, 1e309]}]}',
        '{"0": [{"label": "a", "bbox_2d": [-50, -50, -10, -10]}]}',      # negative but valid
        '{"0": [{"label": "a", "bbox_2d": [400, 400, 100, 100]}]}',      # inverted
        '{"0": [{"label": {"nested": [1]}, "bbox_2d": [true, false, null, "4"]}]}',
        '{"99999999999999999999": [[1, 2, 3, 4]], "1e5": [[1, 2, 3, 4]]}',
        '{"0": "[1, 2, 3, 4]", "1": "1 2 3 4 5", "2": "' + "9" * 10_000 + '"}',
        "\x00\x01\x02 {\"0\": [[1,2,3,4]]} \ud800",
        '"' * 100_001,
        "\\" * 100_000 + '{"0": []}',
        "<think>" * 10_000 + "</answer>" * 10_000,
        "<answer>" + "{" * 100 + "</answer>",
        b"\xff\xfe{\"0\": []}",
        [{"role": "assistant", "content": [{"type": "text", "text": valid}]}],
        [{"role": "assistant"}], [None, 3], {"content": None}, 12, None, float("nan"),
    ]


@pytest.mark.parametrize("text", _adversarial(), ids=lambda t: repr(t)[:30])
def test_adversarial_inputs(text):
    check(text)


def test_nan_and_inverted_boxes_score_zero_not_crash():
    r = stvg_reward('{"3": [{"label": "a", "bbox_2d": [NaN, 0, 10, 10]}], "4": [{"label": "a", "bbox_2d": [50, 50, 0, 0]}]}',
                    GT, RewardConfig(coords="pixels"))
    assert r.ok and r.reward == 0.0 and "dropped 2" in r.reason


def test_bad_ground_truth_scores_zero_with_a_reason():
    for gt in ({"width": 10}, "not json", 42, {"width": 10, "height": 10, "interval": ["a", 2]}, None):
        with pytest.warns(RuntimeWarning, match="unusable ground truth"):
            r = stvg_reward("{}", gt)
        assert r.reward == 0.0 and r.reason.startswith("ground truth unusable")
    with pytest.warns(RuntimeWarning, match="lacks height"):
        assert score_batch(["x"], None, [{"width": 1}])["rewards"] == [0.0]
