"""The tool endpoint as a real ``stag serve`` process on loopback, driven by real clients.

One server (token, a media root with real clips, a loopback file server on the URL allow-list,
small limits) serves the whole module; the agent is the real one on clips cut from the bundled
street film. Covered: the official MCP client over streamable HTTP (list + call both tools, with
progress), the REST twin giving the same answers, the OpenAPI document, 401s, path tricks,
URL policy, size limits, corrupt videos, uploads, jobs (progress, result, cancel, resume) and 429.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import httpx2
import pytest
import yaml
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from openapi_spec_validator import validate
from serving_clips import cut_clip, text_as_video, truncated_copy

from serving.local import LocalServer, start_local_server
from serving.schemas import TrackObjectsOutput
from tools.assets import asset_path
from verifier.result import GroundingResult

TOKEN = "test-token-0123456789abcdef"
MiB = 2**20
UPLOAD_LIMIT = 3 * MiB
URL_LIMIT = 2 * MiB


class _Files(BaseHTTPRequestHandler):
    """A loopback web server: a real clip, an HTML page, an endless 'video', a bad redirect."""

    clip: bytes = b""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/clip.mp4":
            self._send(200, "video/mp4", self.clip)
        elif self.path == "/page.html":
            self._send(200, "text/html", b"<html>not a video</html>")
        elif self.path == "/big.mp4":
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(10 * MiB))
            self.end_headers()
            try:
                for _ in range(10):
                    self.wfile.write(b"\0" * MiB)
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif self.path == "/away":
            self.send_response(302)
            self.send_header("Location", "http://elsewhere.invalid/clip.mp4")
            self.end_headers()
        else:
            self._send(404, "text/plain", b"no such file")

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("media")
    cut_clip(root / "street3.mp4", start_s=10, seconds=3)
    cut_clip(root / "nested" / "street20.mp4", start_s=5, seconds=20)
    shutil.copy(asset_path("sample_video"), root / "street60.mp4")
    truncated_copy(asset_path("sample_video"), root / "broken.mp4")
    text_as_video(root / "notes.mp4")
    outside = tmp_path_factory.mktemp("outside")
    shutil.copy(root / "street3.mp4", outside / "secret.mp4")
    (root / "escape.mp4").symlink_to(outside / "secret.mp4")
    (root / "linkdir").symlink_to(outside, target_is_directory=True)
    return root


@pytest.fixture(scope="module")
def files(media: Path) -> Iterator[str]:
    _Files.clip = (media / "street3.mp4").read_bytes()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def server(media: Path, files: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    state = tmp_path_factory.mktemp("state")
    srv = start_local_server(
        ["--media-root", str(media), "--db", str(state / "jobs.sqlite3"), "--allow-url-host", files,
         "--limit", f"max_upload_bytes={UPLOAD_LIMIT}", "--limit", f"max_url_bytes={URL_LIMIT}",
         "--limit", "max_active_per_client=2", "--limit", "workers=1", "--log-level", "warning",
         "--ground", "detector=coco"],  # fast settings: these tests are about the endpoint
        token=TOKEN, log_path=state / "server.log",
    )
    yield srv
    srv.stop()


@pytest.fixture()
def http(server: LocalServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=server.headers(), timeout=300) as client:
        yield client


def _error(response: httpx.Response, status: int, kind: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["ok"] is False and body["error"]["type"] == kind, body
    return body["error"]["message"]


def _wait_job(http: httpx.Client, job_id: str, until: set[str], timeout: float = 240) -> list[dict]:
    """Poll a job until its state is in ``until``; every view seen, in order."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view = http.get(f"/jobs/{job_id}").json()["result"]
        seen.append(view)
        if view["state"] in until:
            return seen
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} not in {until} after {timeout} s: {seen[-1]}")


# -- MCP and the REST twin ---------------------------------------------------------------------------

async def _mcp_calls(server: LocalServer) -> tuple[list, dict, dict, list]:
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, total, message))

    timeout = httpx2.Timeout(30, read=300)
    async with (
        httpx2.AsyncClient(headers=server.headers(), timeout=timeout) as http_client,
        Client(streamable_http_client(f"{server.url}/mcp", http_client=http_client)) as client,
    ):
        listed = (await client.list_tools()).tools
        tracks = await client.call_tool(
            "track_objects", {"target": "the person", "video": "street3.mp4", "coords": "pixels"},
            progress_callback=on_progress,
        )
        grounded = await client.call_tool(
            "ground_query", {"query": "the person", "video": "street3.mp4"}, progress_callback=on_progress
        )
    assert not tracks.is_error, tracks.content
    assert not grounded.is_error, grounded.content
    return listed, tracks.structured_content, grounded.structured_content, progress


