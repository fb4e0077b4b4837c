"""Object detectors behind one small interface that returns supervision ``Detections``.

Every detector has ``class_names`` and ``detect(images) -> list[sv.Detections]``; each ``Detections``
carries ``data["class_name"]`` in COCO words ("person", "car", ...). Three kinds, chosen by
:func:`load_detector`'s ``spec``:

- ``"coco"``: the bundled Darknet YOLOv3-tiny (80 COCO classes) through OpenCV DNN, offline;
- ``"person"``: the bundled ultralytics person checkpoint (its classes Normal/Fall both mean person);
- ``"coco+person"`` (the default, chosen by measuring box quality): people from the person
  checkpoint, every other class from YOLOv3-tiny;
- a path to any ultralytics ``.pt`` (e.g. a current YOLO nano model a user downloaded).

Class words from queries go through :func:`canonical_class` / :func:`resolve_classes`
("people" -> person, "vehicles" -> car, bus, truck, ...).

>>> canonical_class("pedestrians"), canonical_class("Women"), canonical_class("spaceship")
('person', 'person', None)
>>> resolve_classes(["vehicle"])
['bicycle', 'bus', 'car', 'motorbike', 'train', 'truck']
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import cv2
import numpy as np
import supervision as sv

from tools.assets import asset_path

PERSON_ALIASES = ("normal", "fall", "person", "people", "pedestrian", "human")
"""Class names that mean "person" in a checkpoint's own vocabulary (the bundled person model uses Normal/Fall)."""

# Words people use for COCO classes. Values are COCO names as the bundled coco.names spells them.
_SYNONYMS: dict[str, str] = {
    **{w: "person" for w in (
        "people", "persons", "pedestrian", "man", "men", "woman", "women", "boy", "girl", "child",
        "children", "kid", "human", "walker", "runner", "rider", "player", "someone", "guy", "lady",
        "gentleman", "passenger", "crowd", "figure", "individual", "adult", "worker", "officer",
    )},
    **{w: "car" for w in ("automobile", "auto", "sedan", "taxi", "cab", "jeep", "van", "suv", "motorcar")},
    **{w: "bus" for w in ("coach", "omnibus", "trolleybus", "tram", "streetcar", "trolley", "cable car")},
    **{w: "truck" for w in ("lorry", "pickup", "wagon")},
    **{w: "motorbike" for w in ("motorcycle", "scooter", "moped")},
    **{w: "bicycle" for w in ("bike", "cycle", "cyclist")},
    **{w: "horse" for w in ("carriage", "cart", "buggy", "stagecoach", "pony", "horses")},
    **{w: "train" for w in ("locomotive", "railcar")},
    **{w: "aeroplane" for w in ("airplane", "plane", "aircraft", "jet")},
    **{w: "boat" for w in ("ship", "ferry", "canoe", "yacht")},
    **{w: "dog" for w in ("puppy",)},
    **{w: "cat" for w in ("kitten",)},
    **{w: "sofa" for w in ("couch",)},
    **{w: "tvmonitor" for w in ("tv", "television", "monitor")},
    **{w: "diningtable" for w in ("table",)},
    **{w: "pottedplant" for w in ("plant",)},
    **{w: "cell phone" for w in ("phone", "smartphone", "mobile")},
    **{w: "handbag" for w in ("bag", "purse")},
    **{w: "sports ball" for w in ("ball", "football", "soccer ball")},
}

CLASS_GROUPS: dict[str, tuple[str, ...]] = {
    "vehicle": ("bicycle", "car", "motorbike", "bus", "train", "truck"),
    "animal": ("bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe"),
    "object": (),  # every class
    "thing": (),
}
"""Words that stand for several COCO classes (an empty tuple means every class)."""

_FIRST_OF_GROUP = {"vehicle": "car", "animal": "dog"}


def coco_names() -> list[str]:
    """The 80 COCO class names of the bundled YOLOv3-tiny, in class-id order."""
    return [n.strip() for n in asset_path("coco_names").read_text().splitlines() if n.strip()]


