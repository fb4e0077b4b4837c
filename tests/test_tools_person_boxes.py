"""One person per box: the rules of :func:`tools.person_boxes.fix_person_boxes` on hand-made frames."""

from __future__ import annotations

import numpy as np
import supervision as sv

from tools.person_boxes import fix_person_boxes


def _people(boxes: list[tuple[float, float, float, float]], conf: list[float]) -> sv.Detections:
    return sv.Detections(xyxy=np.array(boxes, float), confidence=np.array(conf, float),
                         class_id=np.zeros(len(boxes), int), data={"class_name": np.array(["person"] * len(boxes))})


def _kept(det: sv.Detections) -> list[list[int]]:
    return [[round(v) for v in b] for b in fix_person_boxes(det).xyxy]


def test_a_box_straddling_two_walkers_side_by_side_is_dropped() -> None:
    # two men walking together, partly overlapping, and the detector's third box over both of them
    # (a synthetic street scene; it overlaps each man at IoU 0.4-0.8, so non-maximum suppression keeps it)
    pair, straddler = [(395, 94, 443, 180), (374, 94, 407, 179)], (384, 94, 440, 180)
    assert _kept(_people([*pair, straddler], [0.70, 0.57, 0.38])) == [list(b) for b in pair]
    # the same second a moment later: the straddler sticks out on the left, the right man sticks out of it
    pair, straddler = [(442, 94, 489, 179), (419, 95, 453, 179)], (419, 94, 476, 180)
    assert _kept(_people([*pair, straddler], [0.68, 0.61, 0.40])) == [list(b) for b in pair]


def test_one_persons_box_pushed_over_the_next_is_dropped() -> None:
    # a man who has walked up to a standing policeman (synthetic street scene, one second apart): the
    # detector's second box on him is pushed right, into the policeman's box (IoU 0.61-0.66 with his own)
    for man, police, pushed in [((239, 94, 351, 326), (331, 102, 435, 328), (259, 100, 375, 327)),
                                ((251, 110, 334, 326), (333, 104, 435, 327), (264, 111, 365, 328))]:
        assert _kept(_people([man, police, pushed], [0.66, 0.50, 0.47])) == [list(man), list(police)]
        # more sure than either: kept
        assert len(_kept(_people([man, police, pushed], [0.40, 0.45, 0.60]))) == 3
    # the same box with nobody beside it to explain what sticks out: a second person, kept
    assert len(_kept(_people([(239, 94, 351, 326), (259, 100, 375, 327)], [0.66, 0.47]))) == 2


def test_a_person_between_two_others_stays_when_seen() -> None:
    pair, middle = [(395, 94, 443, 180), (330, 94, 380, 179)], (370, 90, 410, 182)
    # mostly visible between them: the two cover under 0.8 of the box
    assert len(_kept(_people([*pair, middle], [0.70, 0.57, 0.38]))) == 3
    # more sure than the two beside it: a person, not a box over them
    pair, straddler = [(395, 94, 443, 180), (374, 94, 407, 179)], (384, 94, 440, 180)
    assert len(_kept(_people([*pair, straddler], [0.50, 0.45, 0.60]))) == 3
    # one behind the other (centres close): no pair side by side to stand for it
    assert len(_kept(_people([(384, 94, 436, 180), (388, 94, 440, 180), (384, 94, 440, 180)], [0.7, 0.6, 0.4]))) == 3
