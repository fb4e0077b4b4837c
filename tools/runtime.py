"""CPU inference runtime for the bundled detectors: exported once, cached by weights hash, run by OpenVINO.

The person checkpoint (ultralytics ``.pt``) is exported to ONNX locally (never downloaded) the first
time it is needed (or by ``scripts/bootstrap.sh``), into ``<cache>/models/<name>-<sha16>.onnx``
where ``<sha16>`` is the weights file's hash: new weights get a new file, the same weights reuse
it. A cache file that does not load (truncated, overwritten) is reported on stderr and rebuilt.
OpenVINO runs it; on CPUs with AMX/AVX512-BF16 OpenVINO computes in bf16 (about 3x faster than
ONNX Runtime fp32 here, boxes within the agreement bound; see the README's tools section).
Only the export step imports torch/ultralytics; running needs only openvino, numpy and OpenCV.

>>> import os
>>> cache_root().name in {"stag", os.environ.get("STAG_CACHE_DIR", "stag").rstrip("/").split("/")[-1]}
True
>>> default_threads() >= 1
True
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

BACKENDS = ("auto", "openvino", "torch")
"""``auto``: OpenVINO on CPU, the models' own frameworks on CUDA (PyTorch for ultralytics checkpoints,
OpenCV DNN for Darknet); ``torch`` forces those frameworks everywhere; ``openvino`` forces OpenVINO."""


DETECTOR_SPECS = ("coco", "person", "coco+person")
"""Detector names :func:`tools.detect.load_detector` understands besides a ``.pt`` path."""


def check_detector_spec(spec: str) -> str:
    """Return ``spec`` if it names a detector, else raise ``ValueError`` (cheap: loads nothing).

    >>> check_detector_spec("coco")
    'coco'
    >>> check_detector_spec("yolo9000")
    Traceback (most recent call last):
    ...
    ValueError: unknown detector 'yolo9000': use one of ('coco', 'person', 'coco+person') or a path to a .pt file
    """
    if spec in DETECTOR_SPECS:
        return spec
    if Path(spec).suffix:  # a checkpoint path (.pt, or anything ultralytics loads)
        if not Path(spec).is_file():
            raise FileNotFoundError(
                f"detector weights not found: {spec}. Give the path of an ultralytics .pt file, "
                f"or one of {DETECTOR_SPECS} (bundled, offline)"
            )
        return spec
    raise ValueError(f"unknown detector {spec!r}: use one of {DETECTOR_SPECS} or a path to a .pt file")


class ExportError(RuntimeError):
    """A detector could not be exported (the message says why and what to do)."""


def cache_root() -> Path:
    """The user cache folder of stag: ``$STAG_CACHE_DIR``, else ``$XDG_CACHE_HOME/stag``, else ``~/.cache/stag``."""
    if os.environ.get("STAG_CACHE_DIR"):
        return Path(os.environ["STAG_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "stag"


def default_threads() -> int:
    """Inference threads: ``$STAG_THREADS`` if set, else the cores this process may use."""
    env = os.environ.get("STAG_THREADS")
    if env:
        if not env.isdigit() or int(env) < 1:
            raise ValueError(f"STAG_THREADS must be a positive integer, not {env!r}")
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


_HASHES: dict[tuple[str, int, int, int], str] = {}
"""Hashes computed in this process, keyed by (path, inode, size, mtime in ns): a warm process (a server's
second request) does not read the 60 MB of weights and exports again; a file rewritten is hashed anew."""


def file_hash(path: str | os.PathLike[str]) -> str:
    """First 16 hex digits of the file's SHA-256 (the cache key of anything built from it)."""
    st = os.stat(path)
    key = (os.path.abspath(path), st.st_ino, st.st_size, st.st_mtime_ns)
    if (known := _HASHES.get(key)) is not None:
        return known
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    if len(_HASHES) >= 64:
        _HASHES.clear()
    _HASHES[key] = digest.hexdigest()[:16]
    return _HASHES[key]


def _export_ultralytics(weights: Path, dst: Path) -> None:
    """ONNX export of an ultralytics checkpoint (dynamic batch and size); imports torch/ultralytics."""
    from tools.offline import apply_offline_env

    apply_offline_env()
    try:
        from ultralytics import YOLO
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ExportError(f"exporting {weights} needs ultralytics (pip install -e '.[vision]'): {exc}") from exc
    import tempfile

    with tempfile.TemporaryDirectory(prefix="stag-export-") as tmp:
        local = Path(tmp) / weights.name  # ultralytics writes next to the weights: keep the package folder clean
        local.write_bytes(weights.read_bytes())
        out = YOLO(str(local)).export(format="onnx", dynamic=True, simplify=False, opset=17, verbose=False)
        os.replace(out, dst)


def _check_onnx(path: Path) -> None:
    """Raise if ``path`` is not a loadable ONNX model (truncated or overwritten cache file)."""
    import onnx

    onnx.checker.check_model(str(path))


