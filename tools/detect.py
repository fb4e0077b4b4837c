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
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import cv2
import numpy as np
import supervision as sv

from tools.assets import asset_path
from tools.runtime import BACKENDS, DETECTOR_SPECS, ModelRegistry, check_detector_spec
from tools.vocabulary import PERSON_ALIASES, canonical_class, resolve_classes


def coco_names() -> list[str]:
    """The 80 COCO class names of the bundled YOLOv3-tiny, in class-id order."""
    return [n.strip() for n in asset_path("coco_names").read_text().splitlines() if n.strip()]


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
    """Darknet YOLO (the bundled COCO YOLOv3-tiny by default) run through OpenCV DNN or OpenVINO.

    ``input_size`` is the network's long side; the aspect ratio is kept (no squashing).
    ``backend="openvino"`` converts the network to ONNX once (:mod:`tools.darknet_onnx`, cached by
    the weights' hash) and runs it through OpenVINO with the same pre- and post-processing, in
    ``precision`` f32 by default: OpenCV DNN's boxes exactly, still about 2x faster. (bf16, 3x
    faster than f32 on AMX CPUs, moves enough of YOLOv3-tiny's low-confidence boxes to change 1-FPS
    tracks on the film: the 90th-percentile per-second step of a track went from 0.78 to 0.84
    heights; the person checkpoint's bf16 boxes do not, so that one runs in bf16.)

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
        backend: str = "opencv",
        threads: int | None = None,
        precision: str | None = "f32",
    ) -> None:
        cfg = Path(cfg) if cfg else asset_path("coco_cfg")
        weights = Path(weights) if weights else asset_path("coco_weights")
        for p in (cfg, weights):
            if not Path(p).is_file():
                raise FileNotFoundError(f"Darknet file not found: {p}")
        if backend not in ("opencv", "openvino"):
            raise ValueError(f"Darknet backend must be 'opencv' or 'openvino', not {backend!r}")
        self.class_names = list(names) if names else coco_names()
        self.backend = backend
        if backend == "openvino":
            from tools.darknet_onnx import convert, yolo_layers
            from tools.runtime import compile_openvino, exported_onnx, file_hash

            onnx_path = exported_onnx(weights, name=f"darknet-{cfg.stem}-{file_hash(cfg)[:8]}",
                                      exporter=lambda w, dst: convert(cfg, w, dst))
            self.model = compile_openvino(onnx_path, threads=threads, precision=precision)
            self.layers = yolo_layers(cfg)
        else:
            self.net = cv2.dnn.readNetFromDarknet(str(cfg), str(weights))
            if device.startswith("cuda"):
                self.net.setPreferableBackend(cv2.dnn.DNN_BACKEND_CUDA)
                self.net.setPreferableTarget(cv2.dnn.DNN_TARGET_CUDA)
            self.out_names = self.net.getUnconnectedOutLayersNames()
        self._lock = threading.Lock()  # one inference at a time: the detector may be shared by request threads
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
        if self.backend == "openvino":
            from tools.darknet_onnx import decode_heads

            rows = decode_heads(self.model(blob), self.layers, size)
            return [self._decode(rows[i], w, h) for i in range(len(images))]
        with self._lock:
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


def _letterbox(image: np.ndarray, size: int, stride: int = 32) -> tuple[np.ndarray, float, tuple[int, int]]:
    """Resize keeping the aspect ratio (long side ``size``), pad to a multiple of ``stride`` with grey 114.

    The same rule as ultralytics' ``LetterBox(auto=True)``; returns the image, the gain and the
    (x, y) padding on the left/top.
    """
    h, w = image.shape[:2]
    gain = min(size / h, size / w)
    new_w, new_h = max(round(w * gain), 1), max(round(h * gain), 1)
    dw, dh = (size - new_w) % stride / 2, (size - new_h) % stride / 2
    if (new_w, new_h) != (w, h):
        image = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    top, bottom = round(dh - 0.1), round(dh + 0.1)
    left, right = round(dw - 0.1), round(dw + 0.1)
    image = cv2.copyMakeBorder(image, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(114, 114, 114))
    return image, gain, (left, top)


def nms(xyxy: np.ndarray, scores: np.ndarray, iou: float) -> np.ndarray:
    """Indices kept by greedy non-maximum suppression, highest score first.

    >>> nms(np.array([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]], float), np.array([0.9, 0.8, 0.7]), 0.5)
    array([0, 2])
    """
    order = np.argsort(-scores, kind="stable")
    area = (xyxy[:, 2] - xyxy[:, 0]).clip(0) * (xyxy[:, 3] - xyxy[:, 1]).clip(0)
    keep: list[int] = []
    while order.size:
        i = order[0]
        keep.append(int(i))
        rest = order[1:]
        w = (np.minimum(xyxy[i, 2], xyxy[rest, 2]) - np.maximum(xyxy[i, 0], xyxy[rest, 0])).clip(0)
        h = (np.minimum(xyxy[i, 3], xyxy[rest, 3]) - np.maximum(xyxy[i, 1], xyxy[rest, 1])).clip(0)
        inter = w * h
        order = rest[inter / (area[i] + area[rest] - inter + 1e-9) <= iou]
    return np.array(keep, dtype=int)


class OpenVinoYoloDetector:
    """An ultralytics YOLO (v8-style head) exported to ONNX, run by OpenVINO on the CPU; no torch needed.

    Pre- and post-processing follow ultralytics' predict (letterbox to a multiple of 32, class-wise
    or agnostic NMS at IoU 0.7, at most 300 boxes), so boxes match the PyTorch path (see
    ``tests/test_tools_detect.py``). Frames of one size are batched through the network together.

    >>> from tools.runtime import exported_onnx
    >>> det = OpenVinoYoloDetector(exported_onnx(asset_path("person_yolov8")), ["Normal", "Fall"])  # doctest: +SKIP
    >>> det.class_names                                                                         # doctest: +SKIP
    ['person', 'person']
    """

    def __init__(
        self,
        onnx_path: str | os.PathLike[str],
        raw_names: Sequence[str],
        *,
        conf: float = 0.25,
        iou: float = 0.7,
        input_size: int = 640,
        classes: Sequence[str] | None = None,
        threads: int | None = None,
        precision: str | None = None,
        batch: int = 4,
    ) -> None:
        from tools.runtime import compile_openvino

        self.model = compile_openvino(Path(onnx_path), threads=threads, precision=precision)  # thread-safe, shared
        self.class_names = ["person" if n.lower() in PERSON_ALIASES else (canonical_class(n) or n) for n in raw_names]
        self.conf, self.iou, self.input_size, self.batch = conf, iou, input_size, batch
        self.agnostic = len(set(self.class_names)) < len(self.class_names)
        keep = resolve_classes(classes)
        self.keep_ids = None if keep is None else [i for i, n in enumerate(self.class_names) if n in keep]

    def detect(self, images: Sequence[np.ndarray]) -> list[sv.Detections]:
        """Detect in each image (images of one size are batched, ``batch`` at a time)."""
        if self.keep_ids is not None and not self.keep_ids:
            return [_empty(self.class_names) for _ in images]
        out: list[sv.Detections] = []
        for start in range(0, len(images), self.batch):
            chunk = list(images[start : start + self.batch])
            if len({im.shape for im in chunk}) != 1:
                out.extend(self._batch([im])[0] for im in chunk)
            else:
                out.extend(self._batch(chunk))
        return out

    def _batch(self, images: list[np.ndarray]) -> list[sv.Detections]:
        boxed = [_letterbox(im, self.input_size) for im in images]
        blob = np.stack([b[0] for b in boxed])[..., ::-1].transpose(0, 3, 1, 2)
        blob = np.ascontiguousarray(blob, dtype=np.float32) / 255.0
        pred = self.model(blob)[0]
        return [self._decode(pred[i].T, boxed[i][1], boxed[i][2], images[i].shape[:2]) for i in range(len(images))]

    def _decode(self, rows: np.ndarray, gain: float, pad: tuple[int, int], shape: tuple[int, ...]) -> sv.Detections:
        scores = rows[:, 4:]
        if self.keep_ids is not None:
            scores = scores[:, self.keep_ids]
        class_id = scores.argmax(axis=1)
        conf = scores[np.arange(len(rows)), class_id]
        sel = conf > self.conf
        if not sel.any():
            return _empty(self.class_names)
        rows, class_id, conf = rows[sel], class_id[sel], conf[sel]
        if self.keep_ids is not None:
            class_id = np.asarray(self.keep_ids)[class_id]
        cx, cy, bw, bh = rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]
        xyxy = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1)
        offset = 0.0 if self.agnostic else class_id[:, None] * 7680.0  # ultralytics' max_wh: NMS per class
        keep = nms(xyxy + offset, conf, self.iou)[:300]
        xyxy, conf, class_id = xyxy[keep], conf[keep], class_id[keep]
        h, w = shape
        xyxy = (xyxy - [pad[0], pad[1], pad[0], pad[1]]) / gain
        xyxy = np.clip(xyxy, 0, [w, h, w, h])
        return _with_names(xyxy, conf, class_id, self.class_names)


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


DEFAULT_DETECTOR = "coco+person"
"""Chosen by ``bench/tools_box_quality.py``: on hand-boxed people of the real film the person
checkpoint's boxes reach 0.79-0.94 mean IoU for people 70-250 px tall where YOLOv3-tiny reaches
0.17-0.43 (it boxes torsos); YOLOv3-tiny still supplies every other COCO class."""


def _person_detector(
    weights: Path, *, conf: float, classes: Sequence[str] | None, device: str, input_size: int, backend: str,
    threads: int | None,
) -> Detector:
    """The person checkpoint through OpenVINO (CPU) or PyTorch (CUDA, or ``backend="torch"``)."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}: use one of {BACKENDS}")
    if backend == "torch" or (backend == "auto" and not device.startswith("cpu")):
        return UltralyticsDetector(weights, conf=conf, classes=classes, device=device, input_size=input_size)
    from tools.runtime import exported_onnx

    return OpenVinoYoloDetector(exported_onnx(weights, name="person"), PERSON_RAW_NAMES, conf=conf,
                                classes=classes, input_size=input_size, threads=threads)


