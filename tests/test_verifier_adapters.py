"""The reward adapters called exactly as TRL, verl and OpenRLHF call them, and the HTTP server
over loopback."""

from __future__ import annotations

import http.client
import json
import sys
import threading
from collections import defaultdict

import numpy as np
import pytest

from verifier import RewardConfig
from verifier.adapters import TrlReward, compute_score, response_of, reward_func, score_batch
from verifier.reward_server import make_server

GT = {"width": 1000, "height": 1000, "interval": [1, 3], "boxes": {str(k): [100, 100, 300, 300] for k in (1, 2, 3)}}
GT_JSON = json.dumps(GT)
PERFECT = json.dumps({str(k): [{"label": "dog-1", "bbox_2d": [100, 100, 300, 300]}] for k in (1, 2, 3)})
HALF = json.dumps({str(k): [{"label": "dog-1", "bbox_2d": [100, 100, 300, 300]}] for k in (2, 3, 4)})
PROMPT = 'Track the dog. Answer like {"0": [{"label": "car-1", "bbox_2d": [1, 2, 3, 4]}]}\n'


def test_trl_standard_and_conversational_completions():
    f = TrlReward()
    logged, extras = defaultdict(list), {}
    rewards = f(prompts=[PROMPT] * 3, completions=[PERFECT, HALF, "no idea"], completion_ids=[[1], [2], [3]],
                ground_truth=[GT, GT_JSON, GT], trainer_state=object(), task=["stvg"] * 3,
                log_metric=lambda k, v: logged[k].append(v), log_extra=lambda k, v: extras.__setitem__(k, v))
    assert rewards[0] == 2.0 and rewards[1] == pytest.approx(0.5 + 1.0) and rewards[2] == 0.0
    assert logged["stag_stvg/tIoU"] == [pytest.approx((1 + 0.5 + 0) / 3)]
    assert extras["stag_stvg_reason"][2] == "no JSON object found in the answer"
    conversational = [[{"role": "assistant", "content": PERFECT}], [{"role": "assistant", "content": HALF}]]
    assert f(prompts=[[{"role": "user", "content": PROMPT}]] * 2, completions=conversational,
             ground_truth=[GT, GT]) == rewards[:2]
    fmt = TrlReward(kind="format", require_think=True)
    assert fmt.__name__ == "stag_format"
    assert fmt(prompts=["p", "p"], completions=["<think>x</think>" + PERFECT, PERFECT]) == [1.0, 0.0]


def test_trl_configuration_errors_are_loud():
    with pytest.raises(KeyError, match="no 'ground_truth' column"):
        TrlReward()(prompts=["p"], completions=[PERFECT], solution=[GT])
    with pytest.raises(ValueError, match="1 completions but 2 ground truths"):
        TrlReward()(prompts=["p"], completions=[PERFECT], ground_truth=[GT, GT])
    assert TrlReward(gt_column="solution", name="iou")(prompts=["p"], completions=[PERFECT], solution=[GT]) == [2.0]


def test_verl_compute_score_as_the_naive_reward_manager_calls_it():
    reward_extra_info = defaultdict(list)
    rows = [(PERFECT, GT_JSON, {"index": 0}), (HALF, GT, {"index": 1, "w_m": 0.0}), ("garbage", GT_JSON, None),
            (PERFECT, {k: (np.array(v) if k == "interval" else v) for k, v in GT.items()}, {})]
    scores = []
    for solution, gt, extra in rows:
        # NaiveRewardManager: compute_score(data_source=..., solution_str=..., ground_truth=..., extra_info=...)
        score = compute_score(data_source="stag_stvg", solution_str=solution, ground_truth=gt, extra_info=extra)
        scores.append(score["score"])
        for key, value in score.items():
            reward_extra_info[key].append(value)
    assert scores == [2.0, 0.5, 0.0, 2.0]
    assert {len(v) for v in reward_extra_info.values()} == {4}          # same keys every call
    assert np.asarray(reward_extra_info["parse_ok"]).tolist() == [1.0, 1.0, 0.0, 1.0]
    # newer verl passes more keyword arguments
    assert compute_score("stag", PERFECT, GT_JSON, extra_info={}, step=3, tokenizer=None)["score"] == 2.0
    assert compute_score("stag", PERFECT, GT_JSON, extra_info={"coords": "bogus"})["score"] == 0.0


