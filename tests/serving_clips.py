"""Real test media for the endpoint tests: short clips cut from the bundled street film, and broken files."""

from __future__ import annotations

from itertools import takewhile
from pathlib import Path

from tools.assets import asset_path
from tools.render import write_h264
from tools.video import iter_frames, probe


def cut_clip(dst: Path, start_s: float, seconds: float, src: Path | None = None) -> Path:
    """Re-encode ``seconds`` of the sample film from ``start_s`` as H.264 (keeps tests quick)."""
    src = src or asset_path("sample_video")
    fps = probe(src).fps
    first, stop = round(start_s * fps), round((start_s + seconds) * fps)
    frames = (image for index, image in takewhile(lambda f: f[0] < stop, iter_frames(src)) if index >= first)
    return write_h264(frames, dst, fps)


def truncated_copy(src: Path, dst: Path, keep_bytes: int = 4096) -> Path:
    """The first bytes of a real video: a header with no decodable frames."""
    dst.write_bytes(src.read_bytes()[:keep_bytes])
    return dst


def text_as_video(dst: Path) -> Path:
    """A text file named like a video."""
    dst.write_text("this is not a video, just text renamed to .mp4\n" * 20)
    return dst
