"""Clients of one ``stag serve`` cannot touch each other's work, and cannot starve each other.

A real server on loopback started as ``stag serve --token A --token B --admin-token C``: two clients
and an admin. Covered: isolation on every route (listings, job status, result, cancel, resume,
delete, jobs on another's upload, upload delete, the MCP job tools and sessions), the admin's view,
upload and job deletion, the per-client disk quota, a cancelled queued job freeing its slot at
once, MCP session exhaustion by one client leaving another served (and REST unaffected), the
413 envelope for chunked and deeply nested bodies, bounded error bodies, one-line MCP argument
errors, the job tools over MCP, and a clear reason for an https URL to an http-only host.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from serving_clips import cut_clip

from serving.local import LocalServer, start_local_server
from tools.assets import asset_path

ALICE = "alice-token-0123456789abcdef"
BOB = "bob-token-0123456789abcdef-bob"
ADMIN = "admin-token-0123456789abcdef"
MiB = 2**20
SESSIONS_PER_CLIENT = 3
SESSION_IDLE_S = 6
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}}}
MCP_ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


class _Clip(BaseHTTPRequestHandler):
    """A loopback web server (http only) with one real clip."""

    clip: bytes = b""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(len(self.clip)))
        self.end_headers()
        self.wfile.write(self.clip)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("media")
    cut_clip(root / "street3.mp4", start_s=10, seconds=3)
    shutil.copy(asset_path("sample_video"), root / "street60.mp4")
    return root


@pytest.fixture(scope="module")
def files(media: Path) -> Iterator[str]:
    _Clip.clip = (media / "street3.mp4").read_bytes()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Clip)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def clip_bytes(media: Path) -> bytes:
    return (media / "street3.mp4").read_bytes()


@pytest.fixture(scope="module")
def server(media: Path, files: str, clip_bytes: bytes, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    state = tmp_path_factory.mktemp("state")
    quota = int(len(clip_bytes) * 2.5)  # two uploads of the clip fit, a third does not
    srv = start_local_server(
        ["--token", ALICE, "--token", BOB, "--admin-token", ADMIN, "--media-root", str(media),
         "--db", str(state / "jobs.sqlite3"), "--allow-url-host", files,
         "--limit", "max_active_per_client=2", "--limit", "workers=1", "--limit", f"max_client_bytes={quota}",
         "--limit", f"max_mcp_sessions_per_client={SESSIONS_PER_CLIENT}",
         "--limit", f"mcp_session_idle_s={SESSION_IDLE_S}", "--log-level", "warning",
         "--ground", "detector=coco"],  # fast settings: these tests are about the endpoint
        log_path=state / "server.log",
    )
    yield srv
    srv.stop()


def _client(server: LocalServer, token: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=300)


@pytest.fixture()
def alice(server: LocalServer) -> Iterator[httpx.Client]:
    with _client(server, ALICE) as c:
        yield c


@pytest.fixture()
def bob(server: LocalServer) -> Iterator[httpx.Client]:
    with _client(server, BOB) as c:
        yield c


@pytest.fixture()
def admin(server: LocalServer) -> Iterator[httpx.Client]:
    with _client(server, ADMIN) as c:
        yield c


def _error(response: httpx.Response, status: int, kind: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["ok"] is False and body["error"]["type"] == kind, body
    return body["error"]["message"]


def _upload(http: httpx.Client, body: bytes) -> dict:
    response = http.post("/uploads", content=body, headers={"Content-Type": "video/mp4"})
    assert response.status_code == 201, response.text
    return response.json()["result"]


def _wait(http: httpx.Client, job_id: str, until: set[str], timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    view: dict = {}
    while time.monotonic() < deadline:
        view = http.get(f"/jobs/{job_id}").json()["result"]
        if view["state"] in until:
            return view
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} not in {until} after {timeout} s: {view}")


def _submit(http: httpx.Client, tool: str, args: dict) -> dict:
    response = http.post("/jobs", json={"tool": tool, "args": args})
    assert response.status_code == 202, response.text
    return response.json()["result"]


def _delete_uploads(http: httpx.Client) -> None:
    for upload in http.get("/uploads").json()["result"]["uploads"]:
        http.delete(f"/uploads/{upload['id']}")


# -- isolation -----------------------------------------------------------------------------------------

def _saved_steps(server: LocalServer, job_id: str) -> int:
    with sqlite3.connect(server.log_path.parent / "checkpoints.sqlite3") as db:
        return db.execute("SELECT COUNT(*) FROM checkpoints WHERE thread_id = ?", (job_id,)).fetchone()[0]


def test_two_clients_are_isolated_on_every_route(alice: httpx.Client, bob: httpx.Client, admin: httpx.Client,
                                                 clip_bytes: bytes, server: LocalServer) -> None:
    upload = _upload(alice, clip_bytes)
    job = _submit(alice, "track_objects", {"target": "the person", "video": upload["video"]})
    done = _wait(alice, job["id"], {"succeeded"})
    assert done["args"]["video"] == upload["video"]
    assert alice.get(f"/jobs/{job['id']}/result").json()["result"]["referents"]

    assert job["id"] not in {j["id"] for j in bob.get("/jobs").json()["result"]}
    assert upload["id"] not in {u["id"] for u in bob.get("/uploads").json()["result"]["uploads"]}
    assert upload["video"] not in bob.get("/jobs").text
    nobody = "f" * 32
    for method, path in [("GET", "/jobs/{}"), ("GET", "/jobs/{}/result"), ("POST", "/jobs/{}/cancel"),
                         ("POST", "/jobs/{}/resume"), ("DELETE", "/jobs/{}")]:
        theirs = _error(bob.request(method, path.format(job["id"])), 404, "not_found")
        missing = _error(bob.request(method, path.format(nobody)), 404, "not_found")
        assert theirs == missing.replace(nobody, job["id"]), "another's job looks exactly like no job"
    for tool, args in [("track_objects", {"target": "the person", "video": upload["video"]}),
                       ("ground_query", {"query": "the person", "video": upload["video"]})]:
        assert "no upload" in _error(bob.post("/jobs", json={"tool": tool, "args": args}), 404, "not_found")
        assert "no upload" in _error(bob.post("/tools/invoke", json={"tool": tool, "args": args}), 404, "not_found")
    assert "no upload" in _error(bob.delete(f"/uploads/{upload['id']}"), 404, "not_found")

    assert job["id"] in {j["id"] for j in admin.get("/jobs").json()["result"]}, "the admin sees everyone's jobs"
    assert upload["id"] in {u["id"] for u in admin.get("/uploads").json()["result"]["uploads"]}
    assert admin.get(f"/jobs/{job['id']}/result").status_code == 200
    assert _wait(alice, job["id"], {"succeeded"})["state"] == "succeeded", "nothing bob did reached alice's job"
    assert _saved_steps(server, job["id"]) > 0
    assert alice.delete(f"/jobs/{job['id']}").json()["result"] == {"id": job["id"], "deleted": True}
    assert _saved_steps(server, job["id"]) == 0, "the agent's saved steps go with the job"
    assert alice.delete(f"/uploads/{upload['id']}").status_code == 200


def test_another_clients_running_job_cannot_be_cancelled_or_resumed(alice: httpx.Client, bob: httpx.Client) -> None:
    long_job = _submit(alice, "ground_query", {"query": "people walking", "video": "street60.mp4"})
    queued = _submit(alice, "track_objects", {"target": "people", "video": "street3.mp4"})
    _error(alice.post("/jobs", json={"tool": "ground_query", "args": {"query": "a car", "video": "street3.mp4"}}),
           429, "too_many_requests")
    _wait(alice, long_job["id"], {"running"})
    _error(bob.post(f"/jobs/{long_job['id']}/cancel"), 404, "not_found")
    _error(bob.post(f"/jobs/{long_job['id']}/resume"), 404, "not_found")
    assert "cancel it" in _error(alice.delete(f"/jobs/{long_job['id']}"), 409, "not_ready")

    assert alice.post(f"/jobs/{queued['id']}/cancel").json()["result"]["state"] == "cancelled"
    third = _submit(alice, "ground_query", {"query": "a car", "video": "street3.mp4"})  # the slot is free at once
    alice.post(f"/jobs/{third['id']}/cancel")
    assert _wait(alice, long_job["id"], {"running", "succeeded"})["state"] in {"running", "succeeded"}
    alice.post(f"/jobs/{long_job['id']}/cancel")
    assert _wait(alice, long_job["id"], {"cancelled", "succeeded"})["state"] in {"cancelled", "succeeded"}
    for job_id in (long_job["id"], queued["id"], third["id"]):
        _wait(alice, job_id, {"cancelled", "succeeded", "failed"})
        assert alice.delete(f"/jobs/{job_id}").status_code == 200
        _error(alice.get(f"/jobs/{job_id}"), 404, "not_found")


# -- uploads: delete and quota -------------------------------------------------------------------------

def test_upload_delete_and_per_client_quota(alice: httpx.Client, bob: httpx.Client, clip_bytes: bytes,
                                            server: LocalServer) -> None:
    uploads_dir = server.log_path.parent / "uploads"
    first, second = _upload(alice, clip_bytes), _upload(alice, clip_bytes)
    listing = alice.get("/uploads").json()["result"]
    assert listing["used_bytes"] == 2 * len(clip_bytes) and listing["quota_bytes"] < 3 * len(clip_bytes)
    over = alice.post("/uploads", content=clip_bytes, headers={"Content-Type": "video/mp4"})
    assert "disk quota" in _error(over, 413, "quota_exceeded")

    def chunks() -> Iterator[bytes]:  # no Content-Length: the quota is enforced while streaming
        for start in range(0, len(clip_bytes), 64 * 1024):
            yield clip_bytes[start:start + 64 * 1024]

    assert "disk quota" in _error(alice.post("/uploads", content=chunks(), headers={"Content-Type": "video/mp4"}),
                                  413, "quota_exceeded")
    assert _upload(bob, clip_bytes)["id"], "the quota is per client: bob still has room"
    _delete_uploads(bob)

    assert alice.delete(f"/uploads/{first['id']}").status_code == 200
    assert not (uploads_dir / f"{first['id']}.video").exists()
    _error(alice.delete(f"/uploads/{first['id']}"), 404, "not_found")
    _error(alice.post("/jobs", json={"tool": "track_objects", "args": {"target": "x", "video": first["video"]}}),
           404, "not_found")
    third = _upload(alice, clip_bytes)  # room again
    assert not [p for p in uploads_dir.iterdir() if p.name.endswith(".part")], "refused uploads leave nothing"
    for upload in (second, third):
        alice.delete(f"/uploads/{upload['id']}")
    assert alice.get("/uploads").json()["result"] == {"uploads": [], "used_bytes": 0,
                                                      "quota_bytes": listing["quota_bytes"]}


# -- MCP: sessions per client, job tools, errors -------------------------------------------------------

def _open_session(server: LocalServer, token: str) -> httpx.Response:
    return httpx.post(f"{server.url}/mcp", json=INIT, headers={"Authorization": f"Bearer {token}", **MCP_ACCEPT})


async def _list_tools(server: LocalServer, token: str) -> tuple[set[str], object]:
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http_client,
        Client(streamable_http_client(f"{server.url}/mcp", http_client=http_client)) as client,
    ):
        return {t.name for t in (await client.list_tools()).tools}, client.protocol_version


def test_one_client_exhausting_mcp_sessions_leaves_others_served(server: LocalServer, bob: httpx.Client) -> None:
    opened = [_open_session(server, BOB) for _ in range(SESSIONS_PER_CLIENT)]
    assert all(r.status_code == 200 and r.headers["mcp-session-id"] for r in opened)
    refused = _open_session(server, BOB)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert f"limit {SESSIONS_PER_CLIENT}" in refused.json()["error"]["message"]

    names, _ = asyncio.run(_list_tools(server, ALICE))
    assert "track_objects" in names, "alice is still served while bob holds all his sessions"
    names, protocol = asyncio.run(_list_tools(server, BOB))
    assert "track_objects" in names and protocol == "2026-07-28", "sessionless requests are never refused"
    assert bob.get("/jobs").status_code == 200, "REST is not counted against MCP sessions"
    stolen = httpx.post(f"{server.url}/mcp", json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
                        headers={"Authorization": f"Bearer {ALICE}", "mcp-session-id": opened[0].headers["mcp-session-id"],
                                 "mcp-protocol-version": "2025-06-18", **MCP_ACCEPT})
    assert stolen.status_code == 404, "a session answers only the client that opened it"

    closed = httpx.delete(f"{server.url}/mcp", headers={"Authorization": f"Bearer {BOB}", **MCP_ACCEPT,
                                                        "mcp-session-id": opened[0].headers["mcp-session-id"],
                                                        "mcp-protocol-version": "2025-06-18"})
    assert closed.status_code < 300, closed.text
    assert _open_session(server, BOB).status_code == 200, "closing a session frees its place"
    assert _open_session(server, BOB).status_code == 429
    time.sleep(SESSION_IDLE_S + 2)
    assert _open_session(server, BOB).status_code == 200, "idle sessions expire"


def test_mcp_job_tools_are_owned_and_the_server_offers_only_tools(server: LocalServer, media: Path) -> None:
    async def run() -> dict:
        out: dict = {}
        async with (
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {ALICE}"}, timeout=httpx2.Timeout(30, read=300)) as h1,
            Client(streamable_http_client(f"{server.url}/mcp", http_client=h1)) as mine,
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {BOB}"}) as h2,
            Client(streamable_http_client(f"{server.url}/mcp", http_client=h2)) as theirs,
        ):
            out["caps"] = mine.server_capabilities
            out["tools"] = {t.name: t for t in (await mine.list_tools()).tools}
            submitted = await mine.call_tool("job_submit", {"tool": "track_objects", "args": {
                "target": "the person", "video": "street3.mp4", "coords": "pixels"}})
            assert not submitted.is_error, submitted.content
            job_id = submitted.structured_content["id"]
            out["other"] = [await theirs.call_tool(name, {"job_id": job_id})
                            for name in ("job_status", "job_result", "job_cancel")]
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline:
                status = await mine.call_tool("job_status", {"job_id": job_id})
                if status.structured_content["state"] not in {"queued", "running"}:
                    break
                await asyncio.sleep(0.2)
            out["status"] = status.structured_content
            out["result"] = await mine.call_tool("job_result", {"job_id": job_id})
            out["bad"] = [
                await mine.call_tool("ground_query", {"query": 5, "video": ["x"], "extra": 1}),
                await mine.call_tool("job_status", {"job_id": "../etc"}),
                await mine.call_tool("job_submit", {"tool": "rm_rf", "args": {}}),
            ]
            out["too_many_keys"] = await mine.call_tool(
                "ground_query", {"query": "q", "video": "street3.mp4", **{f"k{i}": i for i in range(5000)}})
        return out

    out = asyncio.run(run())
    assert out["caps"].resources is None and out["caps"].prompts is None and out["caps"].tools is not None
    assert {"track_objects", "ground_query", "job_submit", "job_status", "job_result", "job_cancel"} == set(out["tools"])
    assert "job_id" in out["tools"]["job_status"].input_schema["properties"]
    for answer in out["other"]:
        assert answer.is_error and "not_found" in answer.content[0].text
    assert out["status"]["state"] == "succeeded"
    result = out["result"].structured_content
    assert result["tool"] == "track_objects" and result["result"]["coords"] == "pixels" and result["result"]["referents"]
    for bad in [*out["bad"], out["too_many_keys"]]:
        text = bad.content[0].text
        assert bad.is_error and "invalid_args: " in text, text
        assert "\n" not in text and "http" not in text and len(text) < 1500, text
    assert "query: Input should be a valid string" in out["bad"][0].content[0].text
    assert "and 4995 more" in out["too_many_keys"].content[0].text


# -- request shapes: 413 envelope, bounded errors, URL reasons -----------------------------------------

def test_chunked_and_deeply_nested_bodies_get_the_413_envelope(alice: httpx.Client, server: LocalServer) -> None:
    def chunked(body: bytes) -> Iterator[bytes]:  # no Content-Length header
        for start in range(0, len(body), 256 * 1024):
            yield body[start:start + 256 * 1024]

    big = json.dumps({"tool": "ground_query", "args": {"query": "x" * (3 * MiB), "video": "street3.mp4"}}).encode()
    deep = b'{"tool": "ground_query", "args": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    for path in ("/tools/invoke", "/jobs"):
        response = alice.post(path, content=chunked(big), headers={"Content-Type": "application/json"})
        assert "request body is larger" in _error(response, 413, "too_large")
        assert "nests 100001 levels" in _error(alice.post(path, content=deep, headers={"Content-Type": "application/json"}),
                                               413, "too_large")
    nested_mcp = httpx.post(f"{server.url}/mcp", content=b'{"jsonrpc": "2.0", "params": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
                            headers={"Authorization": f"Bearer {ALICE}", **MCP_ACCEPT})
    assert nested_mcp.status_code == 413 and nested_mcp.json()["error"]["type"] == "too_large"
    chunked_mcp = httpx.post(f"{server.url}/mcp", content=chunked(big),
                             headers={"Authorization": f"Bearer {ALICE}", **MCP_ACCEPT})
    assert chunked_mcp.status_code == 413 and chunked_mcp.json()["error"]["type"] == "too_large"


def test_error_bodies_stay_small(alice: httpx.Client) -> None:
    keys = {f"unknown_key_{i:06d}": 1 for i in range(70_000)}  # about 1.9 MB of unknown keys
    body = json.dumps({"tool": "ground_query", "args": {"query": "q", "video": "street3.mp4", **keys}}).encode()
    assert 1.5 * MiB < len(body) < 2 * MiB
    response = alice.post("/tools/invoke", content=body, headers={"Content-Type": "application/json"})
    message = _error(response, 400, "invalid_args")
    assert len(response.content) < 2000 and "and 69995 more" in message
    malformed = alice.post("/jobs", content=json.dumps({"tool": ["x"] * 50_000, "args": 7}).encode(),
                           headers={"Content-Type": "application/json"})
    assert len(_error(malformed, 400, "invalid_args")) < 2000
    assert len(_error(alice.get("/nowhere/" + "x" * 20_000), 404, "not_found")) < 400


def test_https_url_to_an_http_only_host_says_why(alice: httpx.Client, files: str) -> None:
    response = alice.post("/tools/invoke", json={"tool": "ground_query", "args": {
        "query": "the person", "video": f"https://{files}/clip.mp4"}})
    message = _error(response, 502, "url_fetch_failed")
    assert "TLS handshake" in message and "http://" in message, message
    fetched = alice.post("/jobs", json={"tool": "track_objects", "args": {
        "target": "the person", "video": f"http://{files}/clip.mp4"}})
    assert fetched.status_code == 202
    video = fetched.json()["result"]["args"]["video"]
    assert video.startswith("upload:"), "a fetched URL becomes the client's own upload"
    assert video[len("upload:"):] in {u["id"] for u in alice.get("/uploads").json()["result"]["uploads"]}
    _wait(alice, fetched.json()["result"]["id"], {"succeeded", "failed", "cancelled"})
    _delete_uploads(alice)
