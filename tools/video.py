"""Probe a video and stream its samples at a chosen rate (1 per second by default).

Which frame stands for an instant is decided by :mod:`verifier.timebase` (sample ``i`` at rate ``r``
is frame ``round(i / r * fps)``), the same rule the verifier uses for ground truth. Frames are
decoded one at a time with PyAV, so memory does not grow with the video's length. Anything that is
not a readable video (a text file named ``.mp4``, an empty or truncated file, a file with no
frames or no frame rate, an absurd resolution) raises :class:`VideoError` saying what is wrong.

>>> from tools.assets import asset_path
>>> info = probe(asset_path("sample_video"))
>>> (info.width, info.height, round(info.fps, 2), info.codec)
(640, 360, 29.97, 'h264')
>>> first = next(iter_samples(asset_path("sample_video")))
>>> (first.index, first.time, first.frame_index, first.image.shape)
(0, 0.0, 0, (360, 640, 3))
"""

from __future__ import annotations

import bisect
import math
import os
from collections.abc import Collection, Generator, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from verifier.result import VideoInfo
from verifier.timebase import frame_of_time, sample_times

MAX_PIXELS = 8192 * 8192
"""Largest frame area accepted by default (an 8K-square frame); more is treated as a broken header."""


class VideoError(ValueError):
    """The file is not a video stag can read; the message says what is wrong and what to do."""


@dataclass(frozen=True)
class Sample:
    """One sampled frame: ``index`` is the sample number, ``time`` its instant in seconds.

    ``image`` is BGR ``uint8`` of shape ``(height, width, 3)`` in display orientation.
    """

    index: int
    time: float
    frame_index: int
    image: np.ndarray


def _open(path: str | os.PathLike[str]) -> av.container.InputContainer:
    p = Path(path)
    if not p.exists():
        raise VideoError(f"video file not found: {p}")
    if not p.is_file():
        raise VideoError(f"not a file: {p}")
    if p.stat().st_size == 0:
        raise VideoError(f"video file is empty (0 bytes): {p}; give a real video file")
    try:
        container = av.open(str(p), mode="r")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise VideoError(
            f"cannot read {p} as a video ({exc.__class__.__name__}: {exc}); "
            "the file is corrupt or not a video (e.g. text renamed to .mp4)"
        ) from exc
    if not container.streams.video:
        container.close()
        raise VideoError(f"{p} has no video stream (audio-only or not a video)")
    return container


def _rotation(stream: av.video.stream.VideoStream) -> int:
    """Display rotation in degrees (0, 90, 180, 270), read from the stream's display matrix."""
    for key in ("rotate",):
        value = stream.metadata.get(key)
        if value:
            try:
                return int(float(value)) % 360
            except ValueError:
                pass
    return 0


def _fps(stream: av.video.stream.VideoStream) -> float:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and float(rate) > 0 and math.isfinite(float(rate)):
            return float(rate)
    return 0.0


def _probe_open(
    container: av.container.InputContainer, path: str | os.PathLike[str], max_pixels: int
) -> VideoInfo:
    stream = container.streams.video[0]
    ctx = stream.codec_context
    width, height = int(ctx.width or 0), int(ctx.height or 0)
    if width <= 0 or height <= 0:
        raise VideoError(f"{path}: video stream has no frame size (broken header or no frames)")
    if width * height > max_pixels:
        raise VideoError(
            f"{path}: resolution {width}x{height} exceeds the limit of {max_pixels} pixels per frame; "
            "downscale the video (or raise max_pixels if this is intended)"
        )
    fps = _fps(stream)
    if fps <= 0:
        raise VideoError(f"{path}: video has no frame rate (fps is 0 or unknown); re-encode it with a fixed fps")
    if stream.duration and stream.time_base:
        duration = float(stream.duration * stream.time_base)
    elif container.duration:
        duration = container.duration / av.time_base
    else:
        duration = 0.0
    frame_count = int(stream.frames or 0) or round(duration * fps)
    if frame_count <= 0:
        raise VideoError(f"{path}: video has no frames")
    duration = duration or frame_count / fps
    rotation = _rotation(stream)
    if rotation in (90, 270):
        width, height = height, width
    return VideoInfo(
        path=str(path), width=width, height=height, fps=fps, frame_count=frame_count,
        duration=duration, sample_fps=1.0, codec=ctx.name, rotation=rotation,
    )


