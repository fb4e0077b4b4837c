"""`stag demo` launched for real on loopback and driven with gradio_client, running the real agent.

The bundled example (the first 10 s of the real street film, written by the demo at start-up) runs
end to end: playable H.264 video with the referents drawn, a timeline plot, the table, and the
downloads (result JSON, GLM-V JSON, MOTChallenge txt). Errors come back as plain words in the page.
"""

from __future__ import annotations

import base64
import io
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest
from demo_server import running_demo
from gradio_client import Client, handle_file
from PIL import Image

from demo.examples import default_examples_dir, film_excerpt
from tools.video import iter_samples, probe
from verifier.result import GroundingResult


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Client, Path]]:
    """The running demo's client and the page's quick example clip (the excerpt the demo offers)."""
    workdir = tmp_path_factory.mktemp("demo")
    with running_demo(workdir) as url:
        downloads = workdir / "client"
        downloads.mkdir()
        yield Client(url, verbose=False, download_files=str(downloads)), film_excerpt(default_examples_dir())


def _ground(client: Client, video: Path | str, query: str, planner: str = "embedded", base_url: str = "",
            model: str = "", sampling: str = "auto") -> dict:
    out = client.predict(handle_file(str(video)), query, planner, base_url, model, sampling, api_name="/ground")
    names = ["status", "video", "plot", "table", "trace", "files", "gallery"]
    assert len(out) == len(names)
    return dict(zip(names, out))


def _h264_frames(path: str | Path) -> tuple[str, str, int]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        return stream.codec_context.name, stream.codec_context.pix_fmt, frames


def test_bundled_example_end_to_end(demo: tuple[Client, Path]) -> None:
    client, example = demo
    out = _ground(client, example, "the people walking")

    assert "stag-ok" in out["status"] and "Found" in out["status"], out["status"]

    # a playable video: H.264 in yuv420p, every frame of the input present
    codec, pix_fmt, frames = _h264_frames(out["video"])
    assert (codec, pix_fmt, frames) == ("h264", "yuv420p", probe(example).frame_count)

    # the result JSON among the downloads, with the exports next to it
    files = {Path(p).name: Path(p) for p in out["files"]}
    assert set(files) == {"result.json", "glmv.json", "tracks.mot.txt", "seqinfo.ini", "annotated.mp4"}
    result = GroundingResult.model_validate_json(files["result.json"].read_text())
    assert result.query == "the people walking" and result.referents
    assert all(r.label == "person" for r in result.referents)
    glmv = json.loads(files["glmv.json"].read_text())
    boxed_seconds = {s for r in result.referents for s in r.boxes}
    assert {int(k) for k in glmv} == boxed_seconds
    mot_rows = [line.split(",") for line in files["tracks.mot.txt"].read_text().splitlines()]
    assert {int(row[1]) for row in mot_rows} == {r.id for r in result.referents}
    # frame-level: 1-based video frames, every frame of each referent's span, as seqinfo.ini says
    seq_length = int(files["seqinfo.ini"].read_text().split("seqLength=")[1].split()[0])
    assert seq_length == probe(example).frame_count >= max(int(row[0]) for row in mot_rows)
    assert len(mot_rows) > len(boxed_seconds) * 10

    # the table lists the same referents
    assert out["table"]["headers"][:4] == ["id", "label", "start (s)", "end (s)"]
    assert [(row[0], row[2], row[3]) for row in out["table"]["data"]] == [
        (r.id, r.interval[0], r.interval[1]) for r in result.referents]

    # the timeline is a rendered plot
    assert out["plot"]["type"] == "matplotlib"
    image = Image.open(io.BytesIO(base64.b64decode(out["plot"]["plot"].split(",", 1)[1])))
    assert image.width > 600 and image.height > 80

    # the referents are drawn: at a boxed second the annotated frame differs from the source on the box outline
    ref = result.referents[0]
    second = ref.seconds[0]
    x1, y1, x2, y2 = (int(v) for v in ref.boxes[second])
    source = next(iter_samples(example, start=second, end=second)).image
    drawn = next(iter_samples(out["video"], start=second, end=second)).image
    outline = np.abs(drawn[y1:y2, x1:x1 + 2].astype(int) - source[y1:y2, x1:x1 + 2].astype(int)).mean()
    inside = np.abs(drawn[y1 + 6:y2 - 6, x1 + 6:x2 - 6].astype(int) - source[y1 + 6:y2 - 6, x1 + 6:x2 - 6].astype(int))
    assert outline > 25 and outline > 2 * inside.mean()

    # the first referent's track is shown
    gallery = out["gallery"]
    assert gallery["label"].startswith(f"Track of #{ref.id} person")
    assert [item["caption"] for item in gallery["value"]] == [f"t = {s} s" for s in ref.seconds]

    # the trace is readable text, one numbered line per step
    assert out["trace"].startswith("1. ") and "**answer**" in out["trace"]


def test_unreadable_upload_in_plain_words(demo: tuple[Client, Path], tmp_path: Path) -> None:
    client, _ = demo
    fake = tmp_path / "holiday.mp4"
    fake.write_text("this is a text file, not a video\n" * 50)
    out = _ground(client, fake, "the people walking")
    assert "stag-error" in out["status"] and "This video could not be read" in out["status"]
    assert "Traceback" not in out["status"] and out["video"] is None and out["files"] is None


def test_unreachable_model_endpoint_in_plain_words(demo: tuple[Client, Path]) -> None:
    client, excerpt = demo
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = _ground(client, excerpt, "a car", "model", f"http://127.0.0.1:{port}/v1", "glm")
    assert "stag-error" in out["status"]
    assert f"The model endpoint http://127.0.0.1:{port}/v1 could not be reached (connection refused)" in out["status"]


def test_nothing_found_is_said(demo: tuple[Client, Path]) -> None:
    client, excerpt = demo
    out = _ground(client, excerpt, "an elephant", sampling="1")
    assert "stag-warn" in out["status"] and "No referent found for “an elephant”" in out["status"]
    assert "Nothing matching “an elephant” was found in this video" in out["status"]
    assert out["table"]["data"] == [] and out["gallery"]["value"] == []
    assert _h264_frames(out["video"])[0] == "h264"  # the video is still there to look at


@pytest.mark.parametrize(
    ("query", "words"),
    [("   ", "Type what you are looking for"), ("xqzv", "The request was not accepted: could not find anything")],
)
def test_bad_queries_in_plain_words(demo: tuple[Client, Path], query: str, words: str) -> None:
    client, excerpt = demo
    out = _ground(client, excerpt, query)
    assert "stag-error" in out["status"] and words in out["status"]


@pytest.mark.slow
def test_full_film_example(demo: tuple[Client, Path]) -> None:
    """The 60 s film, as the page's example offers it: several people found, the whole film annotated."""
    from tools.assets import asset_path

    client, _ = demo
    out = _ground(client, asset_path("sample_video"), "the people walking")
    assert "stag-ok" in out["status"], out["status"]
    result = GroundingResult.model_validate_json(
        next(Path(p) for p in out["files"] if Path(p).name == "result.json").read_text())
    assert len(result.referents) >= 3 and all(r.label == "person" for r in result.referents)
    assert _h264_frames(out["video"]) == ("h264", "yuv420p", 1799)