PERSON_RAW_NAMES = ("Normal", "Fall")
"""The bundled person checkpoint's own class names (both mean person)."""


def load_detector(
    spec: str = DEFAULT_DETECTOR,
    device: str = "cpu",
    conf: float = 0.25,
    classes: Sequence[str] | None = None,
    input_size: int | None = None,
    backend: str = "auto",
    threads: int | None = None,
) -> Detector:
    """Build a detector from a name in :data:`DETECTOR_SPECS` or a path to an ultralytics ``.pt``.

    The default, ``"coco+person"``, takes people from the bundled person checkpoint and every
    other class from YOLOv3-tiny (see :data:`DEFAULT_DETECTOR`); only the model the wanted
    ``classes`` need is loaded (people only: the person model; no people: YOLOv3-tiny only).

    ``backend`` (see :data:`tools.runtime.BACKENDS`): ``"auto"`` runs both bundled models through
    OpenVINO on CPU (exported once and cached, :func:`tools.runtime.exported_onnx`) and through
    their own frameworks on CUDA (PyTorch for the person checkpoint, OpenCV DNN for YOLOv3-tiny);
    ``"torch"`` forces those frameworks on any device. ``threads`` defaults to the machine's cores
    (:func:`tools.runtime.default_threads`). ``classes`` keeps only those class words (synonyms
    allowed); ``input_size`` is the network's long side (default 416 for Darknet, 640 for
    ultralytics). Unknown specs, backends and missing weights raise before anything loads.

    >>> det = load_detector("coco", classes=["people"])
    >>> import numpy as np
    >>> len(det.detect([np.zeros((360, 640, 3), np.uint8)])[0])
    0
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}: use one of {BACKENDS}")
    if spec not in DETECTOR_SPECS:
        check_detector_spec(spec)  # a checkpoint path: it must exist (checked before anything loads)
    keep = resolve_classes(classes)
    dk_backend = "openvino" if backend == "openvino" or (backend == "auto" and device.startswith("cpu")) else "opencv"
    if spec == "coco":
        return DarknetDetector(conf=conf, classes=classes, device=device, input_size=input_size or 416,
                               backend=dk_backend, threads=threads)
    if spec == "person":
        return _person_detector(asset_path("person_yolov8"), conf=conf, classes=classes, device=device,
                                input_size=input_size or 640, backend=backend, threads=threads)
    if spec == "coco+person":
        wants_people = keep is None or "person" in keep
        wants_others = keep is None or any(c != "person" for c in keep)
        person = _person_detector(asset_path("person_yolov8"), conf=conf, classes=None, device=device,
                                  input_size=input_size or 640, backend=backend,
                                  threads=threads) if wants_people else None
        if person is not None and not wants_others:
            return person
        others = DarknetDetector(conf=conf, classes=classes, device=device, input_size=input_size or 416,
                                 backend=dk_backend, threads=threads)
        return CombinedDetector(person, others) if person is not None else others
    return UltralyticsDetector(spec, conf=conf, classes=classes, device=device, input_size=input_size or 640)


def agreement(reference: Sequence[sv.Detections], other: Sequence[sv.Detections], min_iou: float = 0.5) -> dict[str, float]:
    """How closely two detectors' boxes agree over the same frames (e.g. OpenVINO against PyTorch).

    Per frame, boxes are paired one-to-one by highest IoU (Hungarian, pairs below ``min_iou`` left
    unmatched). Returns ``mean_iou`` of matched pairs, ``matched`` (fraction of the reference's
    boxes matched) and ``count_ratio`` (other's box count over the reference's).

    >>> a = [_with_names(np.array([[0, 0, 10, 10]]), np.array([0.9]), np.array([0]), ["person"])]
    >>> agreement(a, a)
    {'mean_iou': 1.0, 'matched': 1.0, 'count_ratio': 1.0}
    """
    from scipy.optimize import linear_sum_assignment

    ious: list[float] = []
    n_ref = n_other = 0
    for ref, oth in zip(reference, other, strict=True):
        n_ref, n_other = n_ref + len(ref), n_other + len(oth)
        if not len(ref) or not len(oth):
            continue
        m = sv.box_iou_batch(ref.xyxy, oth.xyxy)
        rows, cols = linear_sum_assignment(-m)
        ious.extend(float(m[r, c]) for r, c in zip(rows, cols) if m[r, c] >= min_iou)
    return {
        "mean_iou": round(float(np.mean(ious)), 4) if ious else 0.0,
        "matched": round(len(ious) / n_ref, 4) if n_ref else 1.0,
        "count_ratio": round(n_other / n_ref, 4) if n_ref else float(n_other == 0),
    }


def shared_detector(registry: ModelRegistry, spec: str = DEFAULT_DETECTOR, **kwargs: object) -> Detector:
    """The detector :func:`load_detector` would build, kept loaded in ``registry`` across requests.

    A server or demo creates one :class:`~tools.runtime.ModelRegistry` at start-up and passes it
    here on every request, so only the first request pays for loading; no hidden global cache.

    >>> from tools.runtime import ModelRegistry
    >>> reg = ModelRegistry(capacity=4)
    >>> shared_detector(reg, "coco", classes=["car"]) is shared_detector(reg, "coco", classes=["car"])
    True
    """
    classes = kwargs.get("classes")
    key = (spec, tuple(sorted(resolve_classes(classes) or ())) if classes is not None else None,
           *sorted((k, repr(v)) for k, v in kwargs.items() if k != "classes"))
    return registry.get(key, lambda: load_detector(spec, **kwargs))  # type: ignore[arg-type]


def prepare_models() -> list[Path]:
    """Export both bundled detectors for the CPU runtime now (``scripts/bootstrap.sh`` calls this).

    Quick when the cache already holds them (their weights are hashed, nothing is rebuilt).

    >>> [p.suffix for p in prepare_models()]                      # doctest: +SKIP
    ['.onnx', '.onnx']
    """
    from tools.darknet_onnx import convert
    from tools.runtime import exported_onnx, file_hash

    cfg = asset_path("coco_cfg")
    return [
        exported_onnx(asset_path("person_yolov8"), name="person"),
        exported_onnx(asset_path("coco_weights"), name=f"darknet-{cfg.stem}-{file_hash(cfg)[:8]}",
                      exporter=lambda w, dst: convert(cfg, w, dst)),
    ]
