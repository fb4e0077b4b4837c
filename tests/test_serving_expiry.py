"""Uploads and results go away: unused uploads and old finished jobs expire (that an upload a queued
job needs is kept is tested in ``test_serving_units.py``), and an upload cut off by a crash (SIGKILL mid-upload) leaves a ``.part`` file
that the next start removes. A real ``stag serve`` on loopback with short expiry times."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from serving_clips import cut_clip

from serving.local import LocalServer, start_local_server

TOKEN = "expiry-token-0123456789abcdef"
TTL_S = 4
pytestmark = pytest.mark.slow


def _start(state: Path, media: Path, name: str) -> LocalServer:
    return start_local_server(
        ["--media-root", str(media), "--db", str(state / "jobs.sqlite3"), "--limit", "workers=1",
         "--limit", f"upload_ttl_s={TTL_S}", "--limit", f"result_ttl_s={TTL_S}", "--limit", "sweep_interval_s=0.5",
         "--log-level", "info", "--ground", "detector=coco"],
        token=TOKEN, log_path=state / f"{name}.log",
    )


def _wait(http: httpx.Client, job_id: str, until: set[str], timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    view: dict = {}
    while time.monotonic() < deadline:
        view = http.get(f"/jobs/{job_id}").json()["result"]
        if view["state"] in until:
            return view
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} not in {until} after {timeout} s: {view}")


def _upload(http: httpx.Client, body: bytes) -> dict:
    response = http.post("/uploads", content=body, headers={"Content-Type": "video/mp4"})
    assert response.status_code == 201, response.text
    return response.json()["result"]


def test_unused_uploads_and_old_results_expire_and_a_killed_upload_leaves_nothing(tmp_path: Path) -> None:
    media, state = tmp_path / "media", tmp_path / "state"
    clip = cut_clip(media / "street3.mp4", start_s=10, seconds=3).read_bytes()
    uploads = state / "uploads"

    with _start(state, media, "first") as first, \
            httpx.Client(base_url=first.url, headers=first.headers(), timeout=120) as http:
        unused = _upload(http, clip)
        done = http.post("/jobs", json={"tool": "ground_query", "args": {"query": "the person", "video": "street3.mp4"}})
        done_id = done.json()["result"]["id"]
        _wait(http, done_id, {"succeeded"})
        time.sleep(TTL_S + 2)
        assert http.get("/uploads").json()["result"]["uploads"] == [], "the unused upload expired"
        assert not (uploads / f"{unused['id']}.video").exists()
        gone = http.get(f"/jobs/{done_id}")
        assert gone.status_code == 404, "a finished job older than the result time-to-live is deleted"

        stop = threading.Event()
        failures: list[BaseException] = []

        def slow_body() -> Iterator[bytes]:
            yield clip[:65536]
            stop.wait(60)

        def send() -> None:
            try:
                httpx.post(f"{first.url}/uploads", content=slow_body(),
                           headers={**first.headers(), "Content-Type": "video/mp4"}, timeout=60)
            except httpx.HTTPError as exc:
                failures.append(exc)

        sender = threading.Thread(target=send)
        sender.start()
        deadline = time.monotonic() + 30
        while not list(uploads.glob(".*.part")) and time.monotonic() < deadline:
            time.sleep(0.05)
        parts = list(uploads.glob(".*.part"))
        assert len(parts) == 1, "the upload in progress is a .part file"
        first.kill()
        stop.set()
        sender.join(30)
    assert parts[0].exists() and failures, "the killed server left its unfinished upload"

    with _start(state, media, "second") as second, \
            httpx.Client(base_url=second.url, headers=second.headers(), timeout=60) as http:
        assert not list(uploads.glob(".*.part")), "unfinished uploads are removed at start"
        assert "removed 1 unfinished upload" in second.log()
        assert http.get("/healthz").status_code == 200
