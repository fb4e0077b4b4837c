"""The demo's parts without a server: input checks, endpoint check, timeline, table, track gallery, trace, banners.

The gallery and excerpt tests decode a real excerpt of the bundled street film.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from demo.app import banner, summary
from demo.cli import SHARE_REFUSED, is_loopback, main, mcp_missing
from demo.endpoint import check_endpoint
from demo.errors import DemoError, plain_message
from demo.examples import film_excerpt
from demo.referents import referent_id_of_row, referent_table, track_gallery
from demo.request import demo_request
from demo.run import DemoOutcome, notices_of, overall_fraction, stage_label
from demo.timeline import bar_span, referent_color, timeline_figure
from demo.trace_view import trace_markdown
from tools.video import VideoError, probe
from verifier.result import GroundingResult, Referent, TraceEvent, VideoInfo

VIDEO = VideoInfo(path="v.mp4", width=640, height=360, fps=29.97, frame_count=599, duration=20.0)


def _result(referents: list[Referent], trace: list[TraceEvent] | None = None) -> GroundingResult:
    return GroundingResult(query="the people walking", video=VIDEO, referents=referents, trace=trace or [])


@pytest.fixture(scope="module")
def excerpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return film_excerpt(tmp_path_factory.mktemp("clips"), seconds=4.0)


@pytest.fixture
def clip_file(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"\x00" * 16)
    return path


# ---------------------------------------------------------------- inputs


def test_request_embedded_defaults(clip_file: Path) -> None:
    req = demo_request(str(clip_file), "  the   people walking ", "embedded", "", "", "auto")
    assert req.query == "the people walking"
    assert req.config.planner == "embedded" and req.config.sample_fps == 1.0 and req.config.base_url is None
    assert demo_request(str(clip_file), "a car", "embedded", "", "", "2").config.sample_fps == 2.0


def test_request_model_planner(clip_file: Path) -> None:
    req = demo_request(str(clip_file), "a car", "model", " http://127.0.0.1:8000/v1/ ", " glm ", "auto")
    assert (req.config.planner, req.config.base_url, req.config.model) == ("model", "http://127.0.0.1:8000/v1", "glm")


@pytest.mark.parametrize(
    ("video", "query", "planner", "url", "model", "fps", "words"),
    [
        (None, "a car", "embedded", "", "", "auto", "Choose a video first"),
        ("missing.mp4", "a car", "embedded", "", "", "auto", "no longer on the server"),
        ("CLIP", "   ", "embedded", "", "", "auto", "Type what you are looking for"),
        ("CLIP", "x" * 400, "embedded", "", "", "auto", "keep it under 300"),
        ("CLIP", "a car", "embedded", "", "", "0", "Sampling rate '0' is not offered"),
        ("CLIP", "a car", "embedded", "", "", "60", "Sampling rate '60' is not offered"),
        ("CLIP", "a car", "embedded", "", "", "fast", "Sampling rate 'fast' is not offered"),
        ("CLIP", "a car", "model", "", "glm", "auto", "Enter the model endpoint URL"),
        ("CLIP", "a car", "model", "ftp://host/v1", "glm", "auto", "not an http(s) address"),
        ("CLIP", "a car", "model", "http://127.0.0.1:8000/v1", " ", "auto", "Enter the model name"),
        ("CLIP", "a car", "telepathy", "", "", "auto", "Unknown planner"),
    ],
)
def test_request_refusals_say_what_to_do(clip_file, video, query, planner, url, model, fps, words) -> None:
    video = str(clip_file) if video == "CLIP" else video
    with pytest.raises(DemoError, match=words.replace("(", r"\(").replace(")", r"\)")):
        demo_request(video, query, planner, url, model, fps)


def test_request_refuses_empty_upload(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.touch()
    with pytest.raises(DemoError, match="empty"):
        demo_request(str(empty), "a car", "embedded", "", "", "auto")


# ---------------------------------------------------------------- endpoint check on a real loopback server


class _Models(BaseHTTPRequestHandler):
    status = 200
    body: bytes = json.dumps({"object": "list", "data": [{"id": "glm-tiny", "object": "model"}]}).encode()

    def do_GET(self) -> None:
        if self.path != "/v1/models":
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def models_server():
    servers = []

    def start(status: int = 200, body: bytes | None = None) -> str:
        handler = type("H", (_Models,), {"status": status, "body": body if body is not None else _Models.body})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/v1"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_endpoint_lists_models(models_server) -> None:
    assert check_endpoint(models_server(), "glm-tiny") == ["glm-tiny"]


def test_endpoint_unreachable_in_plain_words() -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DemoError, match=r"could not be reached \(connection refused\).*embedded planner"):
        check_endpoint(f"http://127.0.0.1:{port}/v1", "glm-tiny", timeout=2.0)


def test_endpoint_wrong_model_lists_what_it_serves(models_server) -> None:
    with pytest.raises(DemoError, match="does not serve a model named 'glm-big'; it serves: glm-tiny"):
        check_endpoint(models_server(), "glm-big")


@pytest.mark.parametrize(
    ("status", "body", "words"),
    [(401, b"{}", "not authorised"), (500, b"oops", "HTTP 500"), (200, b"<html>", "OpenAI-compatible")],
)
def test_endpoint_bad_answers(models_server, status: int, body: bytes, words: str) -> None:
    with pytest.raises(DemoError, match=words):
        check_endpoint(models_server(status, body), "glm-tiny")


# ---------------------------------------------------------------- errors, banners, notices


def test_plain_messages_name_the_problem() -> None:
    assert "could not be read" in plain_message(VideoError("bad.mp4 has no video stream"))
    assert plain_message(ValueError("nonsense query")) == "The request was not accepted: nonsense query"
    text = plain_message(KeyError("x"))
    assert text.startswith("Something went wrong (KeyError") and "Traceback" not in text


def test_banner_escapes_and_marks_errors() -> None:
    html = banner("error", "<script>alert(1)</script>", ["a & b"])
    assert "<script>" not in html and "&lt;script&gt;" in html and "<li>a &amp; b</li>" in html
    assert 'class="stag-banner stag-error"' in html
    assert "stag-error" not in banner("ok", "fine")


def test_notices_report_fallback_and_nothing_found() -> None:
    fallback = TraceEvent(step="plan_time", kind="fallback", message="model output invalid twice; embedded planner used")
    assert notices_of(_result([], [fallback]))[0] == fallback.message
    assert "Nothing matching “the people walking” was found" in notices_of(_result([]))[-1]
    ok = _result([Referent(id=1, label="person", interval=(0, 0), boxes={0: (1, 1, 5, 5)})])
    assert notices_of(ok) == []


def test_summary_counts_referents(tmp_path: Path) -> None:
    refs = [Referent(id=i, label="person", interval=(0, 1)) for i in (1, 2)]
    outcome = DemoOutcome(result=_result(refs), annotated_video=tmp_path / "a.mp4", downloads=[], notices=[], seconds=3.2)
    assert summary(outcome).startswith("Found 2 referents for “the people walking” in 20 s of video (3.2 s")


def test_progress_is_monotonic_across_phases() -> None:
    points = [overall_fraction("agent", f) for f in (0, 0.5, 1)] + [overall_fraction("render", f) for f in (0, 1)]
    assert points == sorted(points) and points[0] == 0 and points[-1] == 1.0
    assert [stage_label(s) for s in ("sample", "detect", "track", "reason", "smooth")] == [
        "sampling", "detecting", "tracking", "reasoning", "smoothing"]


# ---------------------------------------------------------------- timeline, table, trace


def test_timeline_one_bar_per_referent_over_the_video_seconds() -> None:
    refs = [
        Referent(id=3, label="person", interval=(2, 6), boxes={2: (0, 0, 5, 5), 6: (1, 1, 6, 6)}),
        Referent(id=9, label="car", interval=(19, 19), boxes={19: (0, 0, 5, 5)}),
    ]
    fig = timeline_figure(_result(refs))
    ax = fig.axes[0]
    bars = [p for p in ax.patches]
    assert len(bars) == 2
    assert (bars[0].get_x(), bars[0].get_width()) == (1.5, 5.0)
    assert (bars[1].get_x(), bars[1].get_width()) == (18.5, 1.0)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["#3 person", "#9 car"]
    assert ax.get_xlim() == (0.0, 20.0)
    assert bars[0].get_facecolor()[:3] == pytest.approx(tuple(int(referent_color(3)[i:i + 2], 16) / 255 for i in (1, 3, 5)))


def test_timeline_says_nothing_found() -> None:
    ax = timeline_figure(_result([])).axes[0]
    assert not ax.patches and any(t.get_text() == "nothing found" for t in ax.texts)


def test_bar_span_clips_to_the_video() -> None:
    assert bar_span((0, 0), duration=5.0) == (0.0, 0.5)
    assert bar_span((5, 5), duration=5.0) == (4.5, 0.5)
    assert bar_span((1, 2), duration=5.0, sample_step=0.5) == (0.75, 1.5)


def test_table_rows_and_row_ids() -> None:
    table = referent_table(_result([Referent(id=4, label="car", interval=(1, 3), boxes={1: (0, 0, 2, 2)}, score=0.66666)]))
    assert table.values.tolist() == [[4, "car", 1, 3, 1, 0.667]]
    assert referent_id_of_row(["4", "car"]) == 4 and referent_id_of_row([]) is None and referent_id_of_row(["x"]) is None


def test_trace_is_numbered_and_truncated() -> None:
    events = [
        TraceEvent(step="plan_time", kind="plan", message="objects:\n person", elapsed=0.25),
        TraceEvent(step="perceive", kind="tool", message="23 tracks", data={"tracks": list(range(500))}),
    ]
    text = trace_markdown(events, details_limit=60)
    lines = text.splitlines()
    assert lines[0] == "1. `0.2 s` **plan_time** _plan_ · objects: person"
    assert lines[1].startswith("2. `0.0 s` **perceive** _tool_ · 23 tracks <br>`{\"tracks\": [0, 1,") and lines[1].endswith("…`")
    assert trace_markdown([]) == "_No steps were recorded._"


# ---------------------------------------------------------------- the real film


def test_excerpt_is_h264_of_the_asked_length(excerpt: Path) -> None:
    info = probe(excerpt)
    assert info.codec == "h264" and info.frame_count == round(4.0 * info.fps) and (info.width, info.height) == (640, 360)


def test_track_gallery_crops_each_boxed_second(excerpt: Path) -> None:
    ref = Referent(id=5, label="person", interval=(1, 3), boxes={1: (100, 120, 140, 220), 3: (110, 120, 150, 220)})
    crops = track_gallery(excerpt, ref, margin=0.5)
    assert [c for _, c in crops] == ["t = 1 s", "t = 3 s"]
    image = crops[0][0]
    assert image.dtype == np.uint8 and image.shape == (200, 80, 3)  # box 40x100 grown by half each side
    # the box is drawn in the crop (yellow-orange outline in RGB)
    assert (np.abs(image.astype(int) - (255, 215, 0)).sum(axis=2) < 60).any()


def test_track_gallery_spreads_long_tracks(excerpt: Path) -> None:
    ref = Referent(id=5, label="person", interval=(0, 3), boxes={k: (100, 120, 140, 220) for k in range(4)})
    assert [c for _, c in track_gallery(excerpt, ref, limit=2)] == ["t = 0 s", "t = 3 s"]


# ---------------------------------------------------------------- command line


def test_share_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--share"]) == 2
    assert SHARE_REFUSED in capsys.readouterr().err


def test_loopback_checks() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("example.org")


def test_mcp_flag_refused_in_plain_words_with_mcp2(capsys: pytest.CaptureFixture[str]) -> None:
    """The main venv has mcp 2.x (for `stag serve`); Gradio 6's MCP server needs mcp<2."""
    assert mcp_missing() is not None
    assert main(["--mcp"]) == 2
    err = capsys.readouterr().err
    assert "--mcp is not available: Gradio's MCP server needs mcp<2" in err and "setup_demo_mcp.sh" in err
