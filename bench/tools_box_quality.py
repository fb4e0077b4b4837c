"""Person box quality per detector and person size, on hand-boxed people of the real film.

The synthetic benchmark's catalog (``stagdata/synth/catalog.json``) records full-body boxes of real
people in frames of the bundled film. Each frame is shrunk by a range of factors and pasted on a
grey 640x360 canvas, so the same person appears from about 25 to 220 px tall against real
surroundings. For every detector we report, per height band, the recall at IoU >= 0.5 and the
mean IoU of the best person box with the hand box (0 when none overlaps).

    .venv/bin/python bench/tools_box_quality.py [--detectors coco,coco@608,person,coco+person]

Detector names: a :func:`tools.detect.load_detector` spec, optionally ``@size`` for the input size.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.offline import apply_offline_env

apply_offline_env()

from stagdata.synth.catalog import load_catalog
from tools.assets import asset_path
from tools.detect import load_detector
from tools.video import probe, read_frame
from verifier.boxes import box_iou

SCALES = (0.15, 0.2, 0.27, 0.35, 0.45, 0.6, 0.8, 1.0)
BANDS = ((0, 40), (40, 70), (70, 100), (100, 140), (140, 250))


def cases() -> list[tuple[np.ndarray, tuple[float, float, float, float]]]:
    """(canvas, person box) pairs: each catalogued film person at every scale."""
    film = asset_path("sample_video")
    fps = probe(film).fps
    out = []
    for s in load_catalog().sprites:
        if s.kind != "person" or s.source != "sample_video":
            continue
        frame = read_frame(film, s.frame / fps).image
        for k in SCALES:
            small = cv2.resize(frame, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
            canvas = np.full_like(frame, 114)
            canvas[: small.shape[0], : small.shape[1]] = small
            out.append((canvas, tuple(v * k for v in s.box)))
    return out


def measure(spec: str, data) -> dict[str, object]:
    name, _, size = spec.partition("@")
    det = load_detector(name, conf=0.25, classes=["person"], input_size=int(size) if size else None)
    det.detect([data[0][0]])  # warm up
    t0 = time.perf_counter()
    found = det.detect([c for c, _ in data])
    per_image = (time.perf_counter() - t0) / len(data)
    rows = []
    for (_, gt), d in zip(data, found):
        best = max((box_iou(gt, b) for b in d.xyxy), default=0.0)
        rows.append((gt[3] - gt[1], best))
    return {"spec": spec, "per_image_s": per_image, "rows": rows}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--detectors", default="coco,coco@608,person,coco+person")
    args = ap.parse_args(argv)
    data = cases()
    results = [measure(s, data) for s in args.detectors.split(",")]
    head = "| detector | s/image | " + " | ".join(f"{a}-{b}px IoU / R@.5" for a, b in BANDS) + " | all IoU / R@.5 |"
    print(head)
    print("|" + "---|" * (len(BANDS) + 3))
    for r in results:
        cells = []
        for a, b in (*BANDS, (0, 10_000)):
            ious = [iou for h, iou in r["rows"] if a <= h < b]
            cells.append(f"{np.mean(ious):.2f} / {np.mean([i >= 0.5 for i in ious]):.2f} (n={len(ious)})"
                         if ious else "-")
        print(f"| {r['spec']} | {r['per_image_s']:.3f} | " + " | ".join(cells) + " |")
    print(f"\n{len(data)} person boxes (10 hand-boxed film people x {len(SCALES)} scales). "
          f"Command: .venv/bin/python bench/tools_box_quality.py --detectors {args.detectors}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
