"""Sample -> detect -> track in one streaming pass over a video.

Frames are decoded, detected in small batches and fed to the tracker, then dropped: memory does
not grow with the video's length. Progress goes to ``on_progress(stage, done, total)`` and,
when asked, to a tqdm bar on stderr.

>>> from tools.assets import asset_path
>>> p = perceive(asset_path("sample_video"), detector="coco", start=0, end=4, classes=["people"])
>>> p.times, {t.label for t in p.tracks}
([0.0, 1.0, 2.0, 3.0, 4.0], {'person'})
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence

import numpy as np
import supervision as sv
from pydantic import BaseModel, ConfigDict, Field

from tools.detect import DEFAULT_DETECTOR, Detector, load_detector, resolve_classes
from tools.track import Track, Tracker, TrackerConfig
from tools.video import Sample, iter_samples, probe
from verifier.result import VideoInfo

ProgressCallback = Callable[[str, int, int], None]
"""``(stage, done, total)``; stage is "perceive" here, done/total count samples."""


class Perception(BaseModel):
    """What the tools saw: the sampled instants, per-sample detection counts and the tracks."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    video: VideoInfo
    sample_fps: float
    times: list[float] = Field(description="time (s) of each sample processed, ascending")
    indices: list[int] = Field(description="sample index of each time (== second at 1 FPS)")
    frame_indices: list[int] = Field(description="video frame that stood for each sample")
    tracks: list[Track]
    detection_counts: list[int] = Field(description="detections per sample")
    detections: list[sv.Detections] = Field(default_factory=list, exclude=True, repr=False,
                                            description="raw detections per sample (not serialised)")
    detector: str = ""
    timings: dict[str, float] = Field(default_factory=dict, description="stage -> seconds")

    def track(self, track_id: int) -> Track:
        """The track with id ``track_id`` (KeyError if absent)."""
        for t in self.tracks:
            if t.id == track_id:
                return t
        raise KeyError(f"no track {track_id}; ids are {[t.id for t in self.tracks]}")


def _filter(det: sv.Detections, keep: list[str] | None) -> sv.Detections:
    if keep is None or not len(det):
        return det
    return det[np.isin(det.data["class_name"].astype(str), keep)]


def perceive(
    video_path: str | os.PathLike[str],
    *,
    sample_fps: float = 1.0,
    detector: Detector | str = DEFAULT_DETECTOR,
    classes: Sequence[str] | None = None,
    start: float | None = None,
    end: float | None = None,
    tracker: TrackerConfig | None = None,
    on_progress: ProgressCallback | None = None,
    progress_bar: bool = False,
    batch: int = 4,
    device: str = "cpu",
) -> Perception:
    """Sample ``video_path`` at ``sample_fps`` within ``[start, end]``, detect, and track.

    ``detector`` is a :class:`~tools.detect.Detector` or a spec for :func:`~tools.detect.load_detector`
    (loaded with the tracker's low threshold as confidence, so ByteTrack's second stage has boxes).
    ``classes`` keeps only those class words (synonyms allowed). Raises
    :class:`~tools.video.VideoError` for unreadable video.
    """
    config = tracker or TrackerConfig()
    t0 = time.perf_counter()
    info = probe(video_path).model_copy(update={"sample_fps": sample_fps})
    keep = resolve_classes(classes)
    if isinstance(detector, str):
        name = detector
        detector = load_detector(detector, device=device, conf=config.low_thresh, classes=keep)
    else:
        name = type(detector).__name__
    t_load = time.perf_counter()
    from verifier.timebase import sample_times

    total = sum(
        1 for t in sample_times(info.frame_count, info.fps, sample_fps)
        if (start is None or t >= start - 1e-9) and (end is None or t <= end + 1e-9)
    )
    bar = None
    if progress_bar:
        from tqdm import tqdm

        bar = tqdm(total=total, desc="perceive", unit="sample", leave=False)
    trk = Tracker(sample_fps, config)
    times: list[float] = []
    indices: list[int] = []
    frames: list[int] = []
    all_dets: list[sv.Detections] = []
    timings = {"decode": 0.0, "detect": 0.0, "track": 0.0}
    pending: list[Sample] = []

    def flush() -> None:
        t1 = time.perf_counter()
        dets = detector.detect([s.image for s in pending])
        t2 = time.perf_counter()
        for s, det in zip(pending, dets):
            det = _filter(det, keep)
            trk.update(s.index, det, s.image)
            times.append(s.time)
            indices.append(s.index)
            frames.append(s.frame_index)
            all_dets.append(det)
        timings["detect"] += t2 - t1
        timings["track"] += time.perf_counter() - t2
        pending.clear()
        if on_progress:
            on_progress("perceive", len(times), total)
        if bar is not None:
            bar.n = len(times)
            bar.refresh()

    try:
        t_dec = time.perf_counter()
        for sample in iter_samples(video_path, sample_fps, start, end):
            timings["decode"] += time.perf_counter() - t_dec
            pending.append(sample)
            if len(pending) >= batch:
                flush()
            t_dec = time.perf_counter()
        timings["decode"] += time.perf_counter() - t_dec
        if pending:
            flush()
    finally:
        if bar is not None:
            bar.close()
    timings["load"] = t_load - t0
    timings["total"] = time.perf_counter() - t0
    return Perception(
        video=info, sample_fps=sample_fps, times=times, indices=indices, frame_indices=frames,
        tracks=trk.tracks(), detection_counts=[len(d) for d in all_dets], detections=all_dets,
        detector=name, timings=timings,
    )
