"""One perception pass over a video at 1 FPS: sample -> detect -> associate (-> densify) -> tracks.

The product's rate is one sample per second (paper 002); tracks are keyed by that sample's index,
the second. Each sample is detected and each detection described (an appearance vector and its
named colours, :mod:`tools.colors`) while its frame is in memory; frames are then dropped, so
memory does not grow with the video's length. Association is offline (:mod:`tools.associate`:
motion + appearance + Hungarian, then tracklet stitching).

**Adaptive temporal resolution**: where the 1-FPS association was ambiguous (two candidates in one
gate, a crossing, a track lost or born away from the frame's edge), the frame half-way inside that
second is decoded and detected too and the whole timeline is associated again; at most
``densify`` extra frames per second of video (0.1 by default: 1.1 detector frames per second; 0.5
measured slightly better on the synthetic set and worse on the real film, see the README). Extra frames only help association: tracks still carry boxes at whole samples.

``stats`` counts frames decoded and detected, extra frames and tracks; ``timings`` gives seconds
per stage. Progress goes to ``on_progress(stage, done, total)`` and, when asked, to a tqdm bar.

>>> from tools.assets import asset_path
>>> p = perceive(asset_path("sample_video"), detector="coco", start=0, end=4, classes=["people"])
>>> p.times, {t.label for t in p.tracks}, p.stats.frames_detected >= 5
([0.0, 1.0, 2.0, 3.0, 4.0], {'person'}, True)
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import closing

import cv2
import numpy as np
import supervision as sv
from pydantic import BaseModel, ConfigDict, Field

from tools.associate import Ambiguity, AssociationConfig, Frame, associate, link
from tools.colors import box_color_vectors, named
from tools.detect import DEFAULT_DETECTOR, Detector, load_detector, nms, resolve_classes
from tools.foreground import Plate, estimate_plate
from tools.person_boxes import fix_person_boxes
from tools.track import KINDS, Track, TrackerConfig, appearance_feature
from tools.video import Sample, iter_samples, probe
from verifier.result import VideoInfo

ProgressCallback = Callable[[str, int, int], None]
"""``(stage, done, total)``; stage is "perceive" here, done/total count samples."""


class PerceptionStats(BaseModel):
    """What one perception pass cost."""

    seconds: float = Field(description="seconds of video covered")
    frames_decoded: int = Field(description="frames turned into images (samples, extra frames, the fixed camera's plate)")
    frames_detected: int = Field(description="images the detector ran on")
    extra_frames: int = Field(description="frames added inside ambiguous seconds (adaptive temporal resolution)")
    ambiguities: int = Field(description="ambiguous 1-FPS associations found")
    fixed_camera: bool = Field(False, description="the camera held still: boxes were fitted to what moves "
                               "against the empty scene (tools.foreground)")
    closer_looks: int = Field(0, description="frames whose moving regions that no box explained were looked at "
                              "again, enlarged (one extra detector image each, of the same instant)")
    tracks: int

    @property
    def detected_per_second(self) -> float:
        """Detector frames per second of video (goal <= 1.5)."""
        return self.frames_detected / max(self.seconds, 1e-9)


class Perception(BaseModel):
    """What the tools saw: the sampled instants, per-sample detection counts, the tracks and the cost."""

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
    stats: PerceptionStats | None = None
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


def _names(det: sv.Detections) -> np.ndarray:
    if det.data and "class_name" in det.data:
        return det.data["class_name"].astype(str)
    ids = det.class_id if det.class_id is not None else np.zeros(len(det), int)
    return np.array([str(int(i)) for i in ids])


class _Observed:
    """One instant's detections with what association and the tracks need, frame dropped."""

    def __init__(self, sample: Sample, det: sv.Detections, extra: bool, keep_image: bool = False,
                 embedder: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
                 plate: Plate | None = None) -> None:
        self.index, self.time, self.frame_index = sample.index, sample.time, sample.frame_index
        self.det, self.extra = det, extra
        self.image = sample.image if keep_image else None  # only the older tracker needs frames kept
        names = _names(det)
        feats, colors = [], []
        for box in det.xyxy:
            f = appearance_feature(sample.image, box)
            feats.append(np.zeros(384, np.float32) if f is None else np.sqrt(f))
            colors.append(box_color_vectors(sample.image, box))
        if embedder is not None and len(det):
            feats = list(embedder(sample.image, det.xyxy))
        h, w = sample.image.shape[:2]
        conf = det.confidence if det.confidence is not None else np.ones(len(det))
        self.frame = Frame(time=sample.time, xyxy=det.xyxy, conf=conf,
                           kind=np.array([KINDS.get(n, n) for n in names]),
                           feat=np.array(feats) if feats else None, edge=(w, h),
                           support=plate.supports(sample.image, det.xyxy) if plate is not None else None)
        self.names, self.colors = names, colors


