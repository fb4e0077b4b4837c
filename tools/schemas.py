"""Typed tool calls: one pydantic input and one output model per tool, and the specs derived from them.

Every tool (``probe_video``, ``sample_frames``, ``detect``, ``track``, ``smooth``, ``render_marks``,
``crop``, ``contact_sheet``) is a :class:`ToolSpec` in :data:`REGISTRY`. The OpenAI
function-calling list (:func:`openai_tools`) is generated from the models, never written by hand. :func:`call_tool` validates arguments and runs
a tool.

Images in tool calls: an image argument (:data:`ImageRef`) is either a file path or a
``data:image/png;base64,...`` URL. Tools that produce images return file paths by default
(``image_format="path"``, written under the context's ``out_dir``) or PNG data URLs with
``image_format="base64"`` (what a remote model can read directly). With ``ToolContext.roots``
set (as a server should), every path a call names must lie inside one of those folders.

>>> [t["function"]["name"] for t in openai_tools()][:3]
['probe_video', 'sample_frames', 'detect']
>>> call_tool("smooth", {"boxes": {"0": [0, 0, 10, 10], "2": [20, 0, 30, 10]}, "max_gap": 1}).boxes[1]
(10.0, 0.0, 20.0, 10.0)
"""

from __future__ import annotations

import base64
import binascii
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from tools.detect import DEFAULT_DETECTOR, DETECTOR_SPECS, Detector, load_detector
from tools.track import TrackerConfig
from verifier.result import Box, VideoInfo

ImageRef = str
"""A file path or a ``data:image/png;base64,...`` URL."""

ImageFormat = Literal["path", "base64"]

_DATA_URL = "data:image/png;base64,"


class ToolContext(BaseModel):
    """Where tools may read and write, and which detector they use (passed to :func:`call_tool`)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    roots: list[Path] | None = Field(None, description="if set, every path must lie inside one of these")
    out_dir: Path | None = Field(None, description="where image outputs go (default: a new temp folder)")
    detector: str = Field(DEFAULT_DETECTOR, description="detector spec for detect/track")
    device: str = "cpu"
    _detectors: dict[tuple[str, float], Detector] = PrivateAttr(default_factory=dict)

    def path(self, value: str, what: str = "path") -> Path:
        """``value`` as a resolved path, checked against ``roots`` (ValueError if outside)."""
        p = Path(value).expanduser().resolve()
        if self.roots is not None and not any(p.is_relative_to(Path(r).resolve()) for r in self.roots):
            raise ValueError(f"{what} {value!r} is outside the allowed folders")
        return p

    def output_dir(self) -> Path:
        """The folder image outputs are written to (created on first use)."""
        if self.out_dir is None:
            self.out_dir = Path(tempfile.mkdtemp(prefix="stag-tools-"))
        self.out_dir.mkdir(parents=True, exist_ok=True)
        return self.out_dir

    def get_detector(self, conf: float) -> Detector:
        """A detector for ``self.detector`` at confidence ``conf``, loaded once per context."""
        key = (self.detector, conf)
        if key not in self._detectors:
            self._detectors[key] = load_detector(self.detector, device=self.device, conf=conf)
        return self._detectors[key]


def read_image(ref: ImageRef, context: ToolContext) -> np.ndarray:
    """Decode an :data:`ImageRef` (path or PNG/JPEG data URL) to a BGR image; ValueError if it is none."""
    if ref.startswith("data:"):
        head, _, payload = ref.partition(",")
        if ";base64" not in head:
            raise ValueError("image data URL must be base64 encoded: data:image/png;base64,...")
        try:
            raw = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"image data URL is not valid base64: {exc}") from exc
        image = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)
    else:
        path = context.path(ref, "image")
        if not path.is_file():
            raise ValueError(f"image file not found: {ref}")
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("could not decode the image (give a PNG or JPEG file path or data URL)")
    return image


def write_image(image: np.ndarray, fmt: ImageFormat, context: ToolContext, stem: str) -> ImageRef:
    """Encode an image as PNG: a data URL, or a file in the context's output folder."""
    ok, buf = cv2.imencode(".png", image)
    if not ok:
        raise ValueError("could not encode the image as PNG")
    if fmt == "base64":
        return _DATA_URL + base64.b64encode(buf.tobytes()).decode()
    fd, name = tempfile.mkstemp(prefix=f"{stem}-", suffix=".png", dir=context.output_dir())
    with os.fdopen(fd, "wb") as f:
        f.write(buf.tobytes())
    return name


