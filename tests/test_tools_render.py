"""Rendering: H.264 that PyAV reads back, set-of-marks frames, contact sheets, crops."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from tools.assets import asset_path
from tools.render import contact_sheet, crop, render_marks, render_video, write_h264
from tools.track import Track
from tools.video import iter_samples, probe
from verifier.result import GroundingResult, Referent


def _read_back(path: Path) -> tuple[av.video.stream.VideoStream, list[np.ndarray], bytes]:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        info = (s.codec_context.name, s.codec_context.pix_fmt, s.codec_context.profile, float(s.average_rate))
        frames = [f.to_ndarray(format="bgr24") for f in c.decode(s)]
    return info, frames, path.read_bytes()


def test_write_h264_is_browser_playable(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    src = [np.full((91, 121, 3), 10 * k, np.uint8) + rng.integers(0, 5, (91, 121, 3), dtype=np.uint8)
           for k in range(12)]
    out = write_h264(iter(src), tmp_path / "sub" / "clip.mp4", fps=29.97)
    (codec, pix_fmt, _, fps), frames, raw = _read_back(out)
    assert (codec, pix_fmt) == ("h264", "yuv420p")
    assert fps == pytest.approx(29.97, abs=0.01)
    assert len(frames) == 12 and frames[0].shape == (92, 122, 3)  # padded to even size
    assert raw.find(b"moov") < raw.find(b"mdat")  # faststart: playable while downloading
    means = [float(f[:91, :121].mean()) for f in frames]
    assert all(abs(m - float(s.mean())) < 6 for m, s in zip(means, src))  # same pictures, same order
    assert means == sorted(means)


def test_write_h264_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no frames"):
        write_h264([], tmp_path / "empty.mp4", 10)
    assert not (tmp_path / "empty.mp4").exists()
    with pytest.raises(ValueError, match="fps"):
        write_h264([np.zeros((8, 8, 3), np.uint8)], tmp_path / "x.mp4", 0)
    with pytest.raises(ValueError, match="larger than the first frame"):
        write_h264([np.zeros((8, 8, 3), np.uint8), np.zeros((16, 16, 3), np.uint8)], tmp_path / "y.mp4", 5)


@pytest.fixture(scope="module")
def frames() -> list:
    return list(iter_samples(asset_path("sample_video"), start=10, end=13))


def test_set_of_marks_draws_ids_and_time(frames) -> None:
    img = frames[0].image
    out = render_marks(img, {3: (100, 100, 180, 300), 12: (400, 120, 460, 280)}, timestamp=10.0)
    assert out.shape == img.shape and not np.array_equal(out, img)
    assert np.array_equal(img, frames[0].image)  # input untouched
    changed = np.any(out != img, axis=2)
    assert changed[100:300, 95:185].any() and changed[120:280, 395:465].any()  # boxes and their ids
    assert changed[:40, :150].any()  # the timestamp, top left
    assert not changed[200:330, 250:350].any()  # nothing drawn elsewhere
    blank = render_marks(img, {}, timestamp=3.5)
    assert np.any(blank != img)


def test_contact_sheet_grid(frames) -> None:
    sheet = contact_sheet([f.image for f in frames], [f.time for f in frames], cols=3, tile_width=160)
    assert sheet.shape == (2 * 90, 3 * 160, 3)
    assert not sheet[90:, 160:].any()  # two empty cells stay black
    with pytest.raises(ValueError, match="2 images but 1 times"):
        contact_sheet([frames[0].image] * 2, [0.0])
    with pytest.raises(ValueError, match="at least one"):
        contact_sheet([], [])


def test_crop(frames) -> None:
    img = frames[0].image
    assert crop(img, (100, 50, 200, 250), pad=0.1).shape == (240, 120, 3)
    assert crop(img, (600, 300, 700, 400), pad=0).shape == (60, 40, 3)  # clipped to the image
    with pytest.raises(ValueError, match="x2 > x1"):
        crop(img, (50, 50, 40, 60))
    with pytest.raises(ValueError, match="outside"):
        crop(img, (700, 10, 800, 50), pad=0)


def _rendered(tmp_path: Path, **kw):
    film = asset_path("sample_video")
    info = probe(film)
    result = GroundingResult(
        query="the man in the middle", video=info,
        referents=[Referent(id=1, label="person", interval=(2, 4),
                            boxes={2: (300, 120, 360, 300), 3: (310, 120, 370, 300), 4: (320, 120, 380, 300)}),
                   Referent(id=2, label="car", interval=(1, 2), boxes={1: (20, 200, 200, 330), 2: (30, 200, 210, 330)})],
    )
    faint = [Track(id=9, label="person", boxes={k: (500, 100, 540, 200) for k in range(3)})]
    seen: list[tuple[str, int, int]] = []
    out = render_video(film, result, tmp_path / "annotated.mp4", tracks=faint, highlight=[1],
                       on_progress=lambda *a: seen.append(a), **kw)
    return info, out, seen


def _changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a.astype(int) - b.astype(int)).sum(axis=2) > 60


def test_render_video_clip_of_the_real_film(tmp_path: Path) -> None:
    info, out, seen = _rendered(tmp_path, start=0, end=6)
    (codec, pix_fmt, _, fps), frames, raw = _read_back(out)
    assert (codec, pix_fmt) == ("h264", "yuv420p") and fps == pytest.approx(info.fps)
    assert raw.find(b"moov") < raw.find(b"mdat")
    assert len(frames) == 181 and frames[0].shape == (360, 640, 3)  # frames 0..180 (t = 0..6 s)
    assert seen[-1] == ("render", 181, 181)
    originals = {s.frame_index: s.image for s in iter_samples(asset_path("sample_video"), start=0, end=6)}
    diff = {k: _changed(frames[k], img) for k, img in originals.items()}
    assert diff[90][118:123, 300:380].mean() > 0.5  # referent 1 drawn strongly at second 3
    assert diff[180][118:123, 300:380].mean() < 0.1  # and gone after its interval
    faint_line = diff[30][198:202, 20:200].mean()
    assert 0.2 < faint_line  # referent 2 (not highlighted) drawn faintly at second 1
    assert diff[30][98:102, 500:540].mean() > 0.2  # the extra track, faint
    with pytest.raises(ValueError, match="nothing to render"):
        _rendered(tmp_path, start=70)


@pytest.mark.slow
def test_render_video_whole_film(tmp_path: Path) -> None:
    info, out, seen = _rendered(tmp_path)
    (codec, _, _, _), frames, _ = _read_back(out)
    assert codec == "h264" and len(frames) == info.frame_count
    assert seen[-1] == ("render", info.frame_count, info.frame_count)


def test_render_video_draws_the_results_other_tracks_faint_by_default(tmp_path: Path) -> None:
    film = asset_path("sample_video")
    result = GroundingResult(
        query="the man in the middle", video=probe(film),
        referents=[Referent(id=1, label="person", interval=(0, 1), boxes={0: (300, 120, 360, 300), 1: (300, 120, 360, 300)})],
        others=[Referent(id=9, label="car", interval=(0, 1), boxes={0: (500, 100, 540, 200), 1: (500, 100, 540, 200)})],
    )
    out = render_video(film, result, tmp_path / "others.mp4", start=0, end=1)
    _, frames, _ = _read_back(out)
    original = next(iter_samples(film, start=1, end=1)).image
    diff = _changed(frames[30], original)
    strong, faint = diff[118:123, 300:360].mean(), diff[98:102, 500:540].mean()
    assert strong > 0.5 and 0.2 < faint  # the referent strongly, the unchosen track faintly