def _extra_times(amb: Sequence[Ambiguity], rate: float, budget: int, span: tuple[float, float]) -> list[float]:
    """Mid-points of the ambiguous intervals, most important first, on the odd points of a ``rate`` grid.

    >>> _extra_times([Ambiguity(2, 3, "crossing", 2), Ambiguity(5, 6, "lost", 1), Ambiguity(2, 3, "x", 1)],
    ...              2.0, 5, (0, 10))
    [2.5, 5.5]
    """
    out: list[int] = []
    for a in sorted(amb, key=lambda a: (-a.weight, a.start)):
        if len(out) >= budget:
            break
        k = round((a.start + a.end) / 2 * rate)
        if k % 2 == 0 or k in out or not span[0] <= k / rate <= span[1]:
            continue
        out.append(k)
    return sorted(k / rate for k in out)


def _tracks(chains: list, obs: list[_Observed], sample_fps: float) -> list[Track]:
    out = []
    for chain in chains:
        boxes, scores, votes, counts, heights, ups, lows = {}, {}, Counter(), Counter(), [], [], []
        for pos, j in chain:
            o = obs[pos]
            name, score = str(o.names[j]), float(o.frame.conf[j])
            votes[name] += score
            counts[name] += 1
            x1, y1, x2, y2 = (float(v) for v in o.det.xyxy[j])
            heights.append(y2 - y1)
            if o.colors[j] is not None:
                ups.append(o.colors[j][0])
                lows.append(o.colors[j][1])
            if not o.extra:
                boxes[o.index] = (x1, y1, x2, y2)
                scores[o.index] = score
        if not boxes:
            continue
        up = named(np.median(ups, axis=0) / max(1e-9, np.median(ups, axis=0).sum())) if ups else {}
        low = named(np.median(lows, axis=0) / max(1e-9, np.median(lows, axis=0).sum())) if lows else {}
        out.append(Track(id=len(out) + 1, label=votes.most_common(1)[0][0], boxes=dict(sorted(boxes.items())),
                         scores=dict(sorted(scores.items())), class_counts=dict(counts.most_common()),
                         upper_colors=up, lower_colors=low, height_px=float(np.median(heights))))
    return out


