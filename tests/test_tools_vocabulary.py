"""The one class vocabulary against both bundled detectors' class lists, and its own consistency."""

from __future__ import annotations

from collections import Counter

from tools.detect import coco_names, load_detector
from tools.vocabulary import (
    CLOSE,
    COCO_CLASSES,
    COMPOSITES,
    GROUPS,
    SYNONYMS,
    accepts,
    canonical_class,
    resolve_classes,
)


def test_class_names_are_the_detectors_own():
    assert list(COCO_CLASSES) == coco_names()
    assert load_detector("coco").class_names == list(COCO_CLASSES)
    person = load_detector("person").class_names  # the checkpoint's Normal / Fall, both people
    assert person and set(person) == {"person"}


def test_every_word_names_a_detector_class_once():
    classes = set(COCO_CLASSES)
    assert set(SYNONYMS) <= classes
    assert all(set(members) <= classes for members in GROUPS.values())
    assert all(family <= classes for family in CLOSE)
    assert all(cls in classes and set(rides) <= classes for cls, rides in COMPOSITES.values())
    words = Counter(w for ws in SYNONYMS.values() for w in ws)
    assert [w for w, n in words.items() if n > 1] == []
    assert not set(words) & classes  # a synonym never shadows a class name


def test_one_naming_scheme_for_queries_and_detections():
    # the detector's spelling wins: a query's "motorcycle" is the tracks' "motorbike"
    assert canonical_class("motorcycle") == canonical_class("motorbike") == "motorbike"
    assert canonical_class("airplane") == "aeroplane" and canonical_class("TV") == "tvmonitor"
    assert canonical_class("cable car") == "bus" and canonical_class("carriage") == "horse"
    assert resolve_classes(["vehicles", "people"]) == ["bicycle", "bus", "car", "motorbike", "person", "train",
                                                       "truck"]


def test_close_classes_and_votes():
    assert accepts(["car"], "bus") and accepts(["car"], "truck") and not accepts(["car"], "person")
    assert accepts(["car"], "person", {"person": 3, "car": 2})  # a quarter of its life a car: accepted
    assert not accepts(["car"], "person", {"person": 9, "car": 1})
    assert accepts([], "kite")