def _frame_at(video: str, time: float, context: ToolContext) -> np.ndarray:
    from tools.video import read_frame

    return read_frame(context.path(video, "video"), time).image


def _image_or_frame(image: ImageRef | None, video: str | None, time: float | None, ctx: ToolContext) -> np.ndarray:
    if image is not None:
        return read_image(image, ctx)
    if video is not None and time is not None:
        return _frame_at(video, time, ctx)
    raise ValueError("give either 'image', or both 'video' and 'time'")


# ---------------------------------------------------------------- models


class ImageSource(BaseModel):
    """An image, or the frame of a video at a time (seconds)."""

    image: ImageRef | None = Field(None, description="file path or data:image/png;base64 URL")
    video: str | None = Field(None, description="video file path (with 'time')")
    time: float | None = Field(None, ge=0, description="seconds into the video (with 'video')")


class ProbeVideoInput(BaseModel):
    """Read a video's duration, fps, frame count, size, codec and rotation."""

    video: str = Field(description="video file path")


class ProbeVideoOutput(BaseModel):
    video: VideoInfo
    seconds: int = Field(description="number of 1-FPS samples (seconds 0..seconds-1)")


class SampleFramesInput(BaseModel):
    """Sample frames of a video at a rate (1 per second by default), optionally in [start, end]."""

    video: str = Field(description="video file path")
    sample_fps: float = Field(1.0, gt=0, le=60)
    start: float | None = Field(None, ge=0, description="first second (inclusive)")
    end: float | None = Field(None, ge=0, description="last second (inclusive)")
    max_frames: int = Field(32, ge=1, le=512, description="at most this many frames, spread evenly")
    image_format: ImageFormat = "path"


class FrameOut(BaseModel):
    index: int = Field(description="sample index (== second at 1 FPS)")
    time: float
    frame_index: int
    image: ImageRef


class SampleFramesOutput(BaseModel):
    frames: list[FrameOut]
    total_samples: int = Field(description="samples in the range before max_frames thinning")


class DetectInput(ImageSource):
    """Detect objects (COCO classes) in an image or in a video frame at a time."""

    classes: list[str] | None = Field(None, description="class words to keep, e.g. ['people', 'car']")
    conf: float = Field(0.25, ge=0, le=1)


class DetectionOut(BaseModel):
    box: Box = Field(description="pixel [x1, y1, x2, y2]")
    label: str
    score: float


class DetectOutput(BaseModel):
    detections: list[DetectionOut]
    width: int
    height: int


class TrackInput(BaseModel):
    """Detect and track objects through a video at 1 FPS (or another rate); ids are stable over seconds."""

    video: str = Field(description="video file path")
    sample_fps: float = Field(1.0, gt=0, le=60)
    start: float | None = Field(None, ge=0)
    end: float | None = Field(None, ge=0)
    classes: list[str] | None = Field(None, description="class words to keep, e.g. ['people']")
    smooth: bool = Field(True, description="smooth each track's boxes over seconds")


class TrackOut(BaseModel):
    id: int
    label: str
    start: float = Field(description="first time (s) seen")
    end: float = Field(description="last time (s) seen")
    boxes: dict[int, Box] = Field(description="sample index (second at 1 FPS) -> pixel box")
    score: float = Field(description="mean detection score")


class TrackOutput(BaseModel):
    tracks: list[TrackOut]
    times: list[float]
    video: VideoInfo


class SmoothInput(BaseModel):
    """Smooth one track's per-second boxes (jitter and outliers removed, ends kept) and fill short gaps."""

    boxes: dict[int, Box] = Field(description="sample index -> pixel box")
    sample_fps: float = Field(1.0, gt=0)
    sigma_s: float = Field(1.0, gt=0, description="smoothing width in seconds")
    outlier: float = Field(0.5, gt=0, description="outlier distance in box heights")
    max_gap: int = Field(2, ge=0, description="fill gaps of at most this many samples")


class SmoothOutput(BaseModel):
    boxes: dict[int, Box]