def perceive(
    video_path: str | os.PathLike[str],
    *,
    sample_fps: float = 1.0,
    detector: Detector | str = DEFAULT_DETECTOR,
    classes: Sequence[str] | None = None,
    start: float | None = None,
    end: float | None = None,
    tracker: AssociationConfig | TrackerConfig | None = None,
    densify: float = 0.1,
    fix_boxes: bool = True,
    foreground: bool = True,
    appearance: str = "color",
    on_progress: ProgressCallback | None = None,
    progress_bar: bool = False,
    batch: int = 4,
    device: str = "cpu",
) -> Perception:
    """Sample ``video_path`` at ``sample_fps`` (the product's rate is 1) within ``[start, end]``, detect, associate.

    ``detector`` is a :class:`~tools.detect.Detector` or a spec for :func:`~tools.detect.load_detector`.
    ``classes`` keeps only those class words (synonyms allowed). ``tracker`` is an
    :class:`~tools.associate.AssociationConfig` (default), or a :class:`~tools.track.TrackerConfig`
    to use the older ByteTrack-based tracker (kept for comparison; no densification). ``densify``
    caps the extra frames per second of video decoded where association is ambiguous (0: none).
    ``fix_boxes`` drops person boxes that are a vehicle or animal or span a group
    (:func:`~tools.person_boxes.fix_person_boxes`). ``foreground``: on a fixed camera, boxes shrink to
    what differs from the empty scene (:mod:`tools.foreground`; a moving camera is left alone).
    ``appearance``: ``"color"`` (stripe colour histograms) or ``"mobilenet"`` (ImageNet MobileNetV2
    features, :mod:`tools.embed`).
    Raises :class:`~tools.video.VideoError` for unreadable video, ValueError for bad arguments.
    """
    if not 0 <= densify <= 4:
        raise ValueError(f"densify must be between 0 and 4 extra frames per second, got {densify!r}")
    if appearance not in ("color", "mobilenet"):
        raise ValueError(f"appearance must be 'color' or 'mobilenet', got {appearance!r}")
    config = tracker or (AssociationConfig(appearance_scale=0.3, appearance_veto=0.35) if appearance == "mobilenet"
                         else AssociationConfig())
    embedder = None
    if appearance == "mobilenet":
        from tools.embed import Embedder

        embedder = Embedder()
    t0 = time.perf_counter()
    info = probe(video_path).model_copy(update={"sample_fps": sample_fps})
    keep = resolve_classes(classes)
    if isinstance(detector, str):
        name = detector
        detector = load_detector(detector, device=device, conf=config.low_thresh, classes=keep)
    else:
        name = type(detector).__name__
    timings = {"load": time.perf_counter() - t0, "decode": 0.0, "detect": 0.0, "describe": 0.0, "associate": 0.0}
    from verifier.timebase import sample_times

    total = sum(
        1 for t in sample_times(info.frame_count, info.fps, sample_fps)
        if (start is None or t >= start - 1e-9) and (end is None or t <= end + 1e-9)
    )
    bar = None
    if progress_bar:
        from tqdm import tqdm

        bar = tqdm(total=total, desc="perceive", unit="sample", leave=False)
    obs: list[_Observed] = []
    keep_image = isinstance(config, TrackerConfig)
    t_plate = time.perf_counter()
    plate, plate_frames = _plate(video_path, start, end, info.duration) if foreground else (None, 0)
    closer = 0
    timings["decode"] += time.perf_counter() - t_plate

    def fixed(image: np.ndarray, det: sv.Detections, hints: np.ndarray | None) -> sv.Detections:
        det = _filter(det, keep)
        det = fix_person_boxes(det, hints=hints) if fix_boxes else det
        return plate.tighten(image, det) if plate is not None else det

    def run(samples: list[Sample], extra: bool) -> None:
        nonlocal closer
        t1 = time.perf_counter()
        dets, hints = _detect(detector, [s.image for s in samples])
        if plate is not None:
            dets, n = _look_closer(detector, plate, [s.image for s in samples], dets)
            closer += n
        t2 = time.perf_counter()
        obs.extend(_Observed(s, fixed(s.image, d, h), extra, keep_image, embedder, plate)
                   for s, d, h in zip(samples, dets, hints))
        timings["detect"] += t2 - t1
        timings["describe"] += time.perf_counter() - t2
        if not extra:
            if on_progress:
                on_progress("perceive", len(obs), total)
            if bar is not None:
                bar.n = len(obs)
                bar.refresh()

    try:
        _decode_and_run(iter_samples(video_path, sample_fps, start, end), batch, timings, run, extra=False)
    finally:
        if bar is not None:
            bar.close()
    base = list(obs)
    seconds = len(base) / sample_fps
    extra_n = n_amb = 0
    t3 = time.perf_counter()
    if isinstance(config, TrackerConfig):
        tracks = _bytetrack(base, sample_fps, config)
    else:
        _, amb = link([o.frame for o in base], config)
        n_amb = len(amb)
        if densify > 0 and amb and base:
            timings["associate"] += time.perf_counter() - t3
            span = (base[0].time, base[-1].time)
            want = _extra_times(amb, 2 * sample_fps, int(densify * seconds), span)
            extra_n = _densify(video_path, want, 2 * sample_fps, batch, timings, run, obs)
            t3 = time.perf_counter()
        obs.sort(key=lambda o: o.time)
        chains, _ = associate([o.frame for o in obs], config)
        tracks = _tracks(chains, obs, sample_fps)
    timings["associate"] += time.perf_counter() - t3
    timings["total"] = time.perf_counter() - t0
    stats = PerceptionStats(seconds=seconds, frames_decoded=len(base) + extra_n + plate_frames,
                            frames_detected=len(base) + extra_n,
                            extra_frames=extra_n, ambiguities=n_amb, fixed_camera=plate is not None,
                            closer_looks=closer,
                            tracks=len(tracks))
    return Perception(
        video=info, sample_fps=sample_fps, times=[o.time for o in base],
        indices=[o.index for o in base], frame_indices=[o.frame_index for o in base],
        tracks=tracks, detection_counts=[len(o.det) for o in base], detections=[o.det for o in base],
        detector=name, stats=stats, timings=timings,
    )


