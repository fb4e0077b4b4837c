"""Person boxes that fit one person: no person on a vehicle's or animal's box, no box spanning two people.

Two rules applied to each frame's detections before association (:mod:`tools.perceive`):

- **class gate**: a person box that is really a horse, carriage, car, bus, truck or train (IoU
  >= ``vehicle_iou`` with such a box of the same frame), or that is much wider than tall (no
  standing or walking person is; on the film these are carriages full of passengers and horses),
  is dropped from the people;
- **one person per box**: a person box holding two or more other person boxes side by side (each
  mostly inside it, centres apart by a good part of its width) spans a group: it is dropped, the
  narrower boxes stay. With ``hints`` (the other detector's person boxes, e.g. YOLOv3-tiny's beside
  the person checkpoint), a person box whose hints form two or more side-by-side groups (hints
  overlapping horizontally by under 30 % are different people) is split into one full-height box per
  group (on the film, second 46: two men one behind the other in one box). A less confident box
  straddling two people side by side who stick out of it (two walkers partly overlapping, and the
  detector's third box over both) is dropped too.

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


def _groups(hints: np.ndarray) -> list[np.ndarray]:
    """Hint boxes merged into side-by-side groups (union boxes), left to right."""
    out: list[np.ndarray] = []
    for h in hints[np.argsort(hints[:, 0] + hints[:, 2])]:
        if out:
            g = out[-1]
            overlap = min(g[2], h[2]) - max(g[0], h[0])
            if overlap > 0.3 * min(g[2] - g[0], h[2] - h[0]):
                out[-1] = np.array([min(g[0], h[0]), min(g[1], h[1]), max(g[2], h[2]), max(g[3], h[3])])
                continue
        out.append(h.astype(float))
    return out


def split_by_hints(box: np.ndarray, hints: np.ndarray) -> list[np.ndarray]:
    """Full-height boxes, one per side-by-side group of ``hints`` inside ``box``; ``[box]`` when one person.

    >>> split_by_hints(np.array([388, 128, 447, 267.0]), np.array([[394, 168, 419, 222], [415, 170, 437, 224.0]]))
    [[388.0, 128.0, 427.35, 267.0], [405.15, 128.0, 446.85, 267.0]]
    """
    if not len(hints):
        return [box]
    cx, cy = (hints[:, 0] + hints[:, 2]) / 2, (hints[:, 1] + hints[:, 3]) / 2
    tall = (hints[:, 3] - hints[:, 1]) >= 0.3 * (box[3] - box[1])
    inside = (cx > box[0]) & (cx < box[2]) & (cy > box[1]) & (cy < box[3]) & tall
    groups = _groups(hints[inside]) if inside.sum() >= 2 else []
    if len(groups) < 2 or groups[-1][2] - groups[0][0] < 0.5 * (box[2] - box[0]):
        return [box]
    out = []
    for g in groups:
        # a person is about 0.3 of its height wide: the hint is often only the torso
        half = max(0.15 * (box[3] - box[1]), 0.65 * (g[2] - g[0]))
        c = (g[0] + g[2]) / 2
        out.append([round(float(max(box[0], c - half)), 2), float(box[1]), round(float(min(box[2], c + half)), 2),
                    float(box[3])])
    return out


def fix_person_boxes(det: sv.Detections, *, vehicle_iou: float = 0.4, max_aspect: float = 1.1,
                     min_conf: float = 0.2, hints: np.ndarray | None = None) -> sv.Detections:
    """``det`` without person boxes that are a vehicle or animal, or that span several people (see module).

    ``hints``: ``[n, 4]`` person boxes of another detector, used to split group boxes.
    """
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
    drop |= _between_two(xyxy, conf, person, strong)
    out = det[~drop]
    if hints is None or not len(hints):
        return out
    return _split(out, np.asarray(hints, float).reshape(-1, 4))


def _area(box: np.ndarray) -> float:
    return float(np.prod(np.clip(box[2:] - box[:2], 0, None)))


def _covered(box: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of ``box``'s area that the union of boxes ``a`` and ``b`` covers.

    >>> _covered(np.array([0, 0, 10, 10.0]), np.array([0, 0, 6, 10.0]), np.array([4, 0, 20, 10.0]))
    1.0
    """
    a = np.concatenate([np.maximum(box[:2], a[:2]), np.minimum(box[2:], a[2:])])
    b = np.concatenate([np.maximum(box[:2], b[:2]), np.minimum(box[2:], b[2:])])
    both = np.concatenate([np.maximum(a[:2], b[:2]), np.minimum(a[2:], b[2:])])
    return (_area(a) + _area(b) - _area(both)) / max(_area(box), 1e-9)


def _between_two(xyxy: np.ndarray, conf: np.ndarray, person: np.ndarray, strong: np.ndarray) -> np.ndarray:
    """Person boxes straddling two more confident people side by side, which no non-maximum
    suppression removes (each overlaps one of the two under the usual IoU). Two shapes: both people
    lie mostly inside it (``>= 0.6`` each), their centres apart by a good part of its width, and
    together they cover ``>= 0.8`` of it (the box over two partly overlapping walkers); or it is one
    person's box (IoU ``>= 0.5``) pushed over the next: a sixth or more of it sticks out of that
    person's box, into the other's, and the two cover ``>= 0.9`` of it."""
    drop = np.zeros(len(xyxy), bool)
    if len(strong) < 2:
        return drop
    inside = _inside(xyxy[person], xyxy[strong])
    overlap = _iou(xyxy[person], xyxy[strong])
    held = _inside(xyxy[strong], xyxy[person])  # [strong, person]: how much of each person box a strong one holds
    for i, p in enumerate(person):
        more = (conf[strong] > conf[p]) & (strong != p)
        members = strong[(inside[i] >= 0.6) & more]
        width = xyxy[p, 2] - xyxy[p, 0]
        for j, a in enumerate(members):
            for b in members[j + 1:]:
                apart = abs((xyxy[a, 0] + xyxy[a, 2]) - (xyxy[b, 0] + xyxy[b, 2])) / 2
                if apart >= 0.35 * width and _covered(xyxy[p], xyxy[a], xyxy[b]) >= 0.8:
                    drop[p] = True
        for k in np.flatnonzero(more & (overlap[i] >= 0.5) & (held[:, i] <= 5 / 6)):
            a = strong[k]
            if any(_covered(xyxy[p], xyxy[a], xyxy[b]) >= 0.9 for b in strong[more] if b != a):
                drop[p] = True
    return drop


def _split(det: sv.Detections, hints: np.ndarray) -> sv.Detections:
    names = det.data["class_name"].astype(str)
    rows, extra = [], []
    for i in range(len(det)):
        b = det.xyxy[i].astype(float)
        wide = (b[2] - b[0]) >= 0.4 * (b[3] - b[1])  # one walking person is narrower
        group = names[i] == "person" and wide and (det.confidence is None or det.confidence[i] >= 0.3)
        parts = split_by_hints(b, hints) if group else [b]
        if len(parts) == 1:
            rows.append(i)
            continue
        extra += [(i, p) for p in parts]
    if not extra:
        return det
    keep = det[np.array(rows, dtype=int)] if rows else det[np.zeros(len(det), bool)]
    added = det[np.array([i for i, _ in extra], dtype=int)]
    added.xyxy = np.array([p for _, p in extra], dtype=added.xyxy.dtype).reshape(-1, 4)
    return sv.Detections.merge([keep, added])
