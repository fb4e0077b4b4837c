"""Detectors with the real bundled weights on real frames; class words; bad weights."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import supervision as sv

from tools.assets import asset_path
from tools.detect import (
    DEFAULT_DETECTOR,
    CombinedDetector,
    DarknetDetector,
    Detector,
    UltralyticsDetector,
    canonical_class,
    coco_names,
    load_detector,
    resolve_classes,
)
from tools.video import iter_samples

VEHICLES = {"car", "bus", "truck", "train", "bicycle", "motorbike"}


@pytest.fixture(scope="module")
def frames() -> list[np.ndarray]:
    """Every 6th second of the real film (10 frames)."""
    return [s.image for s in iter_samples(asset_path("sample_video"), sample_fps=1 / 6)]


@pytest.fixture(scope="module")
def coco(frames) -> list[sv.Detections]:
    return load_detector("coco").detect(frames)


@pytest.fixture(scope="module")
def person_model() -> UltralyticsDetector:
    det = load_detector("person")
    assert isinstance(det, UltralyticsDetector)
    return det


def test_coco_finds_people_and_vehicles_in_the_film(coco) -> None:
    names = [set(d.data["class_name"]) for d in coco]
    assert sum("person" in n for n in names) >= 7  # people in most sampled seconds
    assert set().union(*names) & VEHICLES  # cars / cable cars / bicycles appear
    for d in coco:
        assert isinstance(d, sv.Detections)
        assert len(d.data["class_name"]) == len(d) == len(d.confidence)
        assert (d.confidence >= 0.25).all()
        assert ((d.xyxy >= 0) & (d.xyxy <= [640, 360, 640, 360])).all()
        assert (d.xyxy[:, 2] > d.xyxy[:, 0]).all()


def test_coco_class_filter_and_threshold(frames) -> None:
    people = load_detector("coco", classes=["people"], conf=0.5).detect(frames[:4])
    assert all(set(d.data["class_name"]) <= {"person"} for d in people)
    assert all((d.confidence >= 0.5).all() for d in people)
    assert sum(len(d) for d in people) > 0


def test_input_size_keeps_aspect_and_changes_results(frames) -> None:
    small = DarknetDetector(input_size=320).detect(frames[:2])
    large = DarknetDetector(input_size=608).detect(frames[:2])
    assert [len(d) for d in small] != [len(d) for d in large] or not all(
        np.allclose(a.xyxy, b.xyxy) for a, b in zip(small, large))


def test_person_checkpoint_finds_people(person_model, frames) -> None:
    assert person_model.class_names == ["person", "person"]  # Normal / Fall both mean person
    photo = cv2.imread(str(asset_path("people_photo")))
    found = person_model.detect([photo, *frames[:3]])
    assert len(found[0]) >= 3  # the photo shows several people
    assert all(set(d.data["class_name"]) == {"person"} for d in found if len(d))
    assert sum(len(d) for d in found[1:]) >= 3


def test_combined_takes_people_from_the_checkpoint(frames) -> None:
    det = load_detector("coco+person")
    assert isinstance(det, CombinedDetector) and isinstance(det, Detector)
    both = det.detect(frames[:3])
    people = det.person.detect(frames[:3])
    for b, p in zip(both, people):
        mine = b[b.data["class_name"] == "person"]
        assert len(mine) == len(p)
        assert np.allclose(np.sort(mine.xyxy, axis=0), np.sort(p.xyxy, axis=0))
    assert DEFAULT_DETECTOR == "coco+person"
    only_cars = load_detector("coco+person", classes=["car"])
    assert isinstance(only_cars, DarknetDetector)  # no person model loaded when people are not wanted


def test_any_ultralytics_checkpoint_path(frames) -> None:
    det = load_detector(str(asset_path("person_yolov8")), input_size=320)
    assert len(det.detect(frames[:1])) == 1


def test_missing_weights_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="weights not found.*nope.pt"):
        load_detector(str(tmp_path / "nope.pt"))
    with pytest.raises(FileNotFoundError, match="Darknet file not found"):
        DarknetDetector(weights=tmp_path / "missing.weights")
    with pytest.raises(ValueError, match="unknown detector 'yolo-magic'"):
        load_detector("yolo-magic")


def test_class_words() -> None:
    assert len(coco_names()) == 80
    assert {canonical_class(w) for w in ("people", "Pedestrians", "man", "women", "child")} == {"person"}
    assert canonical_class("automobiles") == "car"
    assert canonical_class("motorcycle") == "motorbike"
    assert canonical_class("dining table") == "diningtable"
    assert canonical_class(["horse-drawn", "carriage"][-1]) == "horse"
    assert canonical_class("unicorn") is None
    assert resolve_classes(["vehicles", "people"]) == sorted(VEHICLES | {"person"})
    assert resolve_classes(["objects"]) is None
    with pytest.raises(ValueError, match=r"unknown class word\(s\) \['unicorn'\]"):
        resolve_classes(["person", "unicorn"])