def _singular(word: str) -> str:
    for suffix, repl in (("ies", "y"), ("ches", "ch"), ("shes", "sh"), ("sses", "ss"), ("es", "e"), ("s", "")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            return word[: -len(suffix)] + repl
    return word


def _normal(word: str) -> str:
    return re.sub(r"[\s_\-]+", " ", word.strip().lower())


def canonical_class(word: str) -> str | None:
    """The COCO class a word names ("people" -> "person", "vehicle" -> "car"), or None if none.

    Plurals and common synonyms are understood; for a group word the most common member is
    returned (use :func:`resolve_classes` for every member).

    >>> [canonical_class(w) for w in ("person", "Cars", "motorcycle", "cable car", "carriage", "xyz")]
    ['person', 'car', 'motorbike', 'bus', 'horse', None]
    """
    names = set(coco_names())
    w = _normal(word)
    for candidate in (w, _singular(w)):
        if candidate in names:
            return candidate
        if candidate in _SYNONYMS:
            return _SYNONYMS[candidate]
        if candidate in _FIRST_OF_GROUP:
            return _FIRST_OF_GROUP[candidate]
        if candidate.replace(" ", "") in names:  # "dining table" -> "diningtable"
            return candidate.replace(" ", "")
    return None


def resolve_classes(words: Sequence[str] | None) -> list[str] | None:
    """COCO class names for a list of words, groups expanded; None means every class.

    Raises ``ValueError`` naming any word that is no known class.

    >>> resolve_classes(["people", "horse"])
    ['horse', 'person']
    >>> resolve_classes(None) is None
    True
    """
    if words is None:
        return None
    out: set[str] = set()
    unknown = []
    for word in words:
        w = _singular(_normal(word))
        if w in CLASS_GROUPS or _normal(word) in CLASS_GROUPS:
            group = CLASS_GROUPS.get(w) or CLASS_GROUPS.get(_normal(word), ())
            if not group:
                return None
            out.update(group)
            continue
        name = canonical_class(word)
        if name is None:
            unknown.append(word)
        else:
            out.add(name)
    if unknown:
        raise ValueError(
            f"unknown class word(s) {unknown}; use COCO classes such as person, car, bus, horse, bicycle "
            f"(or synonyms like people, vehicle)"
        )
    return sorted(out)


@runtime_checkable
class Detector(Protocol):
    """Anything that turns BGR images into ``sv.Detections`` with ``data["class_name"]``."""

    class_names: list[str]

    def detect(self, images: Sequence[np.ndarray]) -> list[sv.Detections]:
        """One ``Detections`` per image, boxes in that image's pixels."""
        ...


def _with_names(xyxy: np.ndarray, conf: np.ndarray, class_id: np.ndarray, names: Sequence[str]) -> sv.Detections:
    det = sv.Detections(
        xyxy=np.asarray(xyxy, dtype=np.float32).reshape(-1, 4),
        confidence=np.asarray(conf, dtype=np.float32).reshape(-1),
        class_id=np.asarray(class_id, dtype=int).reshape(-1),
    )
    det.data["class_name"] = np.array([names[i] for i in det.class_id], dtype=object)
    return det


def _empty(names: Sequence[str]) -> sv.Detections:
    return _with_names(np.zeros((0, 4)), np.zeros(0), np.zeros(0, dtype=int), names)


def _input_shape(width: int, height: int, size: int) -> tuple[int, int]:
    """Network input (w, h): long side ``size``, aspect kept, both multiples of 32."""
    scale = size / max(width, height)
    return (max(32, round(width * scale / 32) * 32), max(32, round(height * scale / 32) * 32))


class DarknetDetector:
    """Darknet YOLO (the bundled COCO YOLOv3-tiny by default) run through OpenCV DNN.

    ``input_size`` is the network's long side; the aspect ratio is kept (no squashing).

    >>> det = DarknetDetector(conf=0.3)                     # doctest: +SKIP
    >>> det.detect([cv2.imread("street.jpg")])[0].data["class_name"]   # doctest: +SKIP
    array(['person', 'car'], dtype=object)
    """

    def __init__(
        self,
        cfg: str | os.PathLike[str] | None = None,
        weights: str | os.PathLike[str] | None = None,
        names: Sequence[str] | None = None,
        *,
        conf: float = 0.25,
        nms: float = 0.45,
        input_size: int = 416,
        classes: Sequence[str] | None = None,
        device: str = "cpu",
    ) -> None:
        cfg = Path(cfg) if cfg else asset_path("coco_cfg")
        weights = Path(weights) if weights else asset_path("coco_weights")
        for p in (cfg, weights):
            if not Path(p).is_file():
                raise FileNotFoundError(f"Darknet file not found: {p}")
        self.class_names = list(names) if names else coco_names()
        self.net = cv2.dnn.readNetFromDarknet(str(cfg), str(weights))
        if device.startswith("cuda"):
            self.net.setPreferableBackend(cv2.dnn.DNN_BACKEND_CUDA)
            self.net.setPreferableTarget(cv2.dnn.DNN_TARGET_CUDA)
        self.out_names = self.net.getUnconnectedOutLayersNames()
        self.conf, self.nms, self.input_size = conf, nms, input_size
        keep = resolve_classes(classes)
        self.keep_ids = None if keep is None else [i for i, n in enumerate(self.class_names) if n in keep]

    def detect(self, images: Sequence[np.ndarray]) -> list[sv.Detections]:
        """Detect in each image (images of one size are batched through the network together)."""
        out: list[sv.Detections] = []
        for start in range(0, len(images), 8):
            batch = list(images[start : start + 8])
            if len({im.shape for im in batch}) != 1:
                out.extend(self._batch([im])[0] for im in batch)
            else:
                out.extend(self._batch(batch))
        return out

    def _batch(self, images: list[np.ndarray]) -> list[sv.Detections]:
        h, w = images[0].shape[:2]
        size = _input_shape(w, h, self.input_size)
        blob = cv2.dnn.blobFromImages(images, 1 / 255.0, size, swapRB=True, crop=False)
        self.net.setInput(blob)
        outs = [o.reshape(len(images), -1, o.shape[-1]) for o in self.net.forward(self.out_names)]
        return [self._decode(np.concatenate([o[i] for o in outs]), w, h) for i in range(len(images))]

    def _decode(self, rows: np.ndarray, w: int, h: int) -> sv.Detections:
        scores = rows[:, 5:]
        if self.keep_ids is not None:
            mask = np.zeros(scores.shape[1], dtype=bool)
            mask[self.keep_ids] = True
            scores = np.where(mask, scores, 0.0)
        class_id = scores.argmax(axis=1)
        conf = scores[np.arange(len(rows)), class_id]  # OpenCV already multiplies by objectness
        sel = conf >= self.conf
        if not sel.any():
            return _empty(self.class_names)
        rows, class_id, conf = rows[sel], class_id[sel], conf[sel]
        cx, cy, bw, bh = rows[:, 0] * w, rows[:, 1] * h, rows[:, 2] * w, rows[:, 3] * h
        xyxy = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1)
        xyxy = np.clip(xyxy, 0, [w, h, w, h])
        det = _with_names(xyxy, conf, class_id, self.class_names)
        return det.with_nms(threshold=self.nms, class_agnostic=False)


