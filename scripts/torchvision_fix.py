"""torchvision compatibility fix for CPU-only torch.

The only torchvision wheel for torch 2.13.0 is a CUDA build: on a CPU-only torch its compiled ops
(`torchvision/_C.so`) fail to load and `import torchvision` dies with
``operator torchvision::nms does not exist``. That breaks ultralytics and transformers.

This module installs a lazy import hook (through a ``.pth`` file, so subprocesses get it too).
When ``torchvision`` is first imported, it tries to load the real ``_C`` library; only if that
fails does it register plain-torch CPU versions of ``torchvision::nms`` (plus the schema of
``qnms`` and ``_cuda_version() -> -1``) and mark torchvision's ops as present. Where the compiled
ops load (a GPU machine), it does nothing. It imports nothing at interpreter start-up.

    python scripts/torchvision_fix.py install   # copy into the active venv's site-packages
    python scripts/torchvision_fix.py check     # import torchvision and run an NMS
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from pathlib import Path

_MODULE = "_stag_torchvision_fix"
_state: dict[str, object] = {"done": False, "patched": False, "lib": None}


def _cpu_nms(dets, scores, iou_threshold: float):
    import torch

    if dets.numel() == 0:
        return torch.empty((0,), dtype=torch.long, device=dets.device)
    x1, y1, x2, y2 = dets.unbind(1)
    areas = (x2 - x1).clamp(min=0) * (y2 - y1).clamp(min=0)
    order = scores.argsort(descending=True)
    keep = []
    while order.numel() > 0:
        i = order[0]
        keep.append(i)
        rest = order[1:]
        xx1 = torch.maximum(x1[i], x1[rest])
        yy1 = torch.maximum(y1[i], y1[rest])
        xx2 = torch.minimum(x2[i], x2[rest])
        yy2 = torch.minimum(y2[i], y2[rest])
        inter = (xx2 - xx1).clamp(min=0) * (yy2 - yy1).clamp(min=0)
        iou = inter / (areas[i] + areas[rest] - inter).clamp(min=1e-12)
        order = rest[iou <= iou_threshold]
    return torch.stack(keep).to(torch.long)


def _register_if_needed() -> None:
    if _state["done"]:
        return
    _state["done"] = True
    spec = importlib.machinery.PathFinder.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        return
    libs = sorted(Path(next(iter(spec.submodule_search_locations))).glob("_C*.so"))
    import torch

    try:
        if libs:
            torch.ops.load_library(str(libs[0]))
            return  # the real compiled ops work: nothing to fix
    except (OSError, RuntimeError):
        pass
    lib = torch.library.Library("torchvision", "DEF")
    lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    lib.impl("nms", _cpu_nms, "CPU")
    lib.define(
        "qnms(Tensor dets, Tensor scores, float iou_threshold, float scale, int zero_point) -> Tensor"
    )
    lib.define("_cuda_version() -> int")
    lib.impl("_cuda_version", lambda: -1, "CompositeExplicitAutograd")
    _state["lib"] = lib  # a Library deregisters its ops when collected
    _state["patched"] = True


class _MarkOpsPresent(importlib.abc.Loader):
    """Runs torchvision's own loader, then tells ``torchvision.ops`` that its ops exist.

    Done after the package import, not before: torchvision skips its autograd registrations for
    the ops we do not provide (roi_align, ...) only while ``_has_ops()`` is still False.
    """

    def __init__(self, inner: importlib.abc.Loader):
        self.inner = inner

    def create_module(self, spec):
        return self.inner.create_module(spec)

    def exec_module(self, module) -> None:
        self.inner.exec_module(module)
        sys.modules["torchvision.extension"]._has_ops = lambda: True


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname != "torchvision":
            return None
        _register_if_needed()
        if not _state["patched"]:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _MarkOpsPresent(spec.loader)
        return spec


def activate() -> None:
    """Install the import hook (idempotent); called from the .pth file."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())


def install() -> Path:
    """Copy this module into site-packages with a .pth that activates it."""
    import sysconfig

    site = Path(sysconfig.get_paths()["purelib"])
    (site / f"{_MODULE}.py").write_text(Path(__file__).read_text())
    (site / "stag_torchvision_fix.pth").write_text(f"import {_MODULE}; {_MODULE}.activate()\n")
    return site


def check() -> str:
    import torch
    import torchvision

    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], dtype=torch.float32)
    kept = torchvision.ops.nms(boxes, torch.tensor([0.9, 0.8, 0.7]), 0.5).tolist()
    assert kept == [0, 2], kept
    return f"torchvision {torchvision.__version__} ok (nms -> {kept})"


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else "check"
    if cmd == "install":
        print(f"[torchvision-fix] installed in {install()}")
        activate()
        print(f"[torchvision-fix] {check()}")
    else:
        print(check())
