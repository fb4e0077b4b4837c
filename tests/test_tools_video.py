"""Video probing and 1-FPS sampling on the real sample film, and clear errors for bad files."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from tools.assets import asset_path
from tools.render import write_h264
from tools.video import VideoError, iter_frames, iter_samples, probe, read_frame
from verifier.timebase import frame_of_time, sample_times


@pytest.fixture(scope="module")
def film() -> Path:
    return asset_path("sample_video")


@pytest.fixture(scope="module")
def samples(film: Path):
    return list(iter_samples(film))


def test_probe_reads_the_real_film(film: Path) -> None:
    info = probe(film)
    assert (info.width, info.height, info.codec, info.rotation) == (640, 360, "h264", 0)
    assert info.fps == pytest.approx(30000 / 1001)
    assert info.frame_count == 1799
    assert info.duration == pytest.approx(60.03, abs=0.01)
    assert info.sample_fps == 1.0


def test_one_sample_per_second_by_the_shared_time_rule(film: Path, samples) -> None:
    info = probe(film)
    # the 60.03 s film has 60 seconds (0..59): the 0.03 s stub after t=60 is no second of its own
    assert len(samples) == 60
    assert [s.time for s in samples] == sample_times(info.frame_count, info.fps)
    assert [s.index for s in samples] == list(range(60))
    assert [s.frame_index for s in samples] == [frame_of_time(k, info.fps) for k in range(len(samples))]
    assert samples[59].frame_index == 1768
    assert all(s.image.shape == (360, 640, 3) and s.image.dtype == np.uint8 for s in samples)


def test_sampled_frames_are_the_frames_the_rule_names(film: Path, samples) -> None:
    wanted = {s.frame_index: s for s in samples[:4]}
    for index, image in iter_frames(film):
        if index in wanted:
            assert np.array_equal(image, wanted[index].image)
        if index > max(wanted):
            break
    # seeking into the middle lands on the same frames as decoding from the start
    mid = list(iter_samples(film, start=30, end=32))
    assert [s.index for s in mid] == [30, 31, 32]
    for s in mid:
        assert np.array_equal(s.image, samples[s.index].image)
    assert np.array_equal(read_frame(film, 31.0).image, samples[31].image)


def test_other_rates_and_ranges(film: Path) -> None:
    half = list(iter_samples(film, sample_fps=2.0, start=10, end=11.5))
    assert [(s.index, s.time, s.frame_index) for s in half] == [
        (20, 10.0, 300), (21, 10.5, 315), (22, 11.0, 330), (23, 11.5, 345)]
    assert list(iter_samples(film, start=70)) == []
    with pytest.raises(VideoError, match="outside the video"):
        read_frame(film, 75.0)


def test_sampling_streams(film: Path) -> None:
    it = iter_samples(film)
    first = next(it)
    assert first.index == 0
    it.close()  # a generator: nothing beyond the current frame was decoded or kept


# ------------------------------------------------------------------ bad input


def test_text_named_mp4(tmp_path: Path) -> None:
    bad = tmp_path / "notes.mp4"
    bad.write_text("this is not a video\n")
    with pytest.raises(VideoError, match="not a video"):
        probe(bad)
    with pytest.raises(VideoError, match="not a video"):
        list(iter_samples(bad))


def test_zero_byte_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.touch()
    with pytest.raises(VideoError, match="empty"):
        probe(empty)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="not found"):
        probe(tmp_path / "nope.mp4")
    with pytest.raises(VideoError, match="not a file"):
        probe(tmp_path)


def test_video_with_no_frames(tmp_path: Path) -> None:
    """An AVI whose video stream holds no picture (only its audio has packets)."""
    path = tmp_path / "noframes.avi"
    with av.open(str(path), "w") as c:
        v = c.add_stream("mpeg4", rate=30)
        v.width, v.height, v.pix_fmt = 64, 64, "yuv420p"
        a = c.add_stream("mp2", rate=44100)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 44100), np.int16), format="s16", layout="mono")
        frame.sample_rate = 44100
        for p in [*a.encode(frame), *a.encode(None)]:
            c.mux(p)
    with av.open(str(path)) as c:
        assert c.streams.video and c.streams.video[0].frames == 0
    with pytest.raises(VideoError, match="no frames"):
        probe(path)
    with pytest.raises(VideoError, match="no frame"):
        list(iter_samples(path))


def test_huge_resolution(tmp_path: Path) -> None:
    path = tmp_path / "huge.mp4"
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=1)
        s.width = s.height = 8256
        s.pix_fmt = "yuv420p"
        s.options = {"preset": "ultrafast"}
        frame = av.VideoFrame(8256, 8256, "yuv420p")
        for plane in frame.planes:
            np.frombuffer(plane, np.uint8)[:] = 128
        for p in [*s.encode(frame), *s.encode(None)]:
            c.mux(p)
    with pytest.raises(VideoError, match="8256x8256 exceeds"):
        probe(path)
    with pytest.raises(VideoError, match="exceeds"):
        next(iter_samples(path))


def test_truncated_file(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    whole = write_h264((rng.integers(0, 255, (96, 128, 3), dtype=np.uint8) for _ in range(100)),
                       tmp_path / "whole.mp4", 10)
    data = whole.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")  # faststart: the header survives the cut
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    assert probe(cut).frame_count == 100  # the header still promises 100 frames
    with pytest.raises(VideoError, match="truncated"):
        list(iter_samples(cut))
    # the real film has its index at the end: cutting it leaves no readable video at all
    film = asset_path("sample_video").read_bytes()
    head = tmp_path / "head.mp4"
    head.write_bytes(film[: len(film) // 3])
    with pytest.raises(VideoError, match="corrupt or not a video"):
        probe(head)



def test_keyframe_seeking_gives_the_same_frames_as_sequential_decoding(film: Path, monkeypatch) -> None:
    from tools import video

    monkeypatch.setattr(video, "SPARSE_GAP_SECONDS", float("inf"))  # samples 9 s apart: decode every frame
    sequential = list(iter_samples(film, sample_fps=1 / 9, prefetch=0))
    monkeypatch.setattr(video, "SEEK_MIN_SECONDS", 0.0)  # treat the 60-s film as long: jump keyframe to sample
    jumped = list(iter_samples(film, sample_fps=1 / 9))
    assert [s.frame_index for s in jumped] == [s.frame_index for s in sequential] == [
        frame_of_time(t, probe(film).fps) for t in sample_times(probe(film).frame_count, probe(film).fps, 1 / 9)]
    for a, b in zip(sequential, jumped):
        assert np.array_equal(a.image, b.image)


def test_prefetch_thread_stops_when_the_consumer_stops(film: Path) -> None:
    import threading

    before = {t.ident for t in threading.enumerate()}
    it = iter_samples(film, prefetch=2)
    first = next(it)
    it.close()  # consumer stops early: the decode thread must end and the file close
    assert first.index == 0
    assert not [t for t in threading.enumerate() if t.name == "stag-decode" and t.ident not in before]


def test_prefetch_passes_decode_errors_to_the_consumer(tmp_path: Path, film: Path) -> None:
    broken = tmp_path / "cut.mp4"
    broken.write_bytes(film.read_bytes()[: film.stat().st_size // 3])
    with pytest.raises(VideoError, match="truncated|corrupt"):
        list(iter_samples(broken, prefetch=2))


def test_keyframe_seeking_ends_where_a_keyframe_time_is_not_exact(tmp_path: Path, monkeypatch) -> None:
    """30 fps in time base 1/15360: frame 123's time, 123 / 30 * 15360, truncates to one tick before
    the keyframe there, so a seek could land on the keyframe before it; decoding must still end with
    the frames sequential decoding gives (it used to seek to the same keyframe forever)."""
    from tools import video

    path = tmp_path / "keys.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width = stream.height = 64
        stream.pix_fmt = "yuv420p"
        stream.options = {"x264-params": "keyint=41:min-keyint=41:scenecut=0", "preset": "ultrafast"}
        for i in range(300):
            frame = av.VideoFrame.from_ndarray(np.full((64, 64, 3), i % 250, np.uint8), format="bgr24")
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    sequential = list(iter_samples(path, prefetch=0))
    seeks: list[int] = []
    real_seek = video._seek

    def counted(container, info, frame):
        seeks.append(frame)
        assert len(seeks) <= 20, f"seeking without end: {seeks}"
        real_seek(container, info, frame)

    monkeypatch.setattr(video, "_seek", counted)
    monkeypatch.setattr(video, "SEEK_MIN_SECONDS", 0.0)
    jumped = list(iter_samples(path, prefetch=0))
    assert 123 in seeks and seeks == sorted(set(seeks))  # each keyframe sought at most once, in order
    assert [s.frame_index for s in jumped] == [s.frame_index for s in sequential] == list(range(0, 300, 30))
    for a, b in zip(sequential, jumped):
        assert np.array_equal(a.image, b.image)


def test_a_few_scattered_samples_are_the_same_frames_by_keyframe_jumps(film: Path) -> None:
    """``indices`` keeps some samples only; samples 2 s or more apart are reached by keyframe jumps on a
    video of any length, and are the very frames a sequential decode gives."""
    every = {s.index: s for s in iter_samples(film, sample_fps=2, start=3, end=40, prefetch=0)}  # sequential
    wanted = [7, 8, 31, 79]
    few = list(iter_samples(film, sample_fps=2, start=3, end=40, indices=set(wanted)))
    assert [s.index for s in few] == wanted
    for s in few:
        assert s.frame_index == every[s.index].frame_index and np.array_equal(s.image, every[s.index].image)
    assert list(iter_samples(film, sample_fps=2, indices=[])) == []
