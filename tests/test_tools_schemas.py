"""Tool schemas: specs derived from the models, and every tool called through them on the real film."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import cv2
import jsonschema
import numpy as np
import pytest
from pydantic import ValidationError

from tools.assets import asset_path
from tools.schemas import REGISTRY, ToolContext, call_tool, openai_tools, read_image

NAMES = ["probe_video", "sample_frames", "detect", "track", "smooth", "render_marks", "crop", "contact_sheet"]


@pytest.fixture(scope="module")
def film() -> str:
    return str(asset_path("sample_video"))


@pytest.fixture(scope="module")
def ctx(film: str, tmp_path_factory: pytest.TempPathFactory) -> ToolContext:
    """A server-like context: only the film's folder and the output folder may be named; fast detector."""
    out = tmp_path_factory.mktemp("tool-out")
    return ToolContext(roots=[Path(film).parent, out], out_dir=out, detector="coco")


def _png(ref: str) -> np.ndarray:
    assert ref.startswith("data:image/png;base64,")
    raw = base64.b64decode(ref.split(",", 1)[1])
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    return cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)


def test_specs_are_derived_from_the_models() -> None:
    oa = openai_tools()
    assert [t["function"]["name"] for t in oa] == NAMES == list(REGISTRY)
    for o in oa:
        spec = REGISTRY[o["function"]["name"]]
        assert o["type"] == "function"
        assert o["function"]["parameters"] == spec.input.model_json_schema()
        assert o["function"]["description"] == spec.description and len(spec.description) > 20
        jsonschema.Draft202012Validator.check_schema(o["function"]["parameters"])
        jsonschema.Draft202012Validator.check_schema(spec.output.model_json_schema())
        assert json.loads(json.dumps(o)) == o
    video_param = next(t for t in oa if t["function"]["name"] == "probe_video")["function"]["parameters"]
    assert video_param["required"] == ["video"]


def test_probe_and_sample(film: str, ctx: ToolContext) -> None:
    probe = call_tool("probe_video", {"video": film}, ctx)
    assert probe.seconds == 60 and probe.video.width == 640
    jsonschema.validate(probe.model_dump(mode="json"), REGISTRY["probe_video"].output.model_json_schema())
    frames = call_tool("sample_frames", {"video": film, "start": 10, "end": 20, "max_frames": 4}, ctx)
    assert frames.total_samples == 11
    assert [f.time for f in frames.frames] == [10.0, 13.0, 17.0, 20.0]
    img = read_image(frames.frames[1].image, ctx)
    assert img.shape == (360, 640, 3) and Path(frames.frames[1].image).parent == ctx.out_dir
    inline = call_tool("sample_frames", {"video": film, "start": 5, "end": 5, "image_format": "base64"}, ctx)
    assert _png(inline.frames[0].image).shape == (360, 640, 3)


def test_detect_track_smooth(film: str, ctx: ToolContext) -> None:
    found = call_tool("detect", {"video": film, "time": 10, "classes": ["people"]}, ctx)
    assert found.detections and {d.label for d in found.detections} == {"person"}
    tracked = call_tool("track", {"video": film, "start": 42, "end": 50, "classes": ["person"]}, ctx)
    assert tracked.times == [float(k) for k in range(42, 51)]
    assert tracked.tracks and all(42 <= t.start <= t.end <= 50 for t in tracked.tracks)
    jsonschema.validate(tracked.model_dump(mode="json"), REGISTRY["track"].output.model_json_schema())
    longest = max(tracked.tracks, key=lambda t: len(t.boxes))
    # boxes travel as JSON: string keys, lists
    payload = json.loads(json.dumps({"boxes": longest.model_dump(mode="json")["boxes"], "max_gap": 3}))
    smoothed = call_tool("smooth", payload, ctx)
    assert min(smoothed.boxes) == min(longest.boxes) and max(smoothed.boxes) == max(longest.boxes)


def test_images_out(film: str, ctx: ToolContext) -> None:
    marks = call_tool("render_marks", {"video": film, "time": 12, "marks": {"4": [300, 100, 380, 300]},
                                       "image_format": "base64"}, ctx)
    assert _png(marks.image).shape == (360, 640, 3)
    cut = call_tool("crop", {"video": film, "time": 12, "box": [300, 100, 380, 300], "pad": 0}, ctx)
    assert (cut.width, cut.height) == (80, 200) and Path(cut.image).is_file()
    again = call_tool("crop", {"image": marks.image, "box": [0, 0, 100, 50], "pad": 0}, ctx)  # data URL in
    assert (again.width, again.height) == (100, 50)
    sheet = call_tool("contact_sheet", {"video": film, "start": 0, "end": 59, "max_frames": 6, "cols": 3,
                                        "tile_width": 200}, ctx)
    assert (sheet.width, sheet.height) == (600, 224)


def test_bad_calls(film: str, ctx: ToolContext, tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="unknown tool 'fly'"):
        call_tool("fly", {})
    with pytest.raises(ValidationError):
        call_tool("sample_frames", {"video": film, "sample_fps": -1}, ctx)
    with pytest.raises(ValidationError):
        call_tool("probe_video", {}, ctx)
    with pytest.raises(ValueError, match="outside the allowed folders"):
        call_tool("probe_video", {"video": "/etc/passwd"}, ctx)
    with pytest.raises(ValueError, match="outside the allowed folders"):
        call_tool("probe_video", {"video": str(Path(film).parent / ".." / ".." / "x.mp4")}, ctx)
    with pytest.raises(ValueError, match="give either 'image', or both 'video' and 'time'"):
        call_tool("detect", {"video": film}, ctx)
    with pytest.raises(ValueError, match="not valid base64"):
        call_tool("crop", {"image": "data:image/png;base64,@@@", "box": [0, 0, 5, 5]}, ctx)
    with pytest.raises(ValueError, match="could not decode the image"):
        call_tool("crop", {"image": "data:image/png;base64," + base64.b64encode(b"text").decode(),
                           "box": [0, 0, 5, 5]}, ctx)
    with pytest.raises(ValueError, match="outside the video"):
        call_tool("crop", {"video": film, "time": 500, "box": [0, 0, 5, 5]}, ctx)
    text = tmp_path / "t.mp4"
    text.write_text("not a video")
    with pytest.raises(ValueError, match="not a video"):
        call_tool("probe_video", {"video": str(text)})  # no roots: any path, still a clear error