PLATE_FRAMES = 12
"""Frames spread over the video that the fixed camera's empty scene is estimated from."""


def _plate(video_path, start: float | None, end: float | None, duration: float) -> tuple[Plate | None, int]:
    """The empty scene when the camera is fixed (:func:`tools.foreground.estimate_plate`), else None;
    and how many frames were decoded for it (a moving camera shows itself in the first three)."""
    span = (end if end is not None else duration) - (start or 0.0)
    if span <= 0:
        return None, 0
    read: list[int] = []
    with closing(iter_samples(video_path, min(PLATE_FRAMES / span, 30.0), start, end, prefetch=0)) as samples:
        plate = estimate_plate(s.image for s in samples if not read.append(s.index))
    return plate, len(read)


TILE = 320
"""Side (px) each window of a closer look is enlarged to; four tiles make one detector image."""
CLOSER_BELOW = 0.3
"""Person boxes under this confidence do not explain a moving region (and a closer look must beat it)."""


def _look_closer(detector: Detector, plate: Plate, images: list[np.ndarray], dets: list[sv.Detections]
                 ) -> tuple[list[sv.Detections], int]:
    """Each frame's detections with people looked at closer: moving regions that no confident person
    box explains (far, small people are found at confidence 0.1-0.3, or not at all, at the detector's
    input size) get up to four windows (:meth:`~tools.foreground.Plate.unexplained`), each enlarged to
    a :data:`TILE` square, tiled 2 x 2 into one image for the person model. A person found there replaces
    the weak boxes it overlaps. Returns the detections and how many frames were looked at again."""
    names = list(getattr(detector, "class_names", []))
    if "person" not in names:
        return dets, 0
    pid = names.index("person")
    person = getattr(detector, "person", None) or detector
    jobs = []
    for k, (image, det) in enumerate(zip(images, dets)):
        conf = det.confidence if det.confidence is not None else np.ones(len(det))
        sure = det.xyxy[(_names(det) == "person") & (conf >= CLOSER_BELOW)]
        windows = plate.unexplained(image, sure)
        if windows:
            mosaic = np.zeros((2 * TILE, 2 * TILE, 3), np.uint8)  # one shape: the runtime keeps one plan
            for i, (x0, y0, x1, y1) in enumerate(windows):
                ty, tx = divmod(i, 2)
                mosaic[ty * TILE:(ty + 1) * TILE, tx * TILE:(tx + 1) * TILE] = cv2.resize(
                    image[y0:y1, x0:x1], (TILE, TILE), interpolation=cv2.INTER_LINEAR)
            jobs.append((k, windows, mosaic, sure))
    if not jobs:
        return dets, 0
    out = list(dets)
    for (k, windows, _, sure), found in zip(jobs, person.detect([m for _, _, m, _ in jobs])):
        boxes, confs = [], []
        for box, conf, name in zip(found.xyxy, found.confidence, _names(found)):
            cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
            i = int(cy // TILE) * 2 + int(cx // TILE)
            if name != "person" or i >= len(windows) or conf < CLOSER_BELOW:
                continue
            tx, ty = (i % 2) * TILE, (i // 2) * TILE
            local = box - np.array([tx, ty, tx, ty])
            if local.min() < 2 or local.max() > TILE - 2:  # cut by the window: the frame's own look has it
                continue
            x0, y0, x1, y1 = windows[i]
            boxes.append(local * (x1 - x0) / TILE + np.array([x0, y0, x0, y0]))
            confs.append(conf)
        if not boxes:
            continue
        boxes_a, confs_a = np.array(boxes, float), np.array(confs, float)
        new = [j for j in nms(boxes_a, confs_a, 0.5) if not len(sure) or _max_iou(boxes_a[j], sure) < 0.3]
        if not new:
            continue
        det = out[k]
        conf = det.confidence if det.confidence is not None else np.ones(len(det))
        weak = (_names(det) == "person") & (conf < CLOSER_BELOW)
        replaced = np.array([w and _max_iou(b, boxes_a[new]) >= 0.3 for b, w in zip(det.xyxy, weak)], bool)
        extra = sv.Detections(xyxy=boxes_a[new].astype(np.float32), confidence=confs_a[new].astype(np.float32),
                              class_id=np.full(len(new), pid))
        extra.data["class_name"] = np.array(["person"] * len(new), dtype=object)
        out[k] = sv.Detections.merge([det[~replaced], extra])
    return out, len(jobs)


def _max_iou(box: np.ndarray, boxes: np.ndarray) -> float:
    x1, y1 = np.maximum(box[0], boxes[:, 0]), np.maximum(box[1], boxes[:, 1])
    x2, y2 = np.minimum(box[2], boxes[:, 2]), np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    union = (box[2] - box[0]) * (box[3] - box[1]) + (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) - inter
    return float(np.max(inter / np.maximum(union, 1e-9)))


def _detect(detector: Detector, images: list[np.ndarray]) -> tuple[list[sv.Detections], list[np.ndarray | None]]:
    """Detections per image, and the second opinion on people where the detector has one.

    A combined detector (people from the person checkpoint, the rest from YOLOv3-tiny) is run part
    by part so that YOLOv3-tiny's own person boxes (>= 0.3) come back as hints for splitting boxes
    that span two people (:func:`~tools.person_boxes.fix_person_boxes`); the detections are the same
    as its ``detect``.
    """
    person, others = getattr(detector, "person", None), getattr(detector, "others", None)
    if person is None or others is None or "person" not in getattr(detector, "class_names", []):
        return detector.detect(images), [None] * len(images)
    pid = detector.class_names.index("person")
    dets, hints = [], []
    for people, rest in zip(person.detect(images), others.detect(images)):
        is_person = rest.data["class_name"] == "person"
        hints.append(rest.xyxy[is_person & (rest.confidence >= 0.3)])
        people = people[people.data["class_name"] == "person"]
        people.class_id = np.full(len(people), pid)
        merged = sv.Detections.merge([people, rest[~is_person]])
        if "class_name" not in merged.data:  # merging nothing gives bare empty Detections
            merged.data["class_name"] = np.array([], dtype=object)
        dets.append(merged)
    return dets, hints


def _decode_and_run(samples, batch: int, timings: dict[str, float], run, extra: bool) -> None:
    pending: list[Sample] = []
    t_dec = time.perf_counter()
    for sample in samples:
        timings["decode"] += time.perf_counter() - t_dec
        pending.append(sample)
        if len(pending) >= batch:
            run(pending, extra)
            pending = []
        t_dec = time.perf_counter()
    timings["decode"] += time.perf_counter() - t_dec
    if pending:
        run(pending, extra)


def _densify(video_path, times: list[float], rate: float, batch: int, timings: dict[str, float], run,
             seen: list) -> int:
    """Decode and detect the samples at ``times`` (on the grid of ``rate`` per second); how many were added."""
    if not times:
        return 0
    wanted = {round(t * rate) for t in times}
    frames = iter_samples(video_path, rate, min(times), max(times), indices=wanted)
    before = len(seen)
    _decode_and_run(frames, batch, timings, run, extra=True)
    return len(seen) - before


def _bytetrack(obs: list[_Observed], sample_fps: float, config: TrackerConfig) -> list[Track]:
    """The older ByteTrack-based tracker on the same detections (for comparison; no appearance images)."""
    from tools.bytetrack import Tracker

    trk = Tracker(sample_fps, config)
    for o in obs:
        trk.update(o.index, o.det, o.image)
    return trk.tracks()