class UltralyticsDetector:
    """Any ultralytics YOLO checkpoint (``.pt``); class names that mean person map to "person".

    >>> det = UltralyticsDetector(asset_path("person_yolov8"))     # doctest: +SKIP
    >>> det.class_names                                              # doctest: +SKIP
    ['person', 'person']
    """

    def __init__(
        self,
        weights: str | os.PathLike[str],
        *,
        conf: float = 0.25,
        input_size: int = 640,
        classes: Sequence[str] | None = None,
        device: str = "cpu",
        batch: int = 4,
    ) -> None:
        path = Path(weights)
        if not path.is_file():
            raise FileNotFoundError(
                f"detector weights not found: {path}. Give the path of an ultralytics .pt file, "
                "or use spec 'coco' (bundled, offline)"
            )
        from tools.offline import apply_offline_env

        apply_offline_env()
        from ultralytics import YOLO

        self.model = YOLO(str(path))
        raw = self.model.names
        raw_names = [raw[i] for i in sorted(raw)] if isinstance(raw, dict) else list(raw)
        self.class_names = ["person" if n.lower() in PERSON_ALIASES else (canonical_class(n) or n) for n in raw_names]
        self.conf, self.input_size, self.device, self.batch = conf, input_size, device, batch
        # several raw classes meaning one thing (Normal/Fall = person): suppress across classes
        self.agnostic = len(set(self.class_names)) < len(self.class_names)
        keep = resolve_classes(classes)
        self.keep_ids = None if keep is None else [i for i, n in enumerate(self.class_names) if n in keep]

    def detect(self, images: Sequence[np.ndarray]) -> list[sv.Detections]:
        """Detect in each image (batched)."""
        if not len(images):
            return []
        if self.keep_ids is not None and not self.keep_ids:
            return [_empty(self.class_names) for _ in images]
        results = self.model.predict(
            list(images), imgsz=self.input_size, conf=self.conf, device=self.device,
            classes=self.keep_ids, verbose=False, batch=self.batch, agnostic_nms=self.agnostic,
        )
        out = []
        for r in results:
            d = sv.Detections.from_ultralytics(r)
            out.append(_with_names(d.xyxy, d.confidence, d.class_id, self.class_names))
        return out


