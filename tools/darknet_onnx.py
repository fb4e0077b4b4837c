"""Convert a Darknet YOLO (``.cfg`` + ``.weights``, e.g. the bundled YOLOv3-tiny) to ONNX, and decode its heads.

The converter understands the layers YOLOv3/-tiny use (convolutional with folded batch norm and
leaky/linear activation, maxpool, route, upsample, shortcut, yolo). The ONNX model has a dynamic
batch and input size and returns each yolo layer's raw map; :func:`decode_heads` turns those into
OpenCV DNN's row format ``[cx, cy, w, h, objectness, class scores x objectness]`` (fractions of
the input), so both backends share one post-processing. Building needs the ``onnx`` package; no
torch.

>>> from tools.assets import asset_path
>>> parse_cfg(asset_path("coco_cfg"))[1]["type"], len(parse_cfg(asset_path("coco_cfg")))
('convolutional', 25)
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

__all__ = ["convert", "decode_heads", "parse_cfg", "read_weights", "yolo_layers"]


def parse_cfg(path: str | os.PathLike[str]) -> list[dict[str, str]]:
    """The sections of a Darknet ``.cfg`` in order, each a dict with ``type`` and its keys."""
    sections: list[dict[str, str]] = []
    for raw in Path(path).read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            sections.append({"type": line.strip("[]").strip()})
        elif "=" in line:
            key, value = line.split("=", 1)
            sections[-1][key.strip()] = value.strip()
    return sections


def _yolo_params(section: dict[str, str]) -> tuple[np.ndarray, int]:
    anchors = np.array([float(v) for v in section["anchors"].split(",")]).reshape(-1, 2)
    mask = [int(v) for v in section["mask"].split(",")]
    return anchors[mask], int(section["classes"])


def read_weights(
    cfg: str | os.PathLike[str], weights: str | os.PathLike[str]
) -> list[tuple[np.ndarray, np.ndarray] | None]:
    """Per layer after ``[net]``: (conv weight, bias) with batch norm folded in, or None (no weights)."""
    sections = parse_cfg(cfg)
    data = Path(weights).read_bytes()
    major, minor = np.frombuffer(data[:8], dtype=np.int32)
    offset = 12 + (8 if major * 10 + minor >= 2 else 4)
    blob = np.frombuffer(data[offset:], dtype=np.float32)
    cursor = 0

    def take(n: int) -> np.ndarray:
        nonlocal cursor
        if cursor + n > blob.size:
            raise ValueError(f"{weights}: the weights file is shorter than {cfg} needs (truncated or another model)")
        out = blob[cursor : cursor + n]
        cursor += n
        return out

    out: list[tuple[np.ndarray, np.ndarray] | None] = []
    channels = [int(sections[0].get("channels", 3))]
    for i, sec in enumerate(sections[1:]):
        prev_c = channels[-1]
        if sec["type"] == "convolutional":
            filters, size = int(sec["filters"]), int(sec["size"])
            if int(sec.get("batch_normalize", 0)):
                beta, gamma, mean, var = (take(filters) for _ in range(4))
                w = take(filters * prev_c * size * size).reshape(filters, prev_c, size, size)
                scale = gamma / np.sqrt(var + 1e-6)
                w, b = w * scale[:, None, None, None], beta - mean * scale
            else:
                b = take(filters)
                w = take(filters * prev_c * size * size).reshape(filters, prev_c, size, size)
            out.append((w.astype(np.float32), b.astype(np.float32)))
            channels.append(filters)
        else:
            out.append(None)
            if sec["type"] == "route":
                idx = [int(v) for v in sec["layers"].split(",")]
                channels.append(sum(channels[1:][j if j >= 0 else i + j] for j in idx))
            else:
                channels.append(prev_c)
    if cursor != blob.size:
        raise ValueError(f"{weights}: {blob.size - cursor} weights left over: the file does not match {cfg}")
    return out


def convert(cfg: str | os.PathLike[str], weights: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """Write the Darknet network ``cfg`` + ``weights`` as an ONNX model at ``dst`` (input ``images``, NCHW RGB 0-1)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    sections = parse_cfg(cfg)
    params = read_weights(cfg, weights)
    nodes, inits, outputs = [], [], []
    names: list[str] = []  # output tensor of each layer
    channels: list[int] = []
    prev, prev_c = "images", int(sections[0].get("channels", 3))
    for i, sec in enumerate(sections[1:]):
        kind, out = sec["type"], f"l{i}"
        if kind == "convolutional":
            filters, size = int(sec["filters"]), int(sec["size"])
            stride, pad = int(sec.get("stride", 1)), (size // 2 if int(sec.get("pad", 0)) else 0)
            w, b = params[i]  # type: ignore[misc]
            inits += [numpy_helper.from_array(w, f"{out}_w"), numpy_helper.from_array(b, f"{out}_b")]
            act = sec.get("activation", "linear")
            conv_out = out if act == "linear" else f"{out}_conv"
            nodes.append(helper.make_node("Conv", [prev, f"{out}_w", f"{out}_b"], [conv_out], kernel_shape=[size, size],
                                          strides=[stride, stride], pads=[pad] * 4))
            if act == "leaky":
                nodes.append(helper.make_node("LeakyRelu", [conv_out], [out], alpha=0.1))
            elif act != "linear":
                raise ValueError(f"{cfg}: activation {act!r} is not supported")
            c = filters
        elif kind == "maxpool":
            size, stride = int(sec["size"]), int(sec["stride"])
            extra = size - stride  # Darknet pads right/bottom so that the output is ceil(input / stride)
            nodes.append(helper.make_node("MaxPool", [prev], [out], kernel_shape=[size, size], strides=[stride, stride],
                                          pads=[0, 0, extra, extra]))
            c = prev_c
        elif kind == "upsample":
            s = float(sec.get("stride", 2))
            inits.append(numpy_helper.from_array(np.array([1, 1, s, s], np.float32), f"{out}_scales"))
            nodes.append(helper.make_node("Resize", [prev, "", f"{out}_scales"], [out], mode="nearest"))
            c = prev_c
        elif kind == "route":
            idx = [int(v) for v in sec["layers"].split(",")]
            idx = [j if j >= 0 else i + j for j in idx]
            if len(idx) == 1:
                nodes.append(helper.make_node("Identity", [names[idx[0]]], [out]))
            else:
                nodes.append(helper.make_node("Concat", [names[j] for j in idx], [out], axis=1))
            c = sum(channels[j] for j in idx)
        elif kind == "shortcut":
            j = int(sec["from"])
            nodes.append(helper.make_node("Add", [prev, names[i + j if j < 0 else j]], [out]))
            c = prev_c
        elif kind == "yolo":
            nodes.append(helper.make_node("Identity", [prev], [out]))
            outputs.append(helper.make_tensor_value_info(out, TensorProto.FLOAT, ["batch", prev_c, None, None]))
            c = prev_c
        else:
            raise ValueError(f"{cfg}: layer type [{kind}] is not supported by the converter")
        names.append(out)
        channels.append(c)
        prev, prev_c = out, c
    graph = helper.make_graph(
        nodes, "darknet", [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", 3, "height", "width"])],
        outputs, inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="stag")
    onnx.checker.check_model(model)
    onnx.save(model, str(dst))


def yolo_layers(cfg: str | os.PathLike[str]) -> list[tuple[np.ndarray, int]]:
    """(anchors in input pixels, class count) of each yolo layer, in output order."""
    return [_yolo_params(s) for s in parse_cfg(cfg) if s["type"] == "yolo"]


def decode_heads(heads: list[np.ndarray], layers: list[tuple[np.ndarray, int]], size: tuple[int, int],
                 thresh: float = 0.2) -> np.ndarray:
    """Rows ``[cx, cy, w, h, obj, scores...]`` per image (shape ``(batch, rows, 5 + classes)``).

    As OpenCV DNN's region layer does: boxes are fractions of the input (``size`` = (w, h)), class
    scores are ``sigmoid(class) * objectness``, zeroed below ``thresh``.
    """
    out = []
    net_w, net_h = size
    for head, (anchors, classes) in zip(heads, layers, strict=True):
        b, _, gh, gw = head.shape
        x = head.reshape(b, len(anchors), 5 + classes, gh, gw).transpose(0, 3, 4, 1, 2)  # b, gy, gx, a, 85
        sig = 1 / (1 + np.exp(-x))
        gy, gx = np.meshgrid(np.arange(gh), np.arange(gw), indexing="ij")
        cx = (sig[..., 0] + gx[None, :, :, None]) / gw
        cy = (sig[..., 1] + gy[None, :, :, None]) / gh
        w = np.exp(x[..., 2]) * anchors[:, 0] / net_w
        h = np.exp(x[..., 3]) * anchors[:, 1] / net_h
        obj = sig[..., 4]
        scores = sig[..., 5:] * obj[..., None]
        scores = np.where(scores > thresh, scores, 0.0)
        rows = np.concatenate([np.stack([cx, cy, w, h, obj], axis=-1), scores], axis=-1)
        out.append(rows.reshape(b, -1, 5 + classes))
    return np.concatenate(out, axis=1).astype(np.float32)