def test_mcp_lists_and_calls_both_tools_and_rest_twin_agrees(server: LocalServer, http: httpx.Client) -> None:
    listed, tracks, grounded, progress = asyncio.run(_mcp_calls(server))

    by_name = {t.name: t for t in listed}
    assert set(by_name) == {"track_objects", "ground_query", "job_submit", "job_status", "job_result", "job_cancel"}
    assert {"target", "video", "coords"} <= set(by_name["track_objects"].input_schema["properties"])
    assert {"query", "video"} <= set(by_name["ground_query"].input_schema["properties"])
    assert "tracks" in by_name["track_objects"].output_schema["properties"]
    assert "referents" in by_name["ground_query"].output_schema["properties"]
    assert "Output the object tracking results for" in by_name["track_objects"].description

    out = TrackObjectsOutput.model_validate(tracks)
    assert out.prompt == "Output the object tracking results for the person in the video."
    assert out.referents, "the person walking in this clip must be found"
    assert out.video.path == "street3.mp4" and out.video.width == 640
    for second, detections in out.tracks.items():
        assert 0 <= int(second) <= 3
        for d in detections:
            x1, y1, x2, y2 = d.bbox_2d
            assert 0 <= x1 < x2 <= 640 and 0 <= y1 < y2 <= 360
    result = GroundingResult.model_validate(grounded)
    assert result.referents and result.trace and result.query == "the person"
    assert progress and all(0.0 <= value <= 1.0 for value, _, _ in progress)

    rest_tracks = http.post("/tools/invoke", json={"tool": "track_objects", "args": {
        "target": "the person", "video": "street3.mp4", "coords": "pixels"}})
    assert rest_tracks.status_code == 200 and rest_tracks.json()["ok"] is True
    assert rest_tracks.json()["result"] == tracks
    rest_ground = http.post("/tools/invoke", json={"tool": "ground_query", "args": {
        "query": "the person", "video": "street3.mp4"}}).json()
    assert rest_ground["ok"] is True
    rest_result = GroundingResult.model_validate(rest_ground["result"])
    assert rest_result.referents == result.referents and rest_result.video == result.video

    norm = http.post("/tools/invoke", json={"tool": "track_objects", "args": {
        "target": "the person", "video": "street3.mp4"}}).json()["result"]
    assert norm["coords"] == "norm1000"
    assert norm["referents"] == tracks["referents"]
    assert all(0 <= v <= 1000 for ds in norm["tracks"].values() for d in ds for v in d["bbox_2d"])


def test_mcp_tool_errors_carry_the_reason(server: LocalServer) -> None:
    async def call() -> list:
        async with (
            httpx2.AsyncClient(headers=server.headers()) as http_client,
            Client(streamable_http_client(f"{server.url}/mcp", http_client=http_client)) as client,
        ):
            return [
                await client.call_tool("ground_query", {"query": "the person", "video": "../secret.mp4"}),
                await client.call_tool("ground_query", {"query": "the person", "video": "notes.mp4"}),
            ]

    traversal, corrupt = asyncio.run(call())
    assert traversal.is_error and "forbidden" in traversal.content[0].text and ".." in traversal.content[0].text
    assert corrupt.is_error and "invalid_video" in corrupt.content[0].text


def test_openapi_document_validates(http: httpx.Client) -> None:
    spec = http.get("/openapi.json").json()
    validate(spec)
    assert {"/tools/invoke", "/tools", "/jobs", "/jobs/{job_id}", "/jobs/{job_id}/result",
            "/jobs/{job_id}/cancel", "/jobs/{job_id}/resume", "/uploads", "/uploads/{upload_id}"} <= set(spec["paths"])
    assert {"get", "delete"} <= set(spec["paths"]["/jobs/{job_id}"]) and "delete" in spec["paths"]["/uploads/{upload_id}"]
    schemas = spec["components"]["schemas"]
    assert "TrackObjectsOutput" in schemas and "GroundingResult" in schemas and "Failed" in schemas
    tools = http.get("/tools").json()["result"]
    assert [t["name"] for t in tools] == ["track_objects", "ground_query"]