class CombinedDetector:
    """People from one detector, every other class from another (e.g. person YOLOv8 + COCO YOLOv3-tiny)."""

    def __init__(self, person: Detector, others: Detector) -> None:
        self.person, self.others = person, others
        self.class_names = list(others.class_names)
        self._person_id = self.class_names.index("person") if "person" in self.class_names else 0

    def detect(self, images: Sequence[np.ndarray]) -> list[sv.Detections]:
        """Merge the person detector's people with the other detector's non-people."""
        out = []
        for people, rest in zip(self.person.detect(images), self.others.detect(images)):
            people = people[people.data["class_name"] == "person"]
            rest = rest[rest.data["class_name"] != "person"]
            ids = np.concatenate([np.full(len(people), self._person_id), rest.class_id]).astype(int)
            out.append(_with_names(
                np.concatenate([people.xyxy, rest.xyxy]),
                np.concatenate([people.confidence, rest.confidence]),
                ids, self.class_names,
            ))
        return out


DETECTOR_SPECS = ("coco", "person", "coco+person")
"""Names :func:`load_detector` understands besides a ``.pt`` path."""

DEFAULT_DETECTOR = "coco+person"
"""Chosen by ``bench/tools_box_quality.py``: on hand-boxed people of the real film the person
checkpoint's boxes reach 0.79-0.94 mean IoU for people 70-250 px tall where YOLOv3-tiny reaches
0.17-0.43 (it boxes torsos); YOLOv3-tiny still supplies every other COCO class."""


def load_detector(
    spec: str = DEFAULT_DETECTOR,
    device: str = "cpu",
    conf: float = 0.25,
    classes: Sequence[str] | None = None,
    input_size: int | None = None,
) -> Detector:
    """Build a detector from a name in :data:`DETECTOR_SPECS` or a path to an ultralytics ``.pt``.

    The default, ``"coco+person"``, takes people from the bundled person checkpoint and every
    other class from YOLOv3-tiny (see :data:`DEFAULT_DETECTOR`); ``"coco"`` alone is about 3x faster.

    ``classes`` keeps only those class words (synonyms allowed); ``input_size`` is the network's
    long side (default 416 for Darknet, 640 for ultralytics). A missing weights file raises
    ``FileNotFoundError`` saying what to give instead.

    >>> det = load_detector("coco", classes=["people"])
    >>> import numpy as np
    >>> len(det.detect([np.zeros((360, 640, 3), np.uint8)])[0])
    0
    """
    if spec == "coco":
        return DarknetDetector(conf=conf, classes=classes, device=device, input_size=input_size or 416)
    if spec == "person":
        return UltralyticsDetector(
            asset_path("person_yolov8"), conf=conf, classes=classes, device=device, input_size=input_size or 640
        )
    if spec == "coco+person":
        keep = resolve_classes(classes)
        person = UltralyticsDetector(
            asset_path("person_yolov8"), conf=conf, device=device, input_size=input_size or 640
        ) if keep is None or "person" in keep else None
        others = DarknetDetector(conf=conf, classes=classes, device=device, input_size=input_size or 416)
        return CombinedDetector(person, others) if person is not None else others
    if spec.endswith(".pt") or Path(spec).suffix:
        return UltralyticsDetector(spec, conf=conf, classes=classes, device=device, input_size=input_size or 640)
    raise ValueError(f"unknown detector {spec!r}: use one of {DETECTOR_SPECS} or a path to a .pt file")