class RenderMarksInput(ImageSource):
    """Draw numbered boxes (set-of-marks) and the timestamp on an image or a video frame."""

    marks: dict[int, Box] = Field(description="mark id (e.g. track id) -> pixel box")
    image_format: ImageFormat = "path"


class ImageOutput(BaseModel):
    image: ImageRef
    width: int
    height: int


class CropInput(ImageSource):
    """Cut a box (grown by a padding fraction) out of an image or a video frame."""

    box: Box = Field(description="pixel [x1, y1, x2, y2]")
    pad: float = Field(0.1, ge=0, le=2)
    image_format: ImageFormat = "path"


class ContactSheetInput(BaseModel):
    """A grid of a video's frames sampled in [start, end], each stamped with its time."""

    video: str
    sample_fps: float = Field(1.0, gt=0, le=60)
    start: float | None = Field(None, ge=0)
    end: float | None = Field(None, ge=0)
    cols: int = Field(4, ge=1, le=16)
    max_frames: int = Field(16, ge=1, le=64)
    tile_width: int = Field(320, ge=32, le=1280)
    image_format: ImageFormat = "path"


# ---------------------------------------------------------------- tools


def _thin(n: int, k: int) -> list[int]:
    """Indices of at most ``k`` of ``n`` items, spread evenly, first and last kept."""
    if n <= k:
        return list(range(n))
    return sorted({round(i * (n - 1) / (k - 1)) for i in range(k)}) if k > 1 else [0]


def probe_video(args: ProbeVideoInput, ctx: ToolContext) -> ProbeVideoOutput:
    from tools.video import probe
    from verifier.timebase import sample_times

    info = probe(ctx.path(args.video, "video"))
    return ProbeVideoOutput(video=info, seconds=len(sample_times(info.frame_count, info.fps)))


def _thinned_samples(video: str, sample_fps: float, start, end, max_frames: int, ctx: ToolContext):
    """The samples in [start, end] thinned to ``max_frames`` (streamed), and the count before thinning."""
    from tools.video import iter_samples, probe
    from verifier.timebase import sample_times

    path = ctx.path(video, "video")
    info = probe(path)
    times = [t for t in sample_times(info.frame_count, info.fps, sample_fps)
             if (start is None or t >= start - 1e-9) and (end is None or t <= end + 1e-9)]
    wanted = {times[i] for i in _thin(len(times), max_frames)}
    return (s for s in iter_samples(path, sample_fps, start, end) if s.time in wanted), len(times)


def sample_frames(args: SampleFramesInput, ctx: ToolContext) -> SampleFramesOutput:
    samples, total = _thinned_samples(args.video, args.sample_fps, args.start, args.end, args.max_frames, ctx)
    frames = [
        FrameOut(index=s.index, time=s.time, frame_index=s.frame_index,
                 image=write_image(s.image, args.image_format, ctx, f"frame-{s.time:g}s"))
        for s in samples
    ]
    return SampleFramesOutput(frames=frames, total_samples=total)


def detect(args: DetectInput, ctx: ToolContext) -> DetectOutput:
    from tools.detect import resolve_classes

    image = _image_or_frame(args.image, args.video, args.time, ctx)
    keep = resolve_classes(args.classes)
    det = ctx.get_detector(args.conf).detect([image])[0]
    out = [
        DetectionOut(box=tuple(float(v) for v in b), label=str(n), score=float(c))
        for b, n, c in zip(det.xyxy, det.data["class_name"], det.confidence)
        if keep is None or n in keep
    ]
    return DetectOutput(detections=out, width=image.shape[1], height=image.shape[0])


def track(args: TrackInput, ctx: ToolContext) -> TrackOutput:
    from tools.perceive import perceive
    from tools.smooth import smooth_boxes

    config = TrackerConfig()
    p = perceive(ctx.path(args.video, "video"), sample_fps=args.sample_fps, start=args.start, end=args.end,
                 classes=args.classes, detector=ctx.get_detector(config.low_thresh), tracker=config)
    out = []
    for t in p.tracks:
        boxes = smooth_boxes(t.boxes, sample_fps=args.sample_fps) if args.smooth else t.boxes
        out.append(TrackOut(id=t.id, label=t.label, start=t.first / args.sample_fps, end=t.last / args.sample_fps,
                            boxes=boxes, score=float(np.mean(list(t.scores.values())))))
    return TrackOutput(tracks=out, times=p.times, video=p.video)