# -- authentication ----------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token-0123456789"},
                                     {"Authorization": f"Basic {TOKEN}"}])
def test_requests_without_the_token_get_401(server: LocalServer, headers: dict[str, str]) -> None:
    body = {"tool": "ground_query", "args": {"query": "the person", "video": "street3.mp4"}}
    for method, path, payload in [("POST", "/tools/invoke", body), ("POST", "/mcp", {"jsonrpc": "2.0"}),
                                  ("GET", "/openapi.json", None), ("GET", "/jobs", None),
                                  ("POST", "/uploads", None)]:
        response = httpx.request(method, f"{server.url}{path}", json=payload, headers=headers)
        message = _error(response, 401, "unauthorized")
        assert "token" in message
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert httpx.get(f"{server.url}/healthz").status_code == 200


# -- where videos may come from ----------------------------------------------------------------------

@pytest.mark.parametrize(("ref", "status", "kind", "says"), [
    ("../secret.mp4", 403, "forbidden", "'..'"),
    ("nested/../../outside.mp4", 403, "forbidden", "'..'"),
    ("/etc/passwd", 403, "forbidden", "outside the media roots"),
    ("escape.mp4", 403, "forbidden", "symbolic link"),
    ("linkdir/secret.mp4", 403, "forbidden", "symbolic link"),
    ("missing.mp4", 404, "not_found", "no video 'missing.mp4'"),
    ("nested", 400, "invalid_args", "not a file"),
    ("upload:../../etc/passwd", 400, "invalid_args", "not an upload id"),
    ("upload:" + "0" * 32, 404, "not_found", "no upload"),
    ("file:///etc/passwd", 403, "forbidden", "only http and https"),
])
def test_video_references_are_confined(http: httpx.Client, ref: str, status: int, kind: str, says: str) -> None:
    response = http.post("/tools/invoke", json={"tool": "ground_query", "args": {"query": "the person", "video": ref}})
    message = _error(response, status, kind)
    assert says in message
    assert "/tmp" not in message and "pytest" not in message, "server paths must not leak"


def test_urls_only_from_allowed_hosts_with_type_and_size_limits(http: httpx.Client, files: str) -> None:
    ask = lambda url: http.post("/tools/invoke", json={
        "tool": "ground_query", "args": {"query": "the person", "video": url}})
    assert "not on this server's URL allow-list" in _error(ask("http://example.com/clip.mp4"), 403, "forbidden")
    assert "not on this server's URL allow-list" in _error(ask(f"http://127.0.0.2:{files.split(':')[1]}/clip.mp4"),
                                                          403, "forbidden")
    assert "allow-list" in _error(ask(f"http://{files}/away"), 403, "forbidden")
    assert "credentials" in _error(ask(f"http://user:pw@{files}/clip.mp4"), 403, "forbidden")
    assert "text/html" in _error(ask(f"http://{files}/page.html"), 415, "unsupported_media_type")
    assert f"limit of {URL_LIMIT} bytes" in _error(ask(f"http://{files}/big.mp4"), 413, "too_large")
    assert "HTTP 404" in _error(ask(f"http://{files}/nothing.mp4"), 502, "url_fetch_failed")

    fetched = ask(f"http://{files}/clip.mp4")
    assert fetched.status_code == 200, fetched.text
    result = GroundingResult.model_validate(fetched.json()["result"])
    assert result.video.path.startswith("upload:") and result.video.width == 640
    assert result.referents


# -- sizes and broken files ------------------------------------------------------------------------

def test_oversized_requests_and_uploads_get_413(http: httpx.Client, server: LocalServer) -> None:
    uploads = Path(server.log_path).parent / "uploads"
    before = set(uploads.iterdir())
    big = b"\0" * (UPLOAD_LIMIT + MiB)
    message = _error(http.post("/uploads", content=big, headers={"Content-Type": "video/mp4"}), 413, "too_large")
    assert f"limit of {UPLOAD_LIMIT} bytes" in message

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is enforced while streaming
        for _ in range(4):
            yield b"\0" * MiB

    streamed = http.post("/uploads", content=chunks(), headers={"Content-Type": "video/mp4"})
    assert "larger than the limit" in _error(streamed, 413, "too_large")

    huge_json = {"tool": "ground_query", "args": {"query": "x" * (3 * MiB), "video": "street3.mp4"}}
    assert "request body is larger" in _error(http.post("/tools/invoke", json=huge_json), 413, "too_large")
    mcp = httpx.post(f"{server.url}/mcp", content=b"{" + b" " * (3 * MiB) + b"}",
                     headers={**server.headers(), "Content-Type": "application/json",
                              "Accept": "application/json, text/event-stream"})
    assert mcp.status_code == 413
    assert set(uploads.iterdir()) == before, "refused uploads must leave nothing behind"


