"""Jobs survive the server: kill it (SIGKILL) mid-run, restart it on the same database, and every
finished result is still there, the interrupted jobs say so and resume from their last agent
checkpoint; a graceful stop (SIGTERM)
mid-run leaves the running job ``interrupted`` too. The agent is the real one on real clips."""

from __future__ import annotations

import shutil
import signal
import time
from pathlib import Path

import httpx
import pytest
from serving_clips import cut_clip

from serving.local import LocalServer, start_local_server
from tools.assets import asset_path

TOKEN = "persist-token-0123456789abcdef"
pytestmark = pytest.mark.slow


def _start(tmp: Path, media: Path, name: str) -> LocalServer:
    return start_local_server(
        ["--media-root", str(media), "--db", str(tmp / "jobs.sqlite3"), "--limit", "workers=1",
         "--limit", "max_active_per_client=8", "--log-level", "warning",
         "--ground", "detector=coco"],
        token=TOKEN, log_path=tmp / f"{name}.log",
    )


def _job(http: httpx.Client, job_id: str) -> dict:
    return http.get(f"/jobs/{job_id}").json()["result"]


def _wait(http: httpx.Client, job_id: str, pred, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view = _job(http, job_id)
        if pred(view):
            return view
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} never reached the expected state; last: {view}")


def test_kill_mid_run_then_restart_loses_nothing(tmp_path: Path) -> None:
    media = tmp_path / "media"
    cut_clip(media / "short.mp4", start_s=10, seconds=3)
    cut_clip(media / "long.mp4", start_s=5, seconds=20)
    shutil.copy(asset_path("sample_video"), media / "film.mp4")  # long, and not seen yet (no cached perception)
    submit = [
        ("ground_query", {"query": "the person", "video": "short.mp4"}),
        ("track_objects", {"target": "the person", "video": "short.mp4", "coords": "pixels"}),
        ("ground_query", {"query": "people walking", "video": "long.mp4"}),
        ("ground_query", {"query": "a car", "video": "short.mp4"}),
    ]

    with _start(tmp_path, media, "first") as first, \
            httpx.Client(base_url=first.url, headers=first.headers(), timeout=60) as http:
        ids = [http.post("/jobs", json={"tool": tool, "args": args}).json()["result"]["id"] for tool, args in submit]
        done_a = _wait(http, ids[0], lambda v: v["state"] == "succeeded")
        done_b = _wait(http, ids[1], lambda v: v["state"] == "succeeded")
        running = _wait(http, ids[2], lambda v: v["state"] == "running" and v["progress"]["fraction"] > 0)
        assert _job(http, ids[3])["state"] == "queued"
        results = {i: http.get(f"/jobs/{i}/result").json()["result"] for i in ids[:2]}
        assert first.kill() == -signal.SIGKILL
    assert done_a["attempts"] == done_b["attempts"] == 1 and running["progress"]["fraction"] < 1

    with _start(tmp_path, media, "second") as second, \
            httpx.Client(base_url=second.url, headers=second.headers(), timeout=60) as http:
        listed = {j["id"]: j for j in http.get("/jobs").json()["result"]}
        assert set(listed) == set(ids), "no job may be lost"
        for i in ids[:2]:
            assert listed[i]["state"] == "succeeded"
            assert http.get(f"/jobs/{i}/result").json()["result"] == results[i]
        for i in ids[2:]:
            assert listed[i]["state"] == "interrupted"
            assert listed[i]["error"]["type"] == "interrupted"
            assert f"POST /jobs/{i}/resume" in listed[i]["error"]["message"], "the message names the real job"
        assert listed[ids[2]]["progress"]["fraction"] > 0, "the last progress seen is kept"
        gone = http.get(f"/jobs/{ids[2]}/result")
        assert gone.status_code == 409 and gone.json()["error"]["type"] == "interrupted"

        assert http.post(f"/jobs/{ids[2]}/resume").status_code == 202
        resumed = _wait(http, ids[2], lambda v: v["state"] in {"succeeded", "failed"})
        assert resumed["state"] == "succeeded" and resumed["attempts"] == 2
        final = http.get(f"/jobs/{ids[2]}/result").json()["result"]
        assert final["video"]["path"] == "long.mp4"
        resumed_notes = [t["message"] for t in final["trace"] if t["step"] == "resume"]
        assert resumed_notes and ids[2] in resumed_notes[0], "the agent continued after its last checkpoint"

        graceful = http.post("/jobs", json={"tool": "ground_query", "args": {
            "query": "people walking", "video": "film.mp4"}}).json()["result"]["id"]
        _wait(http, graceful, lambda v: v["state"] == "running")
        assert second.stop() in (0, -signal.SIGTERM)  # uvicorn re-raises SIGTERM after its graceful shutdown

    with _start(tmp_path, media, "third") as third, \
            httpx.Client(base_url=third.url, headers=third.headers(), timeout=60) as http:
        stopped = _job(http, graceful)
        assert stopped["state"] == "interrupted", stopped
        assert graceful not in third.log(), "the graceful stop itself recorded the job as interrupted"
        assert _job(http, ids[2])["state"] == "succeeded" and _job(http, ids[3])["state"] == "interrupted"