def probe(path: str | os.PathLike[str], *, max_pixels: int = MAX_PIXELS) -> VideoInfo:
    """Read a video's facts (size in display orientation, fps, frame count, duration, codec, rotation).

    Raises :class:`VideoError` for anything that is not a readable, non-empty video.

    >>> from tools.assets import asset_path
    >>> probe(asset_path("sample_video")).frame_count
    1799
    """
    container = _open(path)
    try:
        info = _probe_open(container, path, max_pixels)
        _first_frame(container, path)
        return info
    finally:
        container.close()


def _first_frame(container: av.container.InputContainer, path: str | os.PathLike[str]) -> None:
    """Decode until one frame comes out (headers can promise frames a file does not have)."""
    try:
        for _ in container.decode(container.streams.video[0]):
            return
    except av.error.FFmpegError as exc:
        raise VideoError(f"{path}: the first frame cannot be decoded ({exc}); the file is corrupt") from exc
    raise VideoError(f"{path}: video has no frames (its video stream holds no decodable picture)")


def _rotate(image: np.ndarray, rotation: int) -> np.ndarray:
    """Turn a decoded frame into display orientation (``rotation`` is clockwise degrees)."""
    if rotation == 0:
        return image
    return np.ascontiguousarray(np.rot90(image, k=-(rotation // 90)))


def iter_samples(
    path: str | os.PathLike[str],
    sample_fps: float = 1.0,
    start: float | None = None,
    end: float | None = None,
    *,
    max_pixels: int = MAX_PIXELS,
    prefetch: int = 4,
    indices: Collection[int] | None = None,
) -> Iterator[Sample]:
    """Stream the samples of a video at ``sample_fps`` per second, optionally within ``[start, end]``.

    Sample ``i`` is at ``t = i / sample_fps`` and is frame ``round(t * fps)`` (:mod:`verifier.timebase`);
    ``start``/``end`` (seconds, inclusive) keep only samples with ``start <= t <= end``, seeking
    to ``start`` first; ``indices`` keeps only the samples with those indices (a few scattered
    instants: frames between them are not converted, and decoding jumps over what it can). On long
    videos (over :data:`SEEK_MIN_SECONDS`), or when the samples are on average
    :data:`SPARSE_GAP_SECONDS` or more apart, decoding jumps to the keyframe before a sample whenever
    that skips frames; otherwise it decodes sequentially. A background thread
    decodes up to ``prefetch`` samples ahead (0: decode in the caller's thread), so decoding
    overlaps whatever the caller does with each sample (detection); memory stays flat in the
    video's length. Raises :class:`VideoError` for an unreadable file, or when decoding stops well
    before the frames the header promises (truncated).

    >>> from tools.assets import asset_path
    >>> [s.frame_index for s in iter_samples(asset_path("sample_video"), start=2, end=4)]
    [60, 90, 120]
    """
    container = _open(path)  # open errors surface here, in the caller's thread
    try:
        info = _probe_open(container, path, max_pixels)
    except BaseException:
        container.close()
        raise
    times = [
        t for t in sample_times(info.frame_count, info.fps, sample_fps)
        if (start is None or t >= start - 1e-9) and (end is None or t <= end + 1e-9)
    ]
    targets = [(round(t * sample_fps), t, frame_of_time(t, info.fps)) for t in times]
    if indices is not None:
        wanted = set(indices)
        targets = [target for target in targets if target[0] in wanted]

    def produce() -> Iterator[Sample]:
        try:
            if targets:
                yield from _decode_targets(container, info, targets)
        finally:
            container.close()

    if prefetch <= 0:
        yield from produce()
    else:
        yield from _prefetched(produce(), prefetch)


SEEK_MIN_SECONDS = 120.0
"""Videos at least this long are decoded keyframe-to-sample (jumping over unneeded stretches)."""

SPARSE_GAP_SECONDS = 2.0
"""Samples this far apart on average are decoded keyframe-to-sample on a video of any length."""


def _prefetched(source: Iterator[Sample], depth: int) -> Iterator[Sample]:
    """Run ``source`` in a daemon thread, ``depth`` items ahead; errors re-raise in the consumer."""
    import queue
    import threading

    q: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: tuple[str, object]) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for sample in source:
                if not put(("item", sample)):
                    return
            put(("end", None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, re-raised there
            put(("error", exc))
        finally:
            source.close()

    thread = threading.Thread(target=run, name="stag-decode", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = q.get()
            if kind == "item":
                yield value  # type: ignore[misc]
            elif kind == "error":
                raise value  # type: ignore[misc]
            else:
                return
    finally:
        stop.set()
        thread.join()


def read_frame(path: str | os.PathLike[str], time: float, *, max_pixels: int = MAX_PIXELS) -> Sample:
    """The frame standing for instant ``time`` (frame ``round(time * fps)``), as a :class:`Sample` of index 0.

    Raises :class:`VideoError` if ``time`` lies outside the video.

    >>> from tools.assets import asset_path
    >>> read_frame(asset_path("sample_video"), 2.5).frame_index
    75
    """
    container = _open(path)
    try:
        info = _probe_open(container, path, max_pixels)
        frame_index = frame_of_time(time, info.fps) if time >= 0 else -1
        if not 0 <= frame_index < info.frame_count:
            raise VideoError(f"time {time}s is outside the video (0 to {info.duration:.2f}s)")
        return next(_decode_targets(container, info, [(0, float(time), frame_index)]))
    finally:
        container.close()


def iter_frames(
    path: str | os.PathLike[str], *, max_pixels: int = MAX_PIXELS
) -> Iterator[tuple[int, np.ndarray]]:
    """Stream every frame as ``(frame_index, BGR image)`` in display orientation (for rendering).

    >>> from tools.assets import asset_path
    >>> index, image = next(iter_frames(asset_path("sample_video")))
    >>> index, image.shape
    (0, (360, 640, 3))
    """
    container = _open(path)
    try:
        info = _probe_open(container, path, max_pixels)
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        index = -1
        try:
            for index, frame in enumerate(container.decode(stream)):
                yield index, _rotate(frame.to_ndarray(format="bgr24"), info.rotation)
        except av.error.FFmpegError as exc:
            raise VideoError(f"{path}: decoding failed after frame {index} ({exc}); the file is corrupt") from exc
        if index < 0:
            raise VideoError(f"{path}: no frame could be decoded; the video has no frames or is corrupt")
    finally:
        container.close()


def _keyframes(container: av.container.InputContainer, info: VideoInfo) -> list[int]:
    """Frame indices of the keyframes (from packet flags: demuxing only, no decoding)."""
    stream = container.streams.video[0]
    time_base = stream.time_base or Fraction(1, 1)
    start_pts = stream.start_time or 0
    keys = sorted(
        math.floor(float((pk.pts - start_pts) * time_base) * info.fps + 0.5)
        for pk in container.demux(stream) if pk.is_keyframe and pk.pts is not None
    )
    container.seek(start_pts, stream=stream, backward=True)
    return keys


def _decode_targets(
    container: av.container.InputContainer,
    info: VideoInfo,
    targets: list[tuple[int, float, int]],
) -> Iterator[Sample]:
    stream = container.streams.video[0]
    # Slice threads only: frame threads cost more CPU and add a pipeline of frames to fill after every
    # seek; sampling runs beside the detector, which wants the cores (640x360: 0.24 s instead of 0.33 s
    # for 25 s of video; 1080p: 0.61 s instead of 0.80 s per 300 frames, on 2 cores).
    stream.thread_type = "SLICE"
    gap = (targets[-1][2] - targets[0][2]) / info.fps / max(len(targets) - 1, 1)
    jump = len(targets) > 1 and (info.duration >= SEEK_MIN_SECONDS or gap >= SPARSE_GAP_SECONDS)
    keys = _keyframes(container, info) if jump else []
    pos = 0
    last_frame = -1
    sought = -1  # the last keyframe sought: a jump only ever goes to a later one, so decoding always ends
    first = True
    while pos < len(targets):
        # Start (or jump) decoding: near the first target, or at the keyframe before the next target
        # whenever that keyframe lies past the frames decoded so far.
        target = targets[pos][2]
        key = keys[bisect.bisect_right(keys, target) - 1] if keys and keys[0] <= target else None
        if first or (key is not None and key > last_frame + 1 and key > sought):
            seek_frame = key if key is not None else max(0, round(target - info.fps))
            if seek_frame > 0 or not first:
                _seek(container, info, seek_frame)
            sought = max(sought, seek_frame)
            first = False
        pos, last_frame, jumped = yield from _decode_run(container, info, targets, pos, keys, last_frame, sought)
        if not jumped:
            break
    missing = targets[pos:]
    if missing and (pos == 0 and last_frame < 0):
        raise VideoError(f"{info.path}: no frame could be decoded; the video has no frames or is corrupt")
    if missing and missing[0][2] < info.frame_count - info.fps:
        raise VideoError(
            f"{info.path}: video ends at frame {last_frame} but its header promises {info.frame_count} "
            f"frames ({len(missing)} samples missing, from t={missing[0][1]:g}s); the file is truncated. "
            "Re-download or re-encode it"
        )


def _seek(container: av.container.InputContainer, info: VideoInfo, frame: int) -> None:
    """Seek to the keyframe at or before ``frame`` (decoding then walks forward).

    The target is half a frame after ``frame``'s time: a keyframe found at ``frame`` (its time
    rounded to a frame, :func:`_keyframes`) has a timestamp at most that, so the float arithmetic of
    the conversion can never land on the keyframe before it (e.g. frame 7750 at 30 fps, time base
    1/15360: ``int(7750 / 30 * 15360)`` is 3967999, one tick before the keyframe's 3968000).
    """
    stream = container.streams.video[0]
    time_base = stream.time_base or Fraction(1, 1)
    start_pts = stream.start_time or 0
    container.seek(int((frame + 0.5) / info.fps / time_base) + start_pts, stream=stream, backward=True)


def _decode_run(
    container: av.container.InputContainer,
    info: VideoInfo,
    targets: list[tuple[int, float, int]],
    pos: int,
    keys: list[int],
    last_frame: int,
    sought: int = -1,
) -> Generator[Sample, None, tuple[int, int, bool]]:
    """Decode forward from the current position, yielding targets; stop early (jumped=True) when
    the next target's keyframe lies ahead of the decoded frames and after ``sought``, the keyframe
    last sought (a seek that landed early decodes on instead of seeking to the same keyframe again).
    Returns (pos, last_frame, jumped)."""
    stream = container.streams.video[0]
    codec = stream.codec_context
    time_base = stream.time_base or Fraction(1, 1)
    start_pts = stream.start_time or 0
    counter = -1
    first_frame = targets[pos][2]
    skipping = True  # off for good once a frame has no timestamp (frames are then counted, none may be skipped)
    try:
        for packet in container.demux(stream):
            # A frame shown before the next target is never sampled: the decoder may drop it when no
            # other frame refers to it (H.264 B-frames: about a third less decoding, same samples).
            shown = (math.floor(float((packet.pts - start_pts) * time_base) * info.fps + 0.5)
                     if skipping and packet.pts is not None else None)
            codec.skip_frame = "NONREF" if shown is not None and shown < targets[pos][2] else "DEFAULT"
            for frame in packet.decode():
                counter += 1
                if frame.pts is not None:
                    last_frame = math.floor(float((frame.pts - start_pts) * time_base) * info.fps + 0.5)
                else:
                    skipping = False
                    last_frame = counter if first_frame == 0 else last_frame + 1
                while pos < len(targets) and last_frame >= targets[pos][2]:
                    index, t, frame_index = targets[pos]
                    image = _rotate(frame.to_ndarray(format="bgr24"), info.rotation)
                    yield Sample(index=index, time=t, frame_index=frame_index, image=image)
                    pos += 1
                if pos == len(targets):
                    return pos, last_frame, False
                if keys:
                    nxt = targets[pos][2]
                    key = keys[bisect.bisect_right(keys, nxt) - 1]
                    if key > last_frame + 1 and key > sought:
                        return pos, last_frame, True
    except av.error.FFmpegError as exc:
        raise VideoError(
            f"{info.path}: decoding failed after frame {last_frame} ({exc}); the file is corrupt or truncated"
        ) from exc
    finally:
        codec.skip_frame = "DEFAULT"
    return pos, last_frame, False