def test_corrupt_and_wrong_videos_get_clear_errors(http: httpx.Client, media: Path) -> None:
    for name in ("notes.mp4", "broken.mp4"):
        response = http.post("/tools/invoke", json={"tool": "ground_query",
                                                    "args": {"query": "the person", "video": name}})
        message = _error(response, 422, "invalid_video")
        assert name in message and str(media) not in message
    upload = lambda body, kind="video/mp4": http.post("/uploads", content=body, headers={"Content-Type": kind})
    assert "not a video" in _error(upload((media / "notes.mp4").read_bytes()), 422, "invalid_video")
    assert "upload:" in _error(upload((media / "broken.mp4").read_bytes()), 422, "invalid_video")
    assert "empty" in _error(upload(b""), 422, "invalid_video")
    assert "text/plain" in _error(upload(b"hello", "text/plain"), 415, "unsupported_media_type")
    bad_args = http.post("/tools/invoke", json={"tool": "ground_query", "args": {"query": " ", "video": "street3.mp4"}})
    assert "query" in _error(bad_args, 400, "invalid_args")
    broken_json = http.post("/tools/invoke", content=b'{"tool": ', headers={"Content-Type": "application/json"})
    assert "not valid JSON" in _error(broken_json, 400, "invalid_args")
    assert "no route GET /nowhere" in _error(http.get("/nowhere"), 404, "not_found")
    unknown = http.post("/tools/invoke", json={"tool": "rm_rf", "args": {}})
    assert "track_objects" in _error(unknown, 404, "unknown_tool")
    detector_path = http.post("/tools/invoke", json={"tool": "ground_query", "args": {
        "query": "the person", "video": "street3.mp4", "options": {"detector": "/etc/passwd"}}})
    assert "detector" in _error(detector_path, 400, "invalid_args")


def test_upload_then_ground(http: httpx.Client, media: Path) -> None:
    uploaded = http.post("/uploads", content=(media / "street3.mp4").read_bytes(),
                         headers={"Content-Type": "video/mp4"})
    assert uploaded.status_code == 201, uploaded.text
    view = uploaded.json()["result"]
    assert view["video"] == f"upload:{view['id']}" and view["info"]["duration"] == pytest.approx(3.0, abs=0.1)
    answer = http.post("/tools/invoke", json={"tool": "track_objects",
                                              "args": {"target": "the person", "video": view["video"]}})
    assert answer.status_code == 200 and answer.json()["result"]["referents"]


# -- jobs --------------------------------------------------------------------------------------------