def test_openrlhf_reward_func_returns_tensors_when_torch_is_loaded():
    torch = pytest.importorskip("torch")
    assert "torch" in sys.modules
    queries = [PROMPT + PERFECT, PROMPT + HALF, PROMPT + "I give up"]
    out = reward_func(queries, [PROMPT] * 3, [GT_JSON, GT_JSON, GT_JSON])
    assert isinstance(out["rewards"], torch.Tensor) and out["rewards"].dtype == torch.float32
    assert out["rewards"].tolist() == pytest.approx([2.0, 1.5, 0.0])
    assert out["scores"].tolist() == pytest.approx([1.0, 0.75, 0.0])
    assert set(out["extra_logs"]) == {"tIoU", "mvIoU", "vIoU", "format"}
    # the prompt's example answer is never scored, even when the prompt is not a prefix
    assert response_of("<s>" + PROMPT + "{}", PROMPT) == "{}"


def test_score_batch_plain_lists_and_errors():
    out = score_batch([PERFECT], None, [GT], RewardConfig(w_t=2.0, w_m=0.0))
    assert out == {"rewards": [2.0], "scores": [1.0], "extra_logs": {"tIoU": [1.0], "mvIoU": [1.0], "vIoU": [1.0],
                                                                     "format": [1.0]}}
    with pytest.raises(ValueError, match="same length"):
        score_batch([PERFECT, PERFECT], None, [GT])


@pytest.fixture
def server():
    srv = make_server("127.0.0.1", 0, max_body=200_000)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(timeout=5)


def _post(srv, body: bytes | None, path: str = "/get_reward", headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", srv.server_address[1], timeout=10)
    conn.request("POST", path, body=body, headers=headers or {"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = json.loads(resp.read())
    conn.close()
    return resp.status, data


def test_http_server_answers_openrlhf_requests(server):
    body = json.dumps({"query": [PROMPT + PERFECT, PROMPT + HALF], "prompts": [PROMPT, PROMPT],
                       "labels": [GT_JSON, GT]}).encode()
    status, data = _post(server, body)
    assert status == 200
    assert data["rewards"] == pytest.approx([2.0, 1.5]) and data["scores"] == pytest.approx([1.0, 0.75])
    assert data["extra_logs"]["tIoU"] == pytest.approx([1.0, 0.5])
    status, data = _post(server, json.dumps({"query": ["garbage"], "labels": [GT]}).encode(), path="/")
    assert status == 200 and data["rewards"] == [0.0]
    conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
    conn.request("GET", "/health")
    assert json.loads(conn.getresponse().read()) == {"status": "ok"}
    conn.close()


@pytest.mark.parametrize("body,status,message", [
    (b"{not json", 400, "not valid JSON"),
    (b"[1, 2]", 400, "JSON object"),
    (json.dumps({"query": "x", "labels": []}).encode(), 400, "'query' must be a list"),
    (json.dumps({"query": ["a", "b"], "labels": [GT]}).encode(), 400, "same length"),
    (json.dumps({"query": ["a"], "labels": [GT], "prompts": 3}).encode(), 400, "'prompts' must be a list"),
    (b"[" * 100_000, 400, "not valid JSON"),
    (b"x" * 300_000, 413, "exceeds the limit"),
])
def test_http_server_rejects_bad_requests(server, body, status, message):
    got, data = _post(server, body)
    assert got == status and message in data["error"]


def test_http_server_needs_a_length(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
    conn.putrequest("POST", "/get_reward")
    conn.endheaders()
    resp = conn.getresponse()
    assert resp.status == 411 and "Content-Length" in json.loads(resp.read())["error"]
    conn.close()
