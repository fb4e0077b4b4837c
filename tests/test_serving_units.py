"""Unit tests of the endpoint's parts that need no server: media confinement, URL policy, settings,
the SQLite job store, and the job queue (driven by small runner functions, not the agent)."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from agent.api import GroundConfig
from serving import errors
from serving.cli import serve_main
from serving.job_store import JobRow, JobStore
from serving.jobs import JobManager
from serving.media import MediaLibrary, UploadWriter
from serving.schemas import GroundOptions, GroundQueryArgs, Progress, TrackObjectsArgs
from serving.service import ToolService
from serving.settings import Limits, ServeSettings, is_loopback_host
from serving.url_fetch import UrlPolicy, check_url
from tools.assets import asset_path

# -- media roots ---------------------------------------------------------------------------------------

@pytest.fixture()
def library(tmp_path: Path) -> MediaLibrary:
    root = tmp_path / "media"
    (root / "sub").mkdir(parents=True)
    (root / "a.mp4").write_bytes(b"v")
    (root / "sub" / "b.mp4").write_bytes(b"v")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.mp4").write_bytes(b"s")
    (root / "out.mp4").symlink_to(outside / "secret.mp4")
    (root / "outdir").symlink_to(outside, target_is_directory=True)
    (root / "alias.mp4").symlink_to(root / "sub" / "b.mp4")
    return MediaLibrary([root], tmp_path / "uploads")


def test_paths_inside_the_roots_resolve(library: MediaLibrary) -> None:
    root = library.roots[0]
    assert library.resolve("a.mp4") == root / "a.mp4"
    assert library.resolve("sub/b.mp4") == root / "sub" / "b.mp4"
    assert library.resolve(str(root / "sub" / "b.mp4")) == root / "sub" / "b.mp4"
    assert library.resolve("alias.mp4") == root / "sub" / "b.mp4", "links staying inside are fine"


@pytest.mark.parametrize(("ref", "error", "says"), [
    ("../outside/secret.mp4", errors.Forbidden, "'..'"),
    ("sub/../../outside/secret.mp4", errors.Forbidden, "'..'"),
    ("sub\\..\\..\\outside\\secret.mp4", errors.Forbidden, "'..'"),
    ("/etc/passwd", errors.Forbidden, "outside the media roots"),
    ("/no/such/file.mp4", errors.Forbidden, "outside the media roots"),
    ("out.mp4", errors.Forbidden, "symbolic link"),
    ("outdir/secret.mp4", errors.Forbidden, "symbolic link"),
    ("missing.mp4", errors.NotFound, "no video"),
    ("sub", errors.BadRequest, "not a file"),
    ("a.mp4\x00.txt", errors.BadRequest, "NUL"),
    ("upload:../x", errors.BadRequest, "not an upload id"),
    ("upload:" + "a" * 32, errors.NotFound, "no upload"),
])
def test_paths_leaving_the_roots_are_refused(library: MediaLibrary, ref: str, error: type, says: str) -> None:
    with pytest.raises(error) as caught:
        library.resolve(ref)
    assert says in caught.value.message
    assert str(library.roots[0]) not in caught.value.message


def test_outside_paths_get_the_same_answer_whether_they_exist_or_not(library: MediaLibrary, tmp_path: Path) -> None:
    with pytest.raises(errors.Forbidden) as real:
        library.resolve(str(tmp_path / "outside" / "secret.mp4"))
    with pytest.raises(errors.Forbidden) as fake:
        library.resolve(str(tmp_path / "outside" / "nothing.mp4"))
    assert real.value.message.replace("secret", "X") == fake.value.message.replace("nothing", "X")


def test_no_media_roots_means_no_paths(tmp_path: Path) -> None:
    with pytest.raises(errors.Forbidden, match="POST /uploads"):
        MediaLibrary([], tmp_path / "uploads").resolve("a.mp4")
    with pytest.raises(ValueError, match="existing folders"):
        MediaLibrary([tmp_path / "nope"], tmp_path / "uploads")


def test_upload_writer_limits_and_cleans_up(tmp_path: Path) -> None:
    w = UploadWriter(tmp_path, limit=10)
    w.write(b"12345")
    with pytest.raises(errors.TooLarge, match="limit of 10 bytes"):
        w.write(b"678901")
    w.abort()
    assert list(tmp_path.iterdir()) == []
    ok = UploadWriter(tmp_path, limit=10)
    ok.write(b"abc")
    path = ok.commit()
    assert path.read_bytes() == b"abc" and path.name == f"{ok.id}.video"
    with pytest.raises(errors.InvalidVideo, match="empty"):
        UploadWriter(tmp_path, limit=10).commit()
    assert list(tmp_path.iterdir()) == [path]
    with pytest.raises(errors.TooLarge):
        UploadWriter(tmp_path, limit=10).check_declared(11)


# -- URL policy ----------------------------------------------------------------------------------------

def test_urls_are_off_unless_hosts_are_allowed() -> None:
    with pytest.raises(errors.Forbidden, match="does not fetch URLs"):
        check_url("http://127.0.0.1/a.mp4", UrlPolicy())


@pytest.mark.parametrize(("url", "allowed", "says"), [
    ("ftp://media.test/a.mp4", ["media.test"], "only http and https"),
    ("http://user:pw@media.test/a.mp4", ["media.test"], "credentials"),
    ("http://other.test/a.mp4", ["media.test"], "allow-list"),
    ("http://media.test:8080/a.mp4", ["media.test:9090"], "allow-list"),
    ("http://media.test.evil.test/a.mp4", ["media.test"], "allow-list"),
])
def test_url_policy_refuses(url: str, allowed: list[str], says: str) -> None:
    with pytest.raises(errors.Forbidden) as caught:
        check_url(url, UrlPolicy(allowed_hosts=allowed))
    assert says in caught.value.message


def test_url_policy_accepts_listed_hosts_and_ports() -> None:
    assert check_url("https://media.test/a.mp4", UrlPolicy(allowed_hosts=["media.test"])).host == "media.test"
    assert check_url("http://media.test:8080/a.mp4", UrlPolicy(allowed_hosts=["media.test:8080"])).port == 8080


# -- settings and arguments ----------------------------------------------------------------------------

def test_a_token_is_required_off_loopback() -> None:
    assert is_loopback_host("127.0.0.1") and is_loopback_host("::1") and not is_loopback_host("0.0.0.0")
    with pytest.raises(ValidationError, match="give a bearer token"):
        ServeSettings(host="0.0.0.0")
    with pytest.raises(ValidationError, match="at least 16 characters"):
        ServeSettings(host="0.0.0.0", tokens={"short": "alice"})
    with pytest.raises(ValidationError, match="at least 16 characters"):
        ServeSettings(host="0.0.0.0", admin_token="short")
    with pytest.raises(ValidationError, match="admin token's"):
        ServeSettings(tokens={"x" * 32: "admin"})
    with pytest.raises(ValidationError, match="must differ"):
        ServeSettings(tokens={"x" * 32: "alice"}, admin_token="x" * 32)
    assert ServeSettings(host="0.0.0.0", tokens={"x" * 32: "alice"}).requires_token
    assert ServeSettings(host="0.0.0.0", admin_token="y" * 32).auth_on


def test_serve_refuses_to_start_exposed_without_a_token(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STAG_TOKEN", raising=False)
    assert serve_main(["--host", "0.0.0.0", "--db", str(tmp_path / "j.sqlite3")]) == 2
    assert "give a bearer token" in capsys.readouterr().err
    assert serve_main(["--limit", "workers", "--db", str(tmp_path / "j.sqlite3")]) == 2
    assert "NAME=VALUE" in capsys.readouterr().err
    assert serve_main(["--limit", "workers=0", "--db", str(tmp_path / "j.sqlite3")]) == 2
    assert "workers" in capsys.readouterr().err
    assert serve_main(["--limit", "max_everything=1", "--db", str(tmp_path / "j.sqlite3")]) == 2
    assert "max_everything" in capsys.readouterr().err
    assert serve_main(["--ground", "conf=2", "--db", str(tmp_path / "j.sqlite3")]) == 2
    assert "conf" in capsys.readouterr().err
    assert serve_main(["--ground", "detectr=coco", "--db", str(tmp_path / "j.sqlite3")]) == 2
    assert "unknown GroundConfig setting(s) detectr" in capsys.readouterr().err
    assert not (tmp_path / "j.sqlite3").exists(), "nothing is created when the settings are refused"


def test_options_are_the_safe_subset_of_ground_config() -> None:
    config = GroundOptions(conf=0.5, detector="person").apply(GroundConfig(planner="model", base_url="http://m/v1"))
    assert (config.conf, config.detector, config.planner, config.base_url) == (0.5, "person", "model", "http://m/v1")
    for bad in ({"detector": "/tmp/evil.pt"}, {"base_url": "http://evil"}, {"device": "cuda"}, {"sample_fps": 100}):
        with pytest.raises(ValidationError):
            GroundOptions.model_validate(bad)
    with pytest.raises(ValidationError, match="target is empty"):
        TrackObjectsArgs(target="   ", video="a.mp4")
    with pytest.raises(ValidationError, match="extra"):
        GroundQueryArgs.model_validate({"query": "q", "video": "a.mp4", "shell": "rm -rf /"})


# -- job store -----------------------------------------------------------------------------------------

def test_job_store_keeps_everything_across_reopening(tmp_path: Path) -> None:
    db = tmp_path / "jobs.sqlite3"
    store = JobStore(db)
    done = store.insert(JobRow.new("ground_query", {"query": "q", "video": "a.mp4"}, "c"))
    store.update(done.id, state="succeeded", result='{"x": 1}', fraction=1.0, stage="answer")
    running = store.insert(JobRow.new("track_objects", {"target": "t", "video": "a.mp4"}, "c"))
    store.update(running.id, state="running", fraction=0.4, stage="detect", attempts=1)
    queued = store.insert(JobRow.new("track_objects", {"target": "t", "video": "a.mp4"}, "c"))
    store.close()

    again = JobStore(db)
    assert sorted(again.mark_interrupted()) == sorted([running.id, queued.id])
    assert again.get(done.id).result == '{"x": 1}' and again.get(done.id).state == "succeeded"
    for job_id in (running.id, queued.id):
        row = again.get(job_id)
        assert row.state == "interrupted" and row.error.type == "interrupted" and "resume" in row.error.message
    assert again.get(running.id).fraction == 0.4
    assert len(again.list()) == 3 and [r.id for r in again.list("succeeded")] == [done.id]
    assert again.get("nope") is None
    with pytest.raises(KeyError):
        again.update(done.id, id="other")
    again.close()


# -- job queue (small runner functions; the agent is exercised in the endpoint tests) ----------------

class Answer(BaseModel):
    value: str


def _manager(tmp_path: Path, runner, **limits: float) -> JobManager:
    return JobManager(JobStore(tmp_path / "jobs.sqlite3"), runner, Limits(**limits))


def _blocking(release: threading.Event):
    def run(row: JobRow, progress, cancel: threading.Event) -> Answer:
        progress(Progress(stage="detect", fraction=0.5, message="half way"))
        while not release.is_set():
            if cancel.is_set():
                raise errors.Cancelled("stopped")
            time.sleep(0.01)
        return Answer(value=row.args["target"])

    return run


def test_jobs_report_progress_and_results(tmp_path: Path) -> None:
    release = threading.Event()
    jobs = _manager(tmp_path, _blocking(release))
    row = jobs.submit("track_objects", {"target": "car"}, "c1")
    deadline = time.monotonic() + 5
    while jobs.get(row.id).fraction < 0.5 and time.monotonic() < deadline:
        time.sleep(0.01)
    running = jobs.get(row.id)
    assert (running.state, running.stage, running.fraction, running.attempts) == ("running", "detect", 0.5, 1)
    release.set()
    done = jobs.wait(row.id, timeout=5)
    assert done.state == "succeeded" and Answer.model_validate_json(done.result).value == "car"
    assert jobs.active_count() == 0
    jobs.shutdown()


def test_per_client_and_queue_limits_answer_429(tmp_path: Path) -> None:
    release = threading.Event()
    jobs = _manager(tmp_path, _blocking(release), workers=1, max_active_per_client=2, max_queued=2)
    first = jobs.submit("track_objects", {"target": "a"}, "c1")
    jobs.submit("track_objects", {"target": "b"}, "c1")
    with pytest.raises(errors.TooManyRequests, match="limit 2") as per_client:
        jobs.submit("track_objects", {"target": "c"}, "c1")
    assert per_client.value.retry_after and per_client.value.status == 429
    jobs.submit("track_objects", {"target": "d"}, "c2")
    with pytest.raises(errors.TooManyRequests, match="queue is full"):
        jobs.submit("track_objects", {"target": "e"}, "c3")
    release.set()
    assert jobs.wait(first.id, timeout=5).state == "succeeded"
    jobs.shutdown()


def test_cancel_timeout_crash_resume_and_shutdown(tmp_path: Path) -> None:
    never = threading.Event()
    strict = _manager(tmp_path / "t", _blocking(never), job_timeout_s=0.3)
    timed = strict.wait(strict.submit("track_objects", {"target": "slow"}, "c1").id, timeout=5)
    assert timed.state == "failed" and timed.error.type == "timeout" and "longer than 0.3 s" in timed.error.message
    strict.shutdown()

    release = threading.Event()
    jobs = _manager(tmp_path, _blocking(release), workers=2)
    cancelled = jobs.submit("track_objects", {"target": "x"}, "c1")
    time.sleep(0.05)
    jobs.cancel(cancelled.id)
    row = jobs.wait(cancelled.id, timeout=5)
    assert row.state == "cancelled" and "resume" in row.error.message

    release.set()
    resumed = jobs.resume(cancelled.id)
    assert resumed.state in {"queued", "running", "succeeded"}
    again = jobs.wait(cancelled.id, timeout=5)
    assert again.state == "succeeded" and again.attempts == 2 and again.error is None
    with pytest.raises(errors.NotReady, match="only interrupted, cancelled or failed"):
        jobs.resume(cancelled.id)
    with pytest.raises(errors.NotFound):
        jobs.get("0" * 32)
    jobs.shutdown()

    def crash(row, progress, cancel):
        raise RuntimeError("detector exploded")

    broken = _manager(tmp_path / "b", crash)
    failed = broken.wait(broken.submit("ground_query", {"query": "q"}, "c").id, timeout=5)
    assert failed.state == "failed" and failed.error.type == "internal" and "detector exploded" in failed.error.message
    broken.shutdown()

    gate = threading.Event()
    single = _manager(tmp_path / "q", _blocking(gate), workers=1, max_active_per_client=2)
    busy = single.submit("track_objects", {"target": "first"}, "c")
    waiting = single.submit("track_objects", {"target": "second"}, "c")
    assert single.cancel(waiting.id).state == "cancelled", "a queued job is cancelled at once"
    third = single.submit("track_objects", {"target": "third"}, "c")  # the cancelled one's slot is free now
    with pytest.raises(errors.TooManyRequests, match="limit 2"):
        single.resume(waiting.id)
    gate.set()
    assert single.wait(busy.id, timeout=5).state == "succeeded"
    assert single.wait(third.id, timeout=5).state == "succeeded"
    assert single.wait(waiting.id, timeout=5).state == "cancelled"
    single.resume(waiting.id)
    resumed = single.wait(waiting.id, timeout=5)
    assert resumed.state == "succeeded" and resumed.attempts == 1, "it never ran before"
    single.shutdown()

    hold = threading.Event()
    stopping = _manager(tmp_path / "s", _blocking(hold))
    left = stopping.submit("track_objects", {"target": "y"}, "c")
    time.sleep(0.05)
    stopping.shutdown()
    assert stopping.get(left.id).state == "interrupted"
    with pytest.raises(errors.TooManyRequests, match="shutting down"):
        stopping.submit("track_objects", {"target": "z"}, "c")


# -- the service around the queue: call time limit, video checks ---------------------------------------

def test_a_call_past_its_time_limit_answers_504_and_the_job_goes_on(tmp_path: Path) -> None:
    release = threading.Event()
    settings = ServeSettings(db=tmp_path / "jobs.sqlite3")
    jobs = _manager(tmp_path, _blocking(release))
    service = ToolService(settings, MediaLibrary([], tmp_path / "uploads"), jobs)
    row = jobs.submit("track_objects", {"target": "car"}, "c1")
    with pytest.raises(errors.Timeout) as late:
        asyncio.run(service.wait(row.id, timeout=0.2))
    assert late.value.status == 504 and f"GET /jobs/{row.id}" in late.value.message
    release.set()
    assert jobs.wait(row.id, timeout=5).state == "succeeded", "the work is not lost"
    jobs.shutdown()


def test_videos_longer_than_the_limit_are_refused(tmp_path: Path) -> None:
    film = asset_path("sample_video")
    settings = ServeSettings(db=tmp_path / "jobs.sqlite3", limits=Limits(max_video_seconds=30))
    service = ToolService(settings, MediaLibrary([film.parent], tmp_path / "uploads"), _manager(tmp_path, None))
    with pytest.raises(errors.TooLarge, match="60 s long; this server accepts at most 30 s") as caught:
        service.inspect_video(film.name)
    assert str(film.parent) not in caught.value.message
    roomy = ToolService(ServeSettings(db=tmp_path / "j2.sqlite3"), service.media, service.jobs)
    info = roomy.inspect_video(film.name)
    assert info.path == film.name and info.width == 640
    service.jobs.shutdown()


# -- clients: tokens, ownership ------------------------------------------------------------------------

def test_tokens_name_clients_and_files_map_tokens_to_names(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from serving.security import Clients, load_tokens_file, load_tokens_text, token_client_name

    assert load_tokens_text("# ops\nalice-token-0123456789 alice\n\nbob-token-0123456789ab bob  # lab\n") == {
        "alice-token-0123456789": "alice", "bob-token-0123456789ab": "bob"}
    with pytest.raises(ValueError, match="line 1"):
        load_tokens_text("only-one-field")
    with pytest.raises(ValueError, match="JSON object"):
        load_tokens_text('{"t": 1}')
    with pytest.raises(ValueError, match="cannot read the tokens file"):
        load_tokens_file(tmp_path / "missing.json")
    clients = Clients({"alice-token-0123456789": "alice"}, admin_token="admin-token-0123456789")
    assert clients.identify("alice-token-0123456789").name == "alice"
    assert clients.identify("admin-token-0123456789").admin
    assert clients.identify("alice-token-012345678") is None and clients.identify("") is None
    assert token_client_name("a" * 20) == token_client_name("a" * 20) != token_client_name("b" * 20)
    assert "a" * 20 not in token_client_name("a" * 20), "the name never shows the token"

    monkeypatch.delenv("STAG_TOKEN", raising=False)
    (tmp_path / "tokens.txt").write_text("short alice\n")
    assert serve_main(["--tokens-file", str(tmp_path / "tokens.txt"), "--db", str(tmp_path / "j.sqlite3")]) == 2
    assert "at least 16 characters" in capsys.readouterr().err
    assert serve_main(["--host", "0.0.0.0", "--admin-token", "a" * 20, "--token", "a" * 20,
                       "--db", str(tmp_path / "j.sqlite3")]) == 2
    assert "must differ" in capsys.readouterr().err


def test_jobs_belong_to_their_client(tmp_path: Path) -> None:
    from serving.security import Client

    release = threading.Event()
    jobs = _manager(tmp_path, _blocking(release), workers=1)
    alice, bob, root = Client(name="alice"), Client(name="bob"), Client(name="root", admin=True)
    mine = jobs.submit("track_objects", {"target": "a"}, "alice")
    for act in (lambda: jobs.get(mine.id, bob), lambda: jobs.cancel(mine.id, bob),
                lambda: jobs.resumable(mine.id, bob), lambda: jobs.delete(mine.id, bob)):
        with pytest.raises(errors.NotFound, match="no job"):
            act()
    assert [r.id for r in jobs.list(bob)] == [] and [r.id for r in jobs.list(alice)] == [mine.id]
    assert [r.id for r in jobs.list(root)] == [mine.id] and jobs.get(mine.id, root).client == "alice"
    with pytest.raises(errors.NotReady, match="cancel it"):
        jobs.delete(mine.id, alice)
    release.set()
    assert jobs.wait(mine.id, timeout=5).state == "succeeded"
    jobs.delete(mine.id, alice)
    with pytest.raises(errors.NotFound):
        jobs.get(mine.id)
    jobs.shutdown()


def test_sweep_expires_unused_uploads_and_old_jobs_but_keeps_what_a_live_job_needs(tmp_path: Path) -> None:
    release = threading.Event()
    limits = Limits(upload_ttl_s=0.01, result_ttl_s=0.01)
    jobs = JobManager(JobStore(tmp_path / "jobs.sqlite3"), _blocking(release), limits)
    service = ToolService(ServeSettings(db=tmp_path / "jobs.sqlite3", limits=limits),
                          MediaLibrary([], tmp_path / "uploads"), jobs)
    needed, unused, orphan = "a" * 32, "b" * 32, "c" * 32
    for upload_id in (needed, unused, orphan):
        (tmp_path / "uploads" / f"{upload_id}.video").write_bytes(b"video")
    jobs.store.add_upload(needed, "alice", 5)
    jobs.store.add_upload(unused, "alice", 5)
    live = jobs.submit("track_objects", {"target": "x", "video": f"upload:{needed}"}, "alice")
    time.sleep(0.05)
    old = os.stat(tmp_path / "uploads" / f"{orphan}.video").st_mtime - 10
    os.utime(tmp_path / "uploads" / f"{orphan}.video", (old, old))
    assert service.sweep() == (1, 0)
    assert jobs.store.upload_ids() == {needed}, "the upload a running job needs stays"
    assert sorted(p.stem for p in (tmp_path / "uploads").glob("*.video")) == [needed], "orphan files go too"
    release.set()
    jobs.wait(live.id, timeout=5)
    time.sleep(0.05)
    assert service.sweep() == (1, 1)
    assert jobs.store.upload_ids() == set() and jobs.store.get(live.id) is None
    jobs.shutdown()