def exported_onnx(
    weights: str | os.PathLike[str],
    *,
    name: str = "person",
    exporter: Callable[[Path, Path], None] = _export_ultralytics,
    root: Path | None = None,
) -> Path:
    """The ONNX file exported from ``weights``, built now if absent or corrupt, reused otherwise.

    The file is ``<root>/models/<name>-<sha16 of weights>.onnx`` (``root`` defaults to
    :func:`cache_root`), beside ``<file>.sha256``, the hash of the file as built: a cache file whose
    contents no longer match (truncated, overwritten) is reported on stderr and rebuilt. Writes are atomic
    (a temporary file renamed into place), so concurrent processes never read half a file.

    >>> from tools.assets import asset_path
    >>> p = exported_onnx(asset_path("person_yolov8"))          # doctest: +SKIP
    >>> p.name                                                   # doctest: +SKIP
    'person-3f1c...onnx'
    """
    weights = Path(weights)
    if not weights.is_file():
        raise FileNotFoundError(f"detector weights not found: {weights}")
    folder = (root or cache_root()) / "models"
    dst = folder / f"{name}-{file_hash(weights)}.onnx"
    stamp = dst.with_suffix(".onnx.sha256")  # the hash of the file as built: a cheap check, no onnx import
    if dst.is_file():
        problem = "its checksum file is missing" if not stamp.is_file() else (
            "its contents changed since it was built" if stamp.read_text().strip() != file_hash(dst) else None)
        if problem is None:
            return dst
        print(f"stag: cached model {dst} is corrupt ({problem}); rebuilding it from {weights}", file=sys.stderr)
        dst.unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{dst.name}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        exporter(weights, tmp)
        _check_onnx(tmp)
        stamp.write_text(file_hash(tmp) + "\n")
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)
    return dst


K = TypeVar("K")
V = TypeVar("V")


class ModelRegistry(Generic[K, V]):
    """A small bounded, thread-safe cache of loaded models, passed explicitly to whoever serves requests.

    ``get(key, build)`` returns the model built for ``key`` (building it once); beyond ``capacity``
    the least recently used model is dropped. A server or demo holds one registry for its lifetime,
    so a second request reuses the loaded detector and encoder; a CLI run makes none.

    >>> reg = ModelRegistry(capacity=2)
    >>> reg.get("a", lambda: [1]) is reg.get("a", lambda: [2])
    True
    >>> _ = reg.get("b", lambda: 2), reg.get("c", lambda: 3)
    >>> list(reg.keys())
    ['b', 'c']
    """

    def __init__(self, capacity: int = 4) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[K, threading.Lock] = {}

    def get(self, key: K, build: Callable[[], V]) -> V:
        """The model for ``key``, built by ``build()`` on first use (one build even under concurrency)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            key_lock = self._building.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._items:
                    return self._items[key]
            value = build()
            with self._lock:
                self._items[key] = value
                self._items.move_to_end(key)
                while len(self._items) > self.capacity:
                    self._items.popitem(last=False)
                self._building.pop(key, None)
            return value

    def keys(self) -> list[K]:
        """Keys held, least recently used first."""
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        """Drop every model."""
        with self._lock:
            self._items.clear()


class CompiledNet:
    """A compiled OpenVINO network, callable from any thread (one inference at a time): arrays in, arrays out."""

    def __init__(self, compiled: object) -> None:
        self._compiled = compiled
        self._lock = threading.Lock()
        self.outputs = list(compiled.outputs)  # type: ignore[attr-defined]

    def __call__(self, x: object) -> list:
        """The network's outputs for input ``x`` (a numpy array), in output order, as fresh arrays."""
        import numpy as np

        with self._lock:
            result = self._compiled(x)  # type: ignore[operator]
            return [np.array(result[o], copy=True) for o in self.outputs]


_COMPILED: ModelRegistry[tuple[str, int, str | None], CompiledNet] = ModelRegistry(capacity=4)
"""Compiled networks of this process, at most 4 (read-only weights): a server's second request on a
new video does not compile again. Bounded and keyed by file, threads and precision."""


def compile_openvino(onnx_path: Path, *, threads: int | None = None, precision: str | None = None) -> CompiledNet:
    """The network at ``onnx_path`` compiled by OpenVINO for the CPU, shared within the process.

    Compiled blobs are also cached on disk under :func:`cache_root` (a new process loads them
    instead of compiling). ``precision`` is OpenVINO's inference precision hint (``"f32"``,
    ``"bf16"``); None keeps the CPU plugin's default (bf16 where the CPU has AMX or AVX-512 BF16, else f32);
    ``$STAG_PRECISION`` overrides it. Threads default to :func:`default_threads`.
    """
    threads = threads or default_threads()
    precision = precision or os.environ.get("STAG_PRECISION") or None

    def build() -> CompiledNet:
        import openvino as ov

        core = ov.Core()
        cache = cache_root() / "openvino"
        cache.mkdir(parents=True, exist_ok=True)
        core.set_property({"CACHE_DIR": str(cache)})
        # Threads not pinned to cores: the video decoding thread and Python's own work share the same
        # cores, and unpinned inference threads let the OS place them (6% less wall time and CPU time
        # per perception pass on 2 cores; bench/warm_serving.py, README tools section).
        config: dict[str, object] = {"INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY",
                                     "ENABLE_CPU_PINNING": False}
        if precision:
            config["INFERENCE_PRECISION_HINT"] = precision
        return CompiledNet(core.compile_model(str(onnx_path), "CPU", config))

    return _COMPILED.get((str(Path(onnx_path).resolve()), threads, precision), build)
