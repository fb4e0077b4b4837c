"""The CUDA PyTorch path of both bundled detectors: ms per frame and s of video per wall-second on the film.

Runs on a GPU machine with only torch, torchvision, numpy and OpenCV. It reads a folder prepared on
a CPU machine (``--prepare``): the film's 1-FPS frames as JPEG, the person checkpoint traced to
TorchScript (fp16 weights; run in fp16 and fp32) and the Darknet YOLOv3-tiny files (built here as a
PyTorch module from the same reader as :mod:`tools.darknet_onnx`). Per detector, precision and
batch: network ms per frame, end-to-end ms per frame (pre-processing, upload, network, NMS) and s
of video per wall-second; fp16 boxes are compared with fp32's.

    .venv/bin/python bench/gpu_detectors.py .gpu --prepare          # on the CPU machine
    python3 bench/gpu_detectors.py .gpu                              # on the GPU machine
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def prepare(folder: Path) -> None:
    """Write the frames, the traced person model and the Darknet files into ``folder`` (CPU machine)."""
    import shutil

    from tools.offline import apply_offline_env

    apply_offline_env()
    import torch
    from ultralytics import YOLO

    from tools.assets import asset_path
    from tools.video import iter_samples

    folder.mkdir(parents=True, exist_ok=True)
    model = YOLO(str(asset_path("person_yolov8"))).model.float().eval().fuse()
    for m in model.modules():
        if hasattr(m, "export"):
            m.export, m.format, m.dynamic = True, "torchscript", True
    traced = torch.jit.trace(model, torch.zeros(1, 3, 384, 640), strict=False, check_trace=False)
    torch.jit.save(traced.half(), str(folder / "person_fp16.torchscript"))
    shutil.copy(asset_path("coco_cfg"), folder / "yolov3-tiny.cfg")
    shutil.copy(asset_path("coco_weights"), folder / "yolov3-tiny.weights")
    for s in iter_samples(asset_path("sample_video")):
        cv2.imwrite(str(folder / f"f{s.index:02d}.jpg"), s.image, [cv2.IMWRITE_JPEG_QUALITY, 90])


def darknet_module(cfg: Path, weights: Path):
    """YOLOv3-tiny as a PyTorch module (batch norm folded), returning the yolo layers' raw maps."""
    import torch
    from torch import nn

    from tools.darknet_onnx import parse_cfg, read_weights

    sections, params = parse_cfg(cfg)[1:], read_weights(cfg, weights)

    class Darknet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.ModuleList()
            for sec, p in zip(sections, params):
                if sec["type"] == "convolutional":
                    w, b = p
                    size = int(sec["size"])
                    conv = nn.Conv2d(w.shape[1], w.shape[0], size, int(sec.get("stride", 1)), size // 2)
                    conv.weight.data, conv.bias.data = torch.from_numpy(w.copy()), torch.from_numpy(b.copy())
                    act = nn.LeakyReLU(0.1) if sec.get("activation") == "leaky" else nn.Identity()
                    self.layers.append(nn.Sequential(conv, act))
                elif sec["type"] == "maxpool":
                    size, stride = int(sec["size"]), int(sec["stride"])
                    # Darknet ignores the right/bottom padding of a stride-1 pool: replicating the edge is the same max
                    pad = nn.ReplicationPad2d((0, size - stride, 0, size - stride)) if size > stride else nn.Identity()
                    self.layers.append(nn.Sequential(pad, nn.MaxPool2d(size, stride)))
                elif sec["type"] == "upsample":
                    self.layers.append(nn.Upsample(scale_factor=int(sec.get("stride", 2)), mode="nearest"))
                else:
                    self.layers.append(nn.Identity())

        def forward(self, x):
            outs, heads = [], []
            for i, (sec, layer) in enumerate(zip(sections, self.layers)):
                if sec["type"] == "route":
                    idx = [int(v) for v in sec["layers"].split(",")]
                    x = torch.cat([outs[j if j >= 0 else i + j] for j in idx], 1)
                elif sec["type"] == "yolo":
                    heads.append(x)
                else:
                    x = layer(x)
                outs.append(x)
            return heads

    return Darknet().eval()


def _letterbox(image: np.ndarray, size: int = 640) -> np.ndarray:
    h, w = image.shape[:2]
    gain = min(size / h, size / w)
    nw, nh = round(w * gain), round(h * gain)
    dw, dh = (size - nw) % 32 / 2, (size - nh) % 32 / 2
    if (nw, nh) != (w, h):
        image = cv2.resize(image, (nw, nh))
    return cv2.copyMakeBorder(image, round(dh - 0.1), round(dh + 0.1), round(dw - 0.1), round(dw + 0.1),
                              cv2.BORDER_CONSTANT, value=(114, 114, 114))


def run(folder: Path, repeats: int, device: str = "cuda", limit: int | None = None) -> None:
    import torch
    import torchvision

    from tools.darknet_onnx import decode_heads, yolo_layers

    dev = torch.device(device)
    frames = [cv2.imread(str(p)) for p in sorted(folder.glob("f*.jpg"))][:limit]
    person = torch.jit.load(str(folder / "person_fp16.torchscript"), map_location=dev)
    tiny = darknet_module(folder / "yolov3-tiny.cfg", folder / "yolov3-tiny.weights").to(dev)
    layers = yolo_layers(folder / "yolov3-tiny.cfg")
    gpu = torch.cuda.get_device_name(0) if dev.type == "cuda" else "cpu"
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    print(f"## CUDA PyTorch path on {gpu} (torch {torch.__version__}), "
          f"{len(frames)} 1-FPS frames of the real film\n")
    print("| detector | precision | batch | network ms/frame | end-to-end ms/frame | video s per wall s | boxes |")
    print("|---|---|---|---|---|---|---|")
    boxes: dict[tuple[str, str], list[np.ndarray]] = {}

    def person_pre(batch):
        return np.stack([_letterbox(im) for im in batch])[..., ::-1].transpose(0, 3, 1, 2)

    def person_post(pred):
        out = []
        for p in pred.float().transpose(1, 2):
            conf, _ = p[:, 4:].max(1)
            p, conf = p[conf > 0.25], conf[conf > 0.25]
            xyxy = torch.cat([p[:, :2] - p[:, 2:4] / 2, p[:, :2] + p[:, 2:4] / 2], 1)
            keep = torchvision.ops.nms(xyxy, conf, 0.7)[:300]
            out.append(xyxy[keep].cpu().numpy())
        return out

    def tiny_pre(batch):
        return np.stack([cv2.resize(im, (416, 224)) for im in batch])[..., ::-1].transpose(0, 3, 1, 2)

    def tiny_post(heads):
        rows = decode_heads([h.float().cpu().numpy() for h in heads], layers, (416, 224))
        out = []
        for r in rows:
            conf = r[:, 5:].max(1)
            r, conf = r[conf >= 0.25], conf[conf >= 0.25]
            xyxy = np.stack([r[:, 0] - r[:, 2] / 2, r[:, 1] - r[:, 3] / 2, r[:, 0] + r[:, 2] / 2,
                             r[:, 1] + r[:, 3] / 2], 1) * [640, 360, 640, 360]
            keep = torchvision.ops.nms(torch.from_numpy(xyxy).float(), torch.from_numpy(conf).float(), 0.45)
            out.append(xyxy[keep.numpy()])
        return out

    for name, model, pre, post in (("person YOLOv8s (640)", person, person_pre, person_post),
                                   ("YOLOv3-tiny (416)", tiny, tiny_pre, tiny_post)):
        for precision, dtype in (("fp32", torch.float32), ("fp16", torch.float16)):
            model = model.to(dtype)
            for bs in (1, 8):
                batches = [frames[k : k + bs] for k in range(0, len(frames), bs)]
                with torch.inference_mode():
                    x = torch.from_numpy(np.ascontiguousarray(pre(batches[0]))).to(dev, dtype) / 255
                    for _ in range(3):
                        model(x)
                    sync()
                    t0 = time.perf_counter()
                    for _ in range(repeats):
                        model(x)
                    sync()
                    net_ms = 1000 * (time.perf_counter() - t0) / repeats / len(batches[0])
                    found: list[np.ndarray] = []
                    t0 = time.perf_counter()
                    for batch in batches:
                        x = torch.from_numpy(np.ascontiguousarray(pre(batch))).to(dev, dtype) / 255
                        found += post(model(x))
                    sync()
                    wall = time.perf_counter() - t0
                boxes[(name, precision)] = found
                print(f"| {name} | {precision} | {bs} | {net_ms:.2f} | {1000 * wall / len(frames):.2f} "
                      f"| {len(frames) / wall:.0f} | {sum(len(b) for b in found)} |")
    for name in ("person YOLOv8s (640)", "YOLOv3-tiny (416)"):
        ious = []
        a, b = boxes[(name, "fp32")], boxes[(name, "fp16")]
        for x, y in zip(a, b):
            if len(x) and len(y):
                m = torchvision.ops.box_iou(torch.from_numpy(np.asarray(x, np.float32)),
                                            torch.from_numpy(np.asarray(y, np.float32))).numpy()
                ious += list(m.max(1)[m.max(1) >= 0.5])
        print(f"\n{name}: fp16 vs fp32 mean IoU {np.mean(ious):.4f}, boxes {sum(map(len, b))} vs {sum(map(len, a))}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--prepare", action="store_true", help="write the folder (CPU machine)")
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--frames", type=int, default=None, help="use only the first N frames (a smoke run)")
    args = ap.parse_args(argv)
    if args.prepare:
        prepare(args.folder)
    else:
        run(args.folder, args.repeats, args.device, args.frames)
    print("\nCommand: python3 bench/gpu_detectors.py " + " ".join(argv if argv is not None else sys.argv[1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
