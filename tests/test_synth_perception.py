"""The synthetic benchmark seen through the real bundled detectors and tracker (slow).

- the background plates alone give no person detection (nothing un-annotated);
- every sprite, pasted alone at the scenes' sizes, is found by the bundled person detector;
- tracking the small set at 1 FPS (``tools.perceive``, the agent's default detector) scores HOTA
  above a floor with the verifier's HOTA, and tracks interpolated to every frame
  (``verifier.interpolate.frame_boxes``) score about as well as at the sampled seconds.
"""

from __future__ import annotations

import pytest

from stagdata.synth import SynthManifest, generate
from stagdata.synth.calibrate import plate_detections, sprite_quality
from stagdata.synth.catalog import load_catalog
from stagdata.synth.scoring import load_frame_gt, score_tracks
from tools.detect import load_detector
from tools.perceive import perceive
from verifier.hota import combine_hota

pytestmark = pytest.mark.slow

HOTA_FLOOR = 0.45
"""Small set, detector 'coco+person', 1 FPS. Measured 0.49 (0.46 with plain-IoU association; README tools block)."""
DETECTOR = "coco+person"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> SynthManifest:
    return generate("small", tmp_path_factory.mktemp("synth-small"), seed=0)


@pytest.mark.parametrize("spec", ["coco", "person"])
def test_plates_alone_hold_no_detectable_person(spec: str) -> None:
    found = plate_detections(load_catalog(), load_detector(spec, conf=0.1))
    people = {bg: [d for d in dets if d[0] == "person"] for bg, dets in found.items()}
    assert all(not d for d in people.values()), people


def test_every_sprite_is_found_with_a_good_box_by_the_person_detector() -> None:
    rows = sprite_quality(load_catalog(), load_detector("person", conf=0.25), heights=(150, 170, 190))
    missed = [r for r in rows if not r["found"]]
    assert not missed, missed
    assert min(r["iou"] for r in rows) >= 0.6


def test_most_sprites_are_found_by_coco_yolov3_tiny() -> None:
    """YOLOv3-tiny at 416 px is weaker on the two striding side views; the rest it finds at 170+ px."""
    rows = sprite_quality(load_catalog(), load_detector("coco", conf=0.25), heights=(170, 190))
    found = {r["sprite"] for r in rows if r["found"]}
    assert len(found) >= 5, rows


def test_tracking_the_small_set_at_1fps(small: SynthManifest) -> None:
    results = {}
    for v in small.videos:
        p = perceive(small.path(v.path), sample_fps=1.0, detector=DETECTOR, classes=["person"])
        tracks = {t.id: t.boxes for t in p.tracks}
        s = score_tracks(load_frame_gt(small.path(v.frames_gt)), tracks, sample_fps=1.0, fps=v.fps,
                         frame_count=v.frame_count)
        results[v.name] = s
        assert p.stats.detected_per_second <= 1.5, p.stats  # adaptive temporal resolution stays in budget
        assert s.matched >= s.people - 1, f"{v.name}: {s.matched} of {s.people} people have a track"
        # interpolating 1-FPS tracks to all 30 frames per second loses little (boxes tightened to the
        # silhouette at the samples lose the most: 0.79 -> 0.71 on small-0-000, a walker's limbs move)
        assert s.frame_miou >= s.sample_miou - 0.1, (v.name, s.sample_miou, s.frame_miou)
    combined = combine_hota({k: s.hota for k, s in results.items()})
    assert combined.HOTA >= HOTA_FLOOR, {k: round(s.hota.HOTA, 3) for k, s in results.items()}