def test_job_progress_result_cancel_resume_and_429(http: httpx.Client) -> None:
    args = {"query": "people walking", "video": "nested/street20.mp4"}
    submitted = http.post("/jobs", json={"tool": "ground_query", "args": args})
    assert submitted.status_code == 202
    job = submitted.json()["result"]
    assert job["state"] in {"queued", "running"} and job["attempts"] in {0, 1}

    second = http.post("/jobs", json={"tool": "track_objects", "args": {"target": "people", "video": "street3.mp4"}})
    assert second.status_code == 202
    refused = http.post("/jobs", json={"tool": "ground_query", "args": args})
    assert "limit 2" in _error(refused, 429, "too_many_requests")
    assert int(refused.headers["retry-after"]) > 0

    not_yet = http.get(f"/jobs/{job['id']}/result")
    if not_yet.status_code == 409:
        assert f"poll GET /jobs/{job['id']}" in not_yet.json()["error"]["message"]
    seen = _wait_job(http, job["id"], {"succeeded"})
    running = [v["progress"]["fraction"] for v in seen if v["state"] == "running"]
    assert any(0.0 < f < 1.0 for f in running), f"progress must be visible while running: {running}"
    assert [v["progress"]["fraction"] for v in seen] == sorted(v["progress"]["fraction"] for v in seen)
    result = http.get(f"/jobs/{job['id']}/result").json()["result"]
    assert GroundingResult.model_validate(result).video.path == "nested/street20.mp4"
    _wait_job(http, second.json()["result"]["id"], {"succeeded"})

    long_args = {"query": "people walking", "video": "street60.mp4"}
    long_job = http.post("/jobs", json={"tool": "ground_query", "args": long_args}).json()["result"]
    _wait_job(http, long_job["id"], {"running"})
    assert http.post(f"/jobs/{long_job['id']}/cancel").json()["result"]["state"] in {"running", "cancelled"}
    cancelled = _wait_job(http, long_job["id"], {"cancelled", "succeeded", "failed"})[-1]
    assert cancelled["state"] == "cancelled" and cancelled["attempts"] == 1
    assert "cancelled" in _error(http.get(f"/jobs/{long_job['id']}/result"), 409, "cancelled")
    resumed = http.post(f"/jobs/{long_job['id']}/resume")
    assert resumed.status_code == 202 and resumed.json()["result"]["state"] in {"queued", "running"}
    _wait_job(http, long_job["id"], {"running"})
    http.post(f"/jobs/{long_job['id']}/cancel")
    again = _wait_job(http, long_job["id"], {"cancelled", "succeeded", "failed"})[-1]
    assert again["state"] == "cancelled" and again["attempts"] == 2
    assert "only interrupted" in _error(http.post(f"/jobs/{job['id']}/resume"), 409, "not_ready")

    assert "job_id" in _error(http.get("/jobs/not-a-job-id"), 400, "invalid_args")
    assert "no job" in _error(http.get(f"/jobs/{'f' * 32}"), 404, "not_found")
    listed = http.get("/jobs", params={"state": "succeeded"}).json()["result"]
    assert job["id"] in {j["id"] for j in listed} and long_job["id"] not in {j["id"] for j in listed}


# -- the OpenClaw skill folder -----------------------------------------------------------------------

OPENCLAW = Path(__file__).resolve().parent.parent / "serving" / "openclaw"
SKILL = OPENCLAW / "stag-video-grounding"


def test_openclaw_skill_script_and_mcp_config_work_against_the_server(server: LocalServer, media: Path) -> None:
    script = [sys.executable, str(SKILL / "scripts" / "stag_tool.py")]
    env = {**os.environ, "STAG_URL": server.url, "STAG_TOKEN": TOKEN}

    def run(*args: str, env: dict[str, str] = env) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*script, *args], env=env, capture_output=True, text=True, timeout=300, check=False)

    uploaded = run("upload", str(media / "street3.mp4"))
    assert uploaded.returncode == 0, uploaded.stderr
    video = json.loads(uploaded.stdout)["video"]
    tracked = run("track", "the person", video, "--coords", "pixels")
    assert tracked.returncode == 0, tracked.stderr
    out = TrackObjectsOutput.model_validate_json(tracked.stdout)
    assert out.referents and out.coords == "pixels"
    refused = run("ground", "the person", "../secret.mp4")
    assert refused.returncode == 1 and refused.stderr.startswith("error forbidden:")
    no_token = run("track", "the person", video, env={**env, "STAG_TOKEN": ""})
    assert no_token.returncode == 1 and no_token.stderr.startswith("error unauthorized:")
    assert run("delete-upload", video).returncode == 0
    gone = run("delete-upload", video)
    assert gone.returncode == 1 and gone.stderr.startswith("error not_found:")

    skill = (SKILL / "SKILL.md").read_text()
    front = yaml.safe_load(skill.split("---")[1])
    assert front["name"] == "stag-video-grounding" and "track" in front["description"]
    assert set(front["metadata"]["openclaw"]["requires"]["env"]) == {"STAG_URL", "STAG_TOKEN"}
    assert "{baseDir}/scripts/stag_tool.py" in skill

    entry = json.loads((OPENCLAW / "mcp_servers.json").read_text())["mcp"]["servers"]["stag"]
    assert entry["transport"] == "streamable-http" and entry["url"].endswith("/mcp")
    url = entry["url"].replace("http://127.0.0.1:8765", server.url)
    headers = {k: v.replace("${STAG_TOKEN}", TOKEN) for k, v in entry["headers"].items()}

    async def listed() -> set[str]:
        async with (
            httpx2.AsyncClient(headers=headers) as http_client,
            Client(streamable_http_client(url, http_client=http_client)) as client,
        ):
            return {t.name for t in (await client.list_tools()).tools}

    assert {"track_objects", "ground_query"} <= asyncio.run(listed())