def smooth(args: SmoothInput, ctx: ToolContext) -> SmoothOutput:
    from tools.smooth import fill_gaps, smooth_boxes

    boxes = smooth_boxes(args.boxes, sample_fps=args.sample_fps, sigma_s=args.sigma_s, outlier=args.outlier)
    return SmoothOutput(boxes=fill_gaps(boxes, args.max_gap))


def render_marks(args: RenderMarksInput, ctx: ToolContext) -> ImageOutput:
    from tools.render import render_marks as draw

    image = _image_or_frame(args.image, args.video, args.time, ctx)
    out = draw(image, args.marks, args.time or 0.0)
    return ImageOutput(image=write_image(out, args.image_format, ctx, "marks"), width=out.shape[1],
                       height=out.shape[0])


def crop(args: CropInput, ctx: ToolContext) -> ImageOutput:
    from tools.render import crop as cut

    out = cut(_image_or_frame(args.image, args.video, args.time, ctx), args.box, args.pad)
    return ImageOutput(image=write_image(out, args.image_format, ctx, "crop"), width=out.shape[1],
                       height=out.shape[0])


def contact_sheet(args: ContactSheetInput, ctx: ToolContext) -> ImageOutput:
    from tools.render import contact_sheet as grid

    found, _ = _thinned_samples(args.video, args.sample_fps, args.start, args.end, args.max_frames, ctx)
    samples = list(found)
    if not samples:
        raise ValueError(f"no frames in [{args.start}, {args.end}] of {args.video}")
    out = grid([s.image for s in samples], [s.time for s in samples], cols=args.cols, tile_width=args.tile_width)
    return ImageOutput(image=write_image(out, args.image_format, ctx, "sheet"), width=out.shape[1],
                       height=out.shape[0])


# ---------------------------------------------------------------- registry


class ToolSpec(BaseModel):
    """A tool: its name, input and output models, and the function that runs it."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    name: str
    input: type[BaseModel]
    output: type[BaseModel]
    run: Callable[[Any, ToolContext], BaseModel]

    @property
    def description(self) -> str:
        """The input model's docstring (first paragraph)."""
        return (self.input.__doc__ or self.name).strip().split("\n\n")[0]


REGISTRY: dict[str, ToolSpec] = {
    s.name: s
    for s in [
        ToolSpec(name="probe_video", input=ProbeVideoInput, output=ProbeVideoOutput, run=probe_video),
        ToolSpec(name="sample_frames", input=SampleFramesInput, output=SampleFramesOutput, run=sample_frames),
        ToolSpec(name="detect", input=DetectInput, output=DetectOutput, run=detect),
        ToolSpec(name="track", input=TrackInput, output=TrackOutput, run=track),
        ToolSpec(name="smooth", input=SmoothInput, output=SmoothOutput, run=smooth),
        ToolSpec(name="render_marks", input=RenderMarksInput, output=ImageOutput, run=render_marks),
        ToolSpec(name="crop", input=CropInput, output=ImageOutput, run=crop),
        ToolSpec(name="contact_sheet", input=ContactSheetInput, output=ImageOutput, run=contact_sheet),
    ]
}
"""Every tool by name."""


def openai_tools() -> list[dict[str, Any]]:
    """OpenAI function-calling specs (``tools=[...]`` of a chat request), derived from the input models."""
    return [
        {"type": "function",
         "function": {"name": s.name, "description": s.description, "parameters": s.input.model_json_schema()}}
        for s in REGISTRY.values()
    ]


def call_tool(name: str, args: dict[str, Any], context: ToolContext | None = None) -> BaseModel:
    """Validate ``args`` against the tool's input model and run it; returns its output model.

    Raises ``KeyError`` for an unknown tool, ``pydantic.ValidationError`` for bad arguments and
    ``ValueError`` (``VideoError`` included) for bad files or paths outside ``context.roots``.
    """
    if name not in REGISTRY:
        raise KeyError(f"unknown tool {name!r}; tools are {sorted(REGISTRY)}")
    spec = REGISTRY[name]
    return spec.run(spec.input.model_validate(args), context or ToolContext())


__all__ = [
    "DETECTOR_SPECS", "REGISTRY", "ToolContext", "ToolSpec", "call_tool", "openai_tools",
    "read_image", "write_image",
]
