"""ByteTrack at 1 FPS with the appearance cue, on scenes whose every box is known."""

from __future__ import annotations

import numpy as np
import pytest
import supervision as sv

from tools.bytetrack import Tracker, track
from tools.track import Track, TrackerConfig, appearance_distance, appearance_feature

SECONDS = 12
W, H = 30, 80


def _figure(image: np.ndarray, box: tuple[float, ...], top: tuple[int, int, int], bottom: tuple[int, int, int]) -> None:
    x1, y1, x2, y2 = (round(v) for v in box)
    mid = (y1 + y2) // 2
    image[y1:mid, x1:x2] = top
    image[mid:y2, x1:x2] = bottom


def crossing_scene(speed: float = 45.0):
    """Two figures walking towards each other, crossing mid-way; each moves 1.5 widths a second."""
    rng = np.random.default_rng(3)
    images, dets, truth = [], [], []
    for k in range(SECONDS):
        img = rng.integers(90, 140, (360, 640, 3), dtype=np.uint8)
        a = (40 + speed * k, 140.0, 40 + speed * k + W, 140.0 + H)
        b = (560 - speed * k, 150.0, 560 - speed * k + W, 150.0 + H)
        _figure(img, a, (40, 40, 200), (200, 60, 30))   # red top, blue bottom (BGR)
        _figure(img, b, (40, 200, 40), (30, 200, 230))  # green top, yellow bottom
        images.append(img)
        truth.append({"a": a, "b": b})
        dets.append(sv.Detections(
            xyxy=np.array([a, b], dtype=np.float32), confidence=np.array([0.9, 0.85], dtype=np.float32),
            class_id=np.array([0, 0]), data={"class_name": np.array(["person", "person"])},
        ))
    return images, dets, truth


def _owner(t: Track, truth) -> set[str]:
    """Which true figure each of the track's boxes is."""
    out = set()
    for k, box in t.boxes.items():
        for name, b in truth[k].items():
            if np.allclose(box, b, atol=1e-3):
                out.add(name)
    return out


def test_motion_tolerant_association_keeps_ids_where_plain_iou_breaks() -> None:
    images, dets, truth = crossing_scene()
    with_cue = track(dets, sample_fps=1.0, images=images)
    assert len(with_cue) == 2
    for t in with_cue:
        assert len(_owner(t, truth)) == 1  # no identity swap at the crossing
        assert sorted(t.boxes) == list(range(SECONDS))  # first second kept, no gap
        assert t.label == "person"
    motion_only = track(dets, sample_fps=1.0, images=images, config=TrackerConfig(appearance=False))
    assert [sorted(t.boxes) for t in motion_only] == [list(range(SECONDS))] * 2
    assert all(len(_owner(t, truth)) == 1 for t in motion_only)
    plain_iou = track(dets, sample_fps=1.0, images=images, config=TrackerConfig(appearance=False, buffer_s=0))
    assert len(plain_iou) != 2 or any(len(t.boxes) < SECONDS for t in plain_iou)


@pytest.mark.parametrize("widths_per_s", [1.5, 2.5])
def test_fast_walker_is_one_track_from_its_first_second(widths_per_s: float) -> None:
    """No overlap between consecutive samples: the new track must still be confirmed on its second."""
    dets = [sv.Detections(xyxy=np.array([[20 + widths_per_s * W * k, 100, 20 + widths_per_s * W * k + W, 100 + H]]),
                          confidence=np.array([0.8]), class_id=np.array([0]),
                          data={"class_name": np.array(["person"])}) for k in range(8)]
    tracks = track([dets[0][np.array([False])]] + dets, sample_fps=1.0)  # appears at second 1, not at the start
    assert [sorted(t.boxes) for t in tracks] == [list(range(1, 9))]


