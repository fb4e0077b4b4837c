"""One streaming pass (sample -> detect -> track) over the real 60 s film with the real COCO weights.

The detector runs once for the module (about 10 s on 2 cores); every test reads that perception.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import av
import numpy as np
import pytest

from tools.assets import asset_path
from tools.associate import AssociationConfig
from tools.perceive import Perception, perceive
from tools.smooth import jitter, smooth_boxes
from tools.track import Track
from verifier.boxes import box_iou
from verifier.timebase import sample_times

VEHICLES = {"car", "bus", "truck", "train", "bicycle", "motorbike"}


@pytest.fixture(scope="module")
def film() -> Path:
    return asset_path("sample_video")


@pytest.fixture(scope="module")
def progress() -> list[tuple[str, int, int]]:
    return []


@pytest.fixture(scope="module")
def seen(film: Path, progress) -> Perception:
    return perceive(film, detector="coco", on_progress=lambda *a: progress.append(a))


def _longest_run(keys: list[int]) -> int:
    best = run = 1
    for a, b in pairwise(keys):
        run = run + 1 if b == a + 1 else 1
        best = max(best, run)
    return best


def test_every_second_sampled_once(seen: Perception, film: Path) -> None:
    info = seen.video
    assert seen.times == sample_times(info.frame_count, info.fps) and len(seen.times) == 60
    assert seen.indices[:60] == list(range(60))  # the 60 whole seconds of the film (+ t=60.0)
    assert seen.frame_indices[59] == 1768
    assert len(seen.detection_counts) == len(seen.times) == len(seen.detections)
    assert seen.timings["total"] > 0 and seen.detector == "coco"


def test_stats_count_the_extra_frames_and_stay_under_1_5_per_second(seen: Perception) -> None:
    st = seen.stats
    assert st is not None and st.seconds == 60 and st.tracks == len(seen.tracks)
    assert st.frames_detected == len(seen.times) + st.extra_frames
    assert not st.fixed_camera and st.frames_decoded == st.frames_detected + 3  # 3 frames show the camera moves
    assert 0 < st.extra_frames <= 0.5 * st.seconds  # ambiguities exist on the film, the budget caps them
    assert st.detected_per_second <= 1.5
    assert {"decode", "detect", "describe", "associate", "total"} <= set(seen.timings)


def test_tracks_carry_class_votes_colours_and_height(seen: Perception) -> None:
    for t in seen.tracks:
        assert t.label == max(t.class_counts, key=t.class_counts.get) or len(t.class_counts) > 1
        assert sum(t.class_counts.values()) >= len(t.boxes)
        assert t.height_px > 0
    dressed = [t for t in seen.tracks if t.label == "person" and t.upper_colors]
    assert len(dressed) >= 5
    # a black-and-white film: its people are black, grey and white, never green or blue
    assert all(set(t.upper_colors) | set(t.lower_colors) <= {"black", "white", "grey", "brown", "pink", "red",
                                                              "orange", "yellow", "purple"} for t in dressed)
    assert all(t.upper_colors.get("black", 0) + t.upper_colors.get("grey", 0) + t.upper_colors.get("white", 0)
               > 0.9 for t in dressed)


def test_no_extra_frames_when_densify_is_off(film: Path) -> None:
    p = perceive(film, detector="coco", start=40, end=45, densify=0)
    assert p.stats.extra_frames == 0 and p.stats.frames_detected == 6
    with pytest.raises(ValueError, match="densify"):
        perceive(film, detector="coco", densify=-1)
    with pytest.raises(ValueError, match="appearance"):
        perceive(film, detector="coco", appearance="clip")


def test_progress_reported(seen: Perception, progress) -> None:
    assert progress[-1] == ("perceive", 60, 60)
    assert [d for _, d, _ in progress] == sorted(d for _, d, _ in progress)


def test_coco_finds_people_and_vehicles(seen: Perception) -> None:
    def seconds_with(names: set[str]) -> int:
        return sum(bool(set(d.data["class_name"][d.confidence >= 0.25]) & names) for d in seen.detections)

    assert seconds_with({"person"}) >= 45  # 52 of 61 measured before the 60-second rule
    assert seconds_with(VEHICLES) >= 30  # 38 measured: cable cars, early cars, bicycles
    labels = {t.label for t in seen.tracks}
    assert "person" in labels and labels & VEHICLES
    assert len([t for t in seen.tracks if t.label == "person"]) >= 8


def test_ids_stable_across_seconds(seen: Perception) -> None:
    tracks = seen.tracks
    assert [t.id for t in tracks] == list(range(1, len(tracks) + 1))
    long = [t for t in tracks if _longest_run(sorted(t.boxes)) >= 5]
    assert len(long) >= 2  # objects keep one id for 5+ consecutive seconds (YOLOv3-tiny misses people often)
    steps = []
    for t in tracks:
        keys = sorted(t.boxes)
        for a, b in pairwise(keys):
            (x1, y1, x2, y2), (u1, v1, u2, v2) = t.boxes[a], t.boxes[b]
            h = max(y2 - y1, v2 - v1)
            shift = np.hypot((x1 + x2 - u1 - u2) / 2, (y1 + y2 - v1 - v2) / 2) / h / (b - a)
            steps.append(shift)
    # one id follows one object: most per-second moves stay within the gate of a track with a velocity
    # (measured 0.78 at the 90th percentile; a new track's wider gate and stitching allow the rest)
    cfg = AssociationConfig()
    assert np.quantile(steps, 0.9) < cfg.gate + cfg.gate_per_s
    for k in seen.indices:  # no object is claimed twice at one second
        boxes = [t.boxes[k] for t in tracks if k in t.boxes]
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                assert box_iou(boxes[i], boxes[j]) < 0.9


def test_smoothing_real_tracks_lowers_jitter_keeps_ends(seen: Perception) -> None:
    before, after = [], []
    for t in seen.tracks:
        if len(t.boxes) < 4:
            continue
        out = smooth_boxes(t.boxes)
        assert list(out) == list(t.boxes)  # first and last second unchanged, nothing added
        before.append(jitter(t.boxes))
        after.append(jitter(out))
    assert len(before) >= 3
    assert np.mean(after) < 0.5 * np.mean(before)


def test_two_men_in_one_box_get_a_box_each(film: Path) -> None:
    """Second 46: the person checkpoint puts two men walking one behind the other into one box.

    YOLOv3-tiny boxes them apart (its person boxes are the hints that split it).
    """
    second, wrong = 46, (388, 128, 447, 267)

    def person_boxes(fix: bool) -> list:
        p = perceive(film, start=second - 1, end=second + 1, fix_boxes=fix, densify=0,
                     tracker=AssociationConfig(min_observations=1))
        return [t.boxes[second] for t in p.tracks if t.label == "person" and second in t.boxes]

    assert any(box_iou(b, wrong) >= 0.8 for b in person_boxes(fix=False))  # the old error
    fixed = person_boxes(fix=True)
    assert not any(box_iou(b, wrong) >= 0.8 for b in fixed)
    halves = [b for b in fixed if b[0] >= wrong[0] - 1 and b[2] <= wrong[2] + 1 and box_iou(b, wrong) >= 0.4]
    assert len(halves) == 2 and abs(halves[0][0] - halves[1][0]) > 10  # one box per man, side by side


def test_no_person_track_on_a_carriage_horse(film: Path) -> None:
    """Second 26: the person checkpoint boxes a carriage's horse as a person (0.49; YOLOv3-tiny says horse).

    ``wrong`` is the box the person checkpoint returns there (found by looking at the frame).
    """
    second, wrong = 26, (228, 100, 502, 272)

    def person_boxes(fix: bool) -> list:
        p = perceive(film, start=second - 1, end=second + 1, classes=["person", "horse", "car"], fix_boxes=fix,
                     densify=0, tracker=AssociationConfig(min_observations=1))
        return [t.boxes[second] for t in p.tracks if t.label == "person" and second in t.boxes]

    assert any(box_iou(b, wrong) >= 0.8 for b in person_boxes(fix=False))  # the old error, still there unfixed
    assert not any(box_iou(b, wrong) >= 0.5 for b in person_boxes(fix=True))


def test_range_and_class_filter(film: Path) -> None:
    part = perceive(film, detector="coco", start=20, end=25, classes=["people"])
    assert part.indices == [20, 21, 22, 23, 24, 25]
    assert {t.label for t in part.tracks} <= {"person"}
    assert all(20 <= k <= 25 for t in part.tracks for k in t.boxes)


def test_perception_serialises(seen: Perception) -> None:
    data = seen.model_dump(mode="json")
    assert "detections" not in data
    back = Perception.model_validate({**data, "tracks": [Track.model_validate(t) for t in data["tracks"]]})
    assert back.tracks == seen.tracks


@pytest.mark.slow
def test_default_detector_on_the_whole_film(film: Path) -> None:
    """The default detector (person checkpoint + YOLOv3-tiny) over the whole film."""
    full = perceive(film)
    assert full.detector == "coco+person"
    people = sum(bool(((d.data["class_name"] == "person") & (d.confidence >= 0.25)).any()) for d in full.detections)
    assert people >= 40  # 48 of 61 seconds measured before the 60-second rule
    assert any(_longest_run(sorted(t.boxes)) >= 5 for t in full.tracks if t.label == "person")
    assert {t.label for t in full.tracks} & VEHICLES
    with av.open(str(film)) as c:  # the film itself untouched, still readable
        assert c.streams.video[0].frames == 1799


@pytest.mark.slow
def test_default_tracker_reduces_id_switches_against_dense_tracking(film: Path) -> None:
    """Seconds 40-54 (a crowd walking towards the camera): 1-FPS ids against ByteTrack at 10 samples/s.

    At 10 samples per second boxes of one person overlap from sample to sample, so the dense
    plain-IoU tracker's ids serve as the reference; the 1-FPS trackers see the same detections at
    whole seconds. Measured: 9 ID switches with plain IoU, 4 with plain IoU + appearance cue, 3 with
    the default (motion-tolerant IoU + appearance cue).
    """
    from tools.bytetrack import track
    from tools.detect import load_detector
    from tools.track import TrackerConfig
    from tools.track_metrics import frames_of, id_switches
    from tools.video import iter_samples
    from verifier.hota import hota

    samples = list(iter_samples(film, sample_fps=10, start=40, end=54))
    dets = load_detector(conf=0.1).detect([s.image for s in samples])
    dense = track(dets, sample_fps=10,
                  config=TrackerConfig(appearance=False, buffer_s=0, lost_buffer_s=1.0, min_seen_s=1.0))
    ref = frames_of(dense, step=10)  # keys: seconds since 40
    whole = [i for i, s in enumerate(samples) if s.index % 10 == 0]
    one_fps = [dets[i] for i in whole]
    images = [samples[i].image for i in whole]
    score = {}
    for name, cfg in (("iou", TrackerConfig(appearance=False, buffer_s=0)), ("default", TrackerConfig())):
        pred = frames_of(track(one_fps, sample_fps=1.0, config=cfg, images=images))
        score[name] = (id_switches(ref, pred), hota({f: dict(v) for f, v in ref.items()}, pred).HOTA)
    assert score["default"][0] < score["iou"][0]
    assert score["default"][1] >= score["iou"][1]


@pytest.mark.slow
def test_default_association_against_dense_tracking(film: Path) -> None:
    """Seconds 40-54 again: the default perception (association + densification) vs the dense reference.

    Measured (``bench/tracker_compare.py --film``): HOTA 0.682 (ByteTrack subclass 0.669, plain
    association without extra frames 0.647), at 1.07 detector frames per second.
    """
    from tools.bytetrack import track
    from tools.detect import load_detector
    from tools.track import TrackerConfig
    from tools.track_metrics import frames_of
    from tools.video import iter_samples
    from verifier.hota import hota

    detector = load_detector(conf=0.1, classes=["person"])
    samples = list(iter_samples(film, sample_fps=10, start=40, end=54))
    dets = detector.detect([s.image for s in samples])
    dense = track(dets, sample_fps=10,
                  config=TrackerConfig(appearance=False, buffer_s=0, lost_buffer_s=1.0, min_seen_s=1.0))
    ref = frames_of(dense, step=10)
    p = perceive(film, detector=detector, classes=["person"], start=40, end=54)
    pred = {k - 40: v for k, v in frames_of(p.tracks).items()}
    assert p.stats.detected_per_second <= 1.5
    assert hota({f: dict(v) for f, v in ref.items()}, pred).HOTA >= 0.6
