"""Person boxes that fit one person: no person on a vehicle's or animal's box, no box spanning two people.

Two rules applied to each frame's detections before association (:mod:`tools.perceive`):

- **class gate**: a person box that is really a horse, carriage, car, bus, truck or train (IoU
  >= ``vehicle_iou`` with such a box of the same frame), or that is much wider than tall (no
  standing or walking person is; on the film these are carriages full of passengers and horses),
  is dropped from the people;
- **one person per box**: a person box holding two or more other person boxes side by side (each
  mostly inside it, centres apart by a good part of its width) spans a group: it is dropped, the
  narrower boxes stay.

>>> import numpy as np, supervision as sv
>>> det = sv.Detections(xyxy=np.array([[228, 100, 502, 272], [270, 98, 483, 286], [10, 10, 40, 90]], float),
...                     confidence=np.array([0.5, 0.5, 0.9]), class_id=np.array([0, 17, 0]),
...                     data={"class_name": np.array(["person", "horse", "person"])})
>>> fix_person_boxes(det).data["class_name"].tolist()
['horse', 'person']
"""

from __future__ import annotations

import numpy as np
import supervision as sv

CARRIERS = ("horse", "car", "bus", "truck", "train", "cow", "elephant", "boat")
"""Classes whose box a person box must not be (riders and passengers are not the vehicle)."""


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box in ``a`` [n, 4] with every box in ``b`` [m, 4]."""
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def _inside(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Fraction of each box of ``b`` [m, 4] lying inside each box of ``a`` [n, 4]: [n, m]."""
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_b[None, :], 1e-9)


def fix_person_boxes(det: sv.Detections, *, vehicle_iou: float = 0.4, max_aspect: float = 1.1,
                     min_conf: float = 0.2) -> sv.Detections:
    """``det`` without person boxes that are a vehicle or animal, or that span several people (see module)."""
    if not len(det) or not det.data or "class_name" not in det.data:
        return det
    names = det.data["class_name"].astype(str)
    conf = det.confidence if det.confidence is not None else np.ones(len(det))
    xyxy = det.xyxy.astype(float)
    person = np.flatnonzero(names == "person")
    if not len(person):
        return det
    drop = np.zeros(len(det), bool)
    w = xyxy[person, 2] - xyxy[person, 0]
    h = np.maximum(xyxy[person, 3] - xyxy[person, 1], 1e-9)
    drop[person[w / h > max_aspect]] = True
    carriers = np.flatnonzero(np.isin(names, CARRIERS) & (conf >= min_conf))
    if len(carriers):
        drop[person[(_iou(xyxy[person], xyxy[carriers]) >= vehicle_iou).any(axis=1)]] = True
    strong = person[conf[person] >= min_conf]
    if len(strong) >= 3:
        inside = _inside(xyxy[strong], xyxy[strong])
        np.fill_diagonal(inside, 0)
        for i, p in enumerate(strong):
            members = strong[(inside[i] >= 0.8) & (np.arange(len(strong)) != i)]
            if len(members) < 2:
                continue
            cx = (xyxy[members, 0] + xyxy[members, 2]) / 2
            width = xyxy[p, 2] - xyxy[p, 0]
            if cx.max() - cx.min() >= 0.35 * width:
                drop[p] = True
    return det[~drop]