def test_slow_motion_needs_no_appearance() -> None:
    images, dets, truth = crossing_scene(speed=6.0)
    for cfg in (TrackerConfig(appearance=False), TrackerConfig()):
        tracks = track(dets, sample_fps=1.0, images=images, config=cfg)
        assert [sorted(t.boxes) for t in tracks] == [list(range(SECONDS))] * 2
        assert all(len(_owner(t, truth)) == 1 for t in tracks)


def test_lost_track_found_again_within_buffer() -> None:
    images, dets, truth = crossing_scene(speed=6.0)
    unseen = (4, 5, 6)
    gap = [d if k not in unseen else d[np.array([False, True])] for k, d in enumerate(dets)]  # 'a' unseen 3 s
    tracks = track(gap, sample_fps=1.0, images=images)  # default buffer: 4 s
    a = [t for t in tracks if _owner(t, truth) == {"a"}]
    assert len(a) == 1 and sorted(a[0].boxes) == [k for k in range(SECONDS) if k not in unseen]
    short = track(gap, sample_fps=1.0, images=images, config=TrackerConfig(lost_buffer_s=2.0))
    assert len([t for t in short if _owner(t, truth) == {"a"}]) == 2


def test_config_is_in_seconds() -> None:
    cfg = TrackerConfig(lost_buffer_s=4.0, min_seen_s=2.0)
    assert cfg.frames(cfg.lost_buffer_s, 1.0) == 4
    assert cfg.frames(cfg.lost_buffer_s, 29.97) == 120
    assert cfg.frames(cfg.lost_buffer_s, 0.5) == 2
    with pytest.raises(ValueError, match="sample_fps"):
        Tracker(sample_fps=0)


def test_min_seen_drops_flickers() -> None:
    one = sv.Detections(xyxy=np.array([[10.0, 10, 40, 90]]), confidence=np.array([0.9]), class_id=np.array([0]),
                        data={"class_name": np.array(["car"])})
    empty = one[np.array([False])]
    assert track([one, empty, empty], sample_fps=1.0) == []
    kept = track([one, empty, empty], sample_fps=1.0, config=TrackerConfig(min_seen_s=0))
    assert len(kept) == 1 and kept[0].label == "car" and kept[0].boxes == {0: (10.0, 10.0, 40.0, 90.0)}


def test_appearance_feature_tells_figures_apart() -> None:
    images, _, truth = crossing_scene()
    fa0, fa1 = (appearance_feature(images[k], truth[k]["a"]) for k in (0, 1))
    fb0 = appearance_feature(images[0], truth[0]["b"])
    assert appearance_distance(fa0, fa1) < 0.15
    assert appearance_distance(fa0, fb0) > 0.6
    assert appearance_feature(images[0], (10, 10, 11, 11)) is None  # too small to describe


def test_a_track_never_jumps_to_an_object_of_another_kind() -> None:
    """A walker vanishes and a car appears where he would be: the car is a new track, not the walker."""
    def det(box, name, cid):
        return sv.Detections(xyxy=np.array([box], dtype=np.float32), confidence=np.array([0.9], dtype=np.float32),
                             class_id=np.array([cid]), data={"class_name": np.array([name])})

    walker = [det((100 + 40 * k, 100, 130 + 40 * k, 180), "person", 0) for k in range(4)]
    car = [det((250 + 40 * (k - 4), 105, 320 + 40 * (k - 4), 180), "car", 2) for k in range(4, 8)]
    for config in (TrackerConfig(), TrackerConfig(appearance=False)):
        tracks = track(walker + car, sample_fps=1.0, config=config)
        assert [(t.label, sorted(t.boxes)) for t in tracks] == [("person", [0, 1, 2, 3]), ("car", [4, 5, 6, 7])]
    # a detector's car/truck confusion does not break a vehicle's track
    vehicle = [det((100 + 20 * k, 100, 170 + 20 * k, 170), "car" if k % 2 else "truck", 2 + 5 * (k % 2 == 0))
               for k in range(6)]
    assert [sorted(t.boxes) for t in track(vehicle, sample_fps=1.0)] == [list(range(6))]
