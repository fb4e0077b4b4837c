"""Check the catalog with the bundled detectors: clean plates, detectable sprites.

Two questions decide whether the benchmark measures grounding rather than detector blind spots:

1. does a background plate alone give any detection (it must not: nothing un-annotated)?
2. is every sprite, pasted alone at the sizes the scenes use, found with a box that matches its
   ground truth?

``python -m stagdata.synth.calibrate`` prints both tables (and the plate detections as boxes ready for
a background's ``inpaint`` list). The slow tests assert the same with the same functions.

>>> rows = sprite_quality(load_catalog(), detector, heights=[150])     # doctest: +SKIP
>>> rows[0].keys()                                                   # doctest: +SKIP
dict_keys(['sprite', 'height', 'flip', 'found', 'conf', 'iou'])
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np

from stagdata.synth.backgrounds import build_backgrounds
from stagdata.synth.catalog import Catalog, load_catalog
from stagdata.synth.compose import paste
from stagdata.synth.sprites import build_sprites
from tools.detect import Detector, load_detector
from verifier.boxes import iou_matrix

SPRITE_HEIGHTS = (130, 150, 170, 190)
"""Body heights (px) checked; the scenes use about 150-200 (the ground band of the plates)."""


def plate_detections(catalog: Catalog, detector: Detector, ids: Sequence[str] | None = None
                     ) -> dict[str, list[tuple[str, float, tuple[int, int, int, int]]]]:
    """Every detection on each plate alone: ``{background: [(class, confidence, box), ...]}``."""
    plates = build_backgrounds(catalog, list(ids) if ids else None)
    out = {}
    for bg_id, plate in plates.items():
        det = detector.detect([plate])[0]
        out[bg_id] = [(str(n), round(float(c), 3), tuple(round(v) for v in b))
                      for b, c, n in zip(det.xyxy, det.confidence, det.data["class_name"])]
    return out


def sprite_quality(catalog: Catalog, detector: Detector, heights: Sequence[int] = SPRITE_HEIGHTS,
                   background: str | None = None) -> list[dict]:
    """Each sprite pasted alone mid-picture at each height (and mirrored): best person match.

    ``found`` is whether a person detection overlaps the sprite's ground-truth box at IoU >= 0.5;
    ``iou`` and ``conf`` are those of the best-overlapping person detection (0 when none).
    """
    bg_id = background or catalog.backgrounds[0].id
    bg = catalog.background(bg_id)
    plate = build_backgrounds(catalog, [bg_id])[bg_id]
    sprites = build_sprites(catalog)
    rows = []
    for sid, base in sprites.items():
        for h in heights:
            for flip in (False, True):
                s = base.scaled(int(h), flip)
                ox1, oy1, ox2, oy2 = s.object_box
                feet = min(bg.ground[1], catalog.height - 2)
                left = catalog.width // 2 - (ox1 + ox2) // 2
                top = feet - oy2
                frame = paste(plate.copy(), s, left, top)
                gt = np.array([[left + ox1, top + oy1, left + ox2, top + oy2]], float)
                det = detector.detect([frame])[0]
                people = det[det.data["class_name"] == "person"] if len(det) else det
                iou, conf = 0.0, 0.0
                if len(people):
                    ious = iou_matrix(gt, people.xyxy.astype(float))[0]
                    k = int(np.argmax(ious))
                    iou, conf = float(ious[k]), float(people.confidence[k])
                rows.append({"sprite": sid, "height": int(h), "flip": flip, "found": iou >= 0.5,
                             "conf": round(conf, 3), "iou": round(iou, 3)})
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Print the plate and sprite tables for one detector spec."""
    ap = argparse.ArgumentParser(prog="python -m stagdata.synth.calibrate", description=__doc__.split("\n")[0])
    ap.add_argument("--detector", default="coco", help="detector spec (coco, person, coco+person, a .pt)")
    ap.add_argument("--conf", type=float, default=0.1, help="confidence threshold for the plate check")
    args = ap.parse_args(argv)
    catalog = load_catalog()
    detector = load_detector(args.detector, conf=args.conf)
    print(f"# python -m stagdata.synth.calibrate --detector {args.detector} --conf {args.conf}")
    print("\nplate detections (should be none):")
    for bg_id, dets in plate_detections(catalog, detector).items():
        print(f"  {bg_id}: {dets if dets else 'none'}")
    print("\nsprites pasted alone (found = a person box with IoU >= 0.5):")
    print(f"  {'sprite':<14}" + "".join(f"{h:>16}" for h in SPRITE_HEIGHTS))
    rows = sprite_quality(catalog, load_detector(args.detector, conf=0.25))
    for sid in dict.fromkeys(r["sprite"] for r in rows):
        cells = []
        for h in SPRITE_HEIGHTS:
            rs = [r for r in rows if r["sprite"] == sid and r["height"] == h]
            cells.append(f"{sum(r['found'] for r in rs)}/{len(rs)} iou {min(r['iou'] for r in rs):.2f}")
        print(f"  {sid:<14}" + "".join(f"{c:>16}" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
