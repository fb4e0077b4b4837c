"""Draw what stag found: annotated H.264 video, set-of-marks frames, contact sheets, crops.

Drawing uses supervision's annotators. Video is written with PyAV as browser-playable H.264
(libx264, yuv420p, ``+faststart``); OpenCV's writer cannot do that without system ffmpeg.

>>> import numpy as np
>>> img = np.zeros((120, 160, 3), np.uint8)
>>> render_marks(img, {7: (10, 10, 60, 100)}, timestamp=3.0).shape
(120, 160, 3)
>>> contact_sheet([img] * 5, [0.0, 1.0, 2.0, 3.0, 4.0], cols=3, tile_width=80).shape
(120, 240, 3)
>>> crop(img, (10, 10, 60, 100), pad=0.0).shape
(90, 50, 3)
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import supervision as sv

from tools.smooth import frame_boxes
from tools.track import Track
from tools.video import iter_frames, probe
from verifier.result import Box, GroundingResult, Referent
from verifier.timebase import frame_of_time

PALETTE = sv.ColorPalette.DEFAULT
FAINT = sv.Color(r=200, g=200, b=200)


def write_h264(frames: Iterable[np.ndarray], path: str | os.PathLike[str], fps: float, *, crf: int = 23) -> Path:
    """Encode BGR frames as browser-playable H.264 MP4 (libx264, yuv420p, faststart); returns the path.

    Odd frame sizes are padded by one pixel (yuv420p needs even sizes). Frames are consumed one
    at a time. Raises ``ValueError`` if there is no frame or ``fps`` is not positive.

    >>> import numpy as np, tempfile, pathlib
    >>> out = write_h264([np.zeros((64, 64, 3), np.uint8)] * 3, pathlib.Path(tempfile.mkdtemp()) / "a.mp4", 5)
    >>> out.stat().st_size > 0
    True
    """
    if not fps or fps <= 0 or not math.isfinite(fps):
        raise ValueError(f"fps must be a positive number, got {fps!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rate = Fraction(fps).limit_denominator(1001)
    container = av.open(str(path), mode="w", options={"movflags": "+faststart"})
    stream = None
    try:
        for image in frames:
            h, w = image.shape[:2]
            if stream is None:
                stream = container.add_stream("libx264", rate=rate)
                stream.width, stream.height = w + w % 2, h + h % 2
                stream.pix_fmt = "yuv420p"
                stream.options = {"crf": str(crf), "preset": "veryfast"}
            if w > stream.width or h > stream.height:
                raise ValueError(f"frame of {w}x{h} is larger than the first frame ({stream.width}x{stream.height})")
            if (w, h) != (stream.width, stream.height):
                image = cv2.copyMakeBorder(image, 0, stream.height - h, 0, stream.width - w, cv2.BORDER_REPLICATE)
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
            container.mux(stream.encode(frame))
        if stream is None:
            raise ValueError("no frames to write")
        container.mux(stream.encode(None))
    except BaseException:
        container.close()
        path.unlink(missing_ok=True)
        raise
    container.close()
    return path


def _detections(boxes: Sequence[Box], ids: Sequence[int]) -> sv.Detections:
    return sv.Detections(
        xyxy=np.asarray(boxes, dtype=np.float32).reshape(-1, 4),
        class_id=np.asarray(ids, dtype=int),
        tracker_id=np.asarray(ids, dtype=int),
    )


def _stamp(image: np.ndarray, timestamp: float, scale: float = 0.6) -> np.ndarray:
    return sv.draw_text(
        image, f"t={timestamp:.1f}s", sv.Point(x=8 + 45 * scale * 2, y=8 + 14 * scale * 2),
        text_color=sv.Color.WHITE, text_scale=scale, text_thickness=max(1, round(scale * 2)),
        text_padding=4, background_color=sv.Color.BLACK,
    )


def render_marks(image: np.ndarray, marks: Mapping[int, Box], timestamp: float) -> np.ndarray:
    """Set-of-marks frame: each box outlined with its id drawn large, and the timestamp in a corner.

    A multimodal model reads this frame and answers with ids. Returns a new image.
    """
    scene = image.copy()
    if marks:
        ids = list(marks)
        det = _detections([marks[i] for i in ids], ids)
        size = max(image.shape[:2])
        scale = max(0.6, size / 640)
        scene = sv.BoxAnnotator(color=PALETTE, thickness=max(2, round(scale * 2)),
                                color_lookup=sv.ColorLookup.TRACK).annotate(scene, det)
        scene = sv.LabelAnnotator(
            color=PALETTE, color_lookup=sv.ColorLookup.TRACK, text_scale=scale, text_thickness=max(2, round(scale * 2)),
            text_padding=4, text_position=sv.Position.TOP_LEFT,
        ).annotate(scene, det, labels=[str(i) for i in ids])
    return _stamp(scene, timestamp, max(0.5, max(image.shape[:2]) / 1000))


def contact_sheet(
    images: Sequence[np.ndarray], times: Sequence[float], cols: int = 4, tile_width: int = 320
) -> np.ndarray:
    """A grid of frames, each resized to ``tile_width`` and stamped with its time; empty cells are black."""
    if not len(images):
        raise ValueError("contact_sheet needs at least one image")
    if len(images) != len(times):
        raise ValueError(f"{len(images)} images but {len(times)} times")
    cols = max(1, min(cols, len(images)))
    h0, w0 = images[0].shape[:2]
    tile_h = max(1, round(tile_width * h0 / w0))
    rows = math.ceil(len(images) / cols)
    sheet = np.zeros((rows * tile_h, cols * tile_width, 3), np.uint8)
    for k, (img, t) in enumerate(zip(images, times)):
        tile = cv2.resize(img, (tile_width, tile_h), interpolation=cv2.INTER_AREA)
        tile = _stamp(tile, t, max(0.4, tile_width / 640))
        r, c = divmod(k, cols)
        sheet[r * tile_h:(r + 1) * tile_h, c * tile_width:(c + 1) * tile_width] = tile
    return sheet


def crop(image: np.ndarray, box: Box, pad: float = 0.1) -> np.ndarray:
    """The part of ``image`` inside ``box`` grown by ``pad`` (a fraction of the box size), clipped to the image.

    Raises ``ValueError`` for a box that is empty or outside the image.
    """
    h, w = image.shape[:2]
    x1, y1, x2, y2 = (float(v) for v in box)
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)) or x2 <= x1 or y2 <= y1:
        raise ValueError(f"box must be [x1, y1, x2, y2] with x2 > x1 and y2 > y1, got {box}")
    px, py = pad * (x2 - x1), pad * (y2 - y1)
    a, b = int(max(0, math.floor(x1 - px))), int(max(0, math.floor(y1 - py)))
    c, d = int(min(w, math.ceil(x2 + px))), int(min(h, math.ceil(y2 + py)))
    if c <= a or d <= b:
        raise ValueError(f"box {box} lies outside the {w}x{h} image")
    return image[b:d, a:c].copy()


def render_video(
    video_path: str | os.PathLike[str],
    result: GroundingResult,
    out_path: str | os.PathLike[str],
    *,
    tracks: Sequence[Track | Referent] | None = None,
    highlight: Sequence[int] | None = None,
    start: float | None = None,
    end: float | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> Path:
    """Write ``video_path`` annotated with the result's referents as H.264 to ``out_path``.

    Referents in ``highlight`` (default: all) get coloured boxes, ``#id label`` tags and short
    trails; other referents and the extra ``tracks`` (default: the result's ``others``, the tracks
    the query does not mean) are drawn faint. Per-second boxes are interpolated to every frame with the verifier's rule. ``start`` /
    ``end`` (seconds) render only that part (each frame keeps its original timestamp).
    ``on_progress("render", done_frames, total_frames)`` is called as frames are written.
    """
    info = probe(video_path)
    sample_fps = result.video.sample_fps
    chosen = set(highlight) if highlight is not None else {r.id for r in result.referents}
    strong: dict[int, tuple[str, dict[int, Box]]] = {}
    faint: dict[int, dict[int, Box]] = {}
    for r in result.referents:
        fb = frame_boxes(r.boxes, info.fps, info.frame_count, sample_fps)
        if r.id in chosen:
            strong[r.id] = (r.label, fb)
        else:
            faint[r.id] = fb
    referent_ids = {r.id for r in result.referents}
    for t in result.others if tracks is None else tracks:
        if t.id not in referent_ids:
            faint[t.id] = frame_boxes(t.boxes, info.fps, info.frame_count, sample_fps)
    box_ann = sv.BoxAnnotator(color=PALETTE, thickness=3, color_lookup=sv.ColorLookup.TRACK)
    label_ann = sv.LabelAnnotator(color=PALETTE, color_lookup=sv.ColorLookup.TRACK, text_scale=0.5,
                                  text_thickness=1, text_padding=4)
    trace_ann = sv.TraceAnnotator(color=PALETTE, color_lookup=sv.ColorLookup.TRACK, thickness=2,
                                  trace_length=max(2, round(2 * info.fps)), position=sv.Position.BOTTOM_CENTER)
    faint_ann = sv.BoxAnnotator(color=FAINT, thickness=2)
    first = 0 if start is None else max(0, frame_of_time(start, info.fps))
    last = info.frame_count - 1 if end is None else min(info.frame_count - 1, frame_of_time(end, info.fps))
    if last < first:
        raise ValueError(f"nothing to render between {start}s and {end}s of a {info.duration:.2f}s video")
    total = last - first + 1

    def frames() -> Iterable[np.ndarray]:
        for index, image in iter_frames(video_path):
            if index < first:
                continue
            if index > last:
                break
            scene = image
            weak = [(i, fb[index]) for i, fb in faint.items() if index in fb]
            if weak:
                overlay = faint_ann.annotate(image.copy(), _detections([b for _, b in weak], [i for i, _ in weak]))
                scene = cv2.addWeighted(overlay, 0.6, image, 0.4, 0)
            live = [(i, lab, fb[index]) for i, (lab, fb) in strong.items() if index in fb]
            det = _detections([b for _, _, b in live], [i for i, _, _ in live])
            scene = trace_ann.annotate(scene, det)
            if live:
                scene = box_ann.annotate(scene, det)
                scene = label_ann.annotate(scene, det, labels=[f"#{i} {lab}" for i, lab, _ in live])
            scene = _stamp(scene, index / info.fps, 0.5)
            if on_progress and ((index - first) % 30 == 0 or index == last):
                on_progress("render", index - first + 1, total)
            yield scene

    return write_h264(frames(), out_path, info.fps)
