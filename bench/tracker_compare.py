"""The 1-FPS association (tools.associate, with and without densification) against the older ByteTrack tracker.

    .venv/bin/python bench/tracker_compare.py [--bench DIR] [--videos N] [--detector coco+person]

Every tracker sees the same detections (the detector's outputs are cached by frame content, so each
frame is detected once per run). On the synthetic benchmark (exact per-frame ground truth of every
visible person, ``stagdata.synth.scoring``): HOTA at the whole seconds, vIoU of GT-matched tracks
interpolated to every frame, CLEAR-MOT ID switches at the whole seconds, tracks per true person, and
detector frames per video second. Prints a table and the command.
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.offline import apply_offline_env

apply_offline_env()

from stagdata.synth import SynthManifest, generate
from stagdata.synth.scoring import load_frame_gt, score_tracks
from tools.associate import AssociationConfig
from tools.detect import load_detector
from tools.perceive import perceive
from tools.track import TrackerConfig
from tools.track_metrics import id_switches
from verifier.hota import combine_hota
from verifier.timebase import sample_frames

RESULTS = Path(__file__).resolve().parent / "results"


class CachedDetector:
    """A detector whose outputs are remembered by image content (same frame, same detections)."""

    def __init__(self, inner) -> None:
        self.inner, self.class_names, self.cache = inner, inner.class_names, {}
        self.calls = 0
        if getattr(inner, "person", None) is not None and getattr(inner, "others", None) is not None:
            # a combined detector: perceive runs its parts (for person hints), so cache those
            self.person, self.others = CachedDetector(inner.person), CachedDetector(inner.others)

    def state(self) -> dict:
        """Every cache (this one's and its parts'), to pickle."""
        parts = {k: getattr(self, k).cache for k in ("person", "others") if hasattr(self, k)}
        return {"all": self.cache, **parts}

    def load(self, state: dict) -> None:
        """Restore :meth:`state`."""
        self.cache = state.get("all", {})
        for k in ("person", "others"):
            if hasattr(self, k):
                getattr(self, k).cache = state.get(k, {})

    def detect(self, images):
        keys = [hashlib.blake2b(np.ascontiguousarray(i).tobytes(), digest_size=16).digest() for i in images]
        todo = [k for k in dict.fromkeys(keys) if k not in self.cache]
        if todo:
            first = {k: i for i, k in enumerate(keys)}
            for k, d in zip(todo, self.inner.detect([images[first[k]] for k in todo])):
                self.cache[k] = d
            self.calls += len(todo)
        return [self.cache[k] for k in keys]


TRACKERS = {
    "bytetrack (old)": {"tracker": TrackerConfig(), "densify": 0.0},
    "associate": {"tracker": AssociationConfig(), "densify": 0.0},
    "+densify 0.1 (default)": {"tracker": AssociationConfig(), "densify": 0.1},
    "+densify 0.5": {"tracker": AssociationConfig(), "densify": 0.5},
    "+densify, mobilenet": {"tracker": AssociationConfig(appearance_scale=0.25, appearance_veto=0.3), "densify": 0.5,
                                "appearance": "mobilenet"},
}


def evaluate(manifest: SynthManifest, videos: list, detector, trackers: dict) -> dict[str, dict]:
    """Per tracker: pooled HOTA, person-weighted vIoU, ID switches, tracks per person, frames/s."""
    out = {}
    for name, kw in trackers.items():
        hotas, vious, ids, n_tracks, people, frames, seconds = {}, [], 0, 0, 0, 0, 0.0
        for v in videos:
            p = perceive(manifest.path(v.path), detector=detector, classes=["person"], **kw)
            gt = load_frame_gt(manifest.path(v.frames_gt))
            s = score_tracks(gt, {t.id: t.boxes for t in p.tracks}, sample_fps=1.0, fps=v.fps,
                             frame_count=v.frame_count)
            hotas[v.name] = s.hota
            vious += [s.viou] * s.people
            samples = sample_frames(v.frame_count, v.fps, 1.0)
            g = {k: {pid: b[f] for pid, b in gt.items() if f in b} for k, f in enumerate(samples)}
            pr = {k: {t.id: t.boxes[k] for t in p.tracks if k in t.boxes} for k in range(len(samples))}
            ids += id_switches(g, pr)
            n_tracks += len(p.tracks)
            people += s.people
            frames += p.stats.frames_detected
            seconds += p.stats.seconds
        h = combine_hota(hotas)
        out[name] = {"HOTA": h.HOTA, "AssA": h.AssA, "DetA": h.DetA, "vIoU": float(np.mean(vious)), "IDsw": ids,
                     "tracks/person": n_tracks / max(1, people), "det frames/s": frames / max(seconds, 1e-9)}
    return out


def film_reference(detector, start: float = 40, end: float = 54, rate: float = 10) -> dict[str, dict]:
    """The real film: 1-FPS trackers against a dense reference (ByteTrack, plain IoU, at ``rate`` samples/s).

    At 10 samples per second one person's boxes overlap from sample to sample, so the dense tracker's
    ids at whole seconds serve as reference identities; every tracker sees the same detections.
    """
    from tools.assets import asset_path
    from tools.bytetrack import track
    from tools.track_metrics import frames_of
    from tools.video import iter_samples
    from verifier.hota import hota

    film = asset_path("sample_video")
    samples = list(iter_samples(film, sample_fps=rate, start=start, end=end))
    dets = [d[d.data["class_name"] == "person"] for d in detector.detect([s.image for s in samples])]
    dense = track(dets, sample_fps=rate, config=TrackerConfig(appearance=False, buffer_s=0, lost_buffer_s=1.0,
                                                              min_seen_s=1.0))
    ref = {k: v for k, v in frames_of(dense, step=int(rate)).items()}
    ref = {k: {i: b for i, b in v.items()} for k, v in ref.items()}
    out = {}
    for name, kw in TRACKERS.items():
        p = perceive(film, detector=detector, classes=["person"], start=start, end=end, **kw)
        pred = {k - int(start): v for k, v in frames_of(p.tracks).items()}
        out[name] = {"IDsw": id_switches(ref, pred), "HOTA": hota(ref, pred).HOTA, "AssA": hota(ref, pred).AssA,
                     "tracks": len(p.tracks), "ref tracks": len({i for v in ref.values() for i in v}),
                     "det frames/s": p.stats.frames_detected / p.stats.seconds}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", default=str(RESULTS / "synth-bench"), help="synthetic bench folder (made if absent)")
    ap.add_argument("--videos", type=int, help="only the first N videos")
    ap.add_argument("--detector", default="coco+person")
    ap.add_argument("--film", action="store_true", help="also the real film against a dense reference")
    ap.add_argument("--cache", help="a pickle file keeping the detections between runs (for tuning)")
    args = ap.parse_args(argv)
    command = "python bench/tracker_compare.py " + " ".join(argv if argv is not None else sys.argv[1:])
    path = Path(args.bench)
    manifest = SynthManifest.load(path) if (path / "manifest.json").is_file() else generate("bench", path, seed=0)
    videos = manifest.videos[: args.videos] if args.videos else manifest.videos
    detector = CachedDetector(load_detector(args.detector, conf=0.1, classes=["person"]))
    if args.cache and Path(args.cache).is_file():
        detector.load(pickle.loads(Path(args.cache).read_bytes()))
    rows = evaluate(manifest, videos, detector, TRACKERS)
    film = film_reference(detector) if args.film else {}
    if args.cache:
        Path(args.cache).write_bytes(pickle.dumps(detector.state()))
    print(f"# {command}")
    print(f"# {len(videos)} synthetic videos, {sum(v.duration for v in videos):g} s, detector {args.detector}, 1 FPS")
    print(f"{'tracker':<20} {'HOTA':>6} {'AssA':>6} {'DetA':>6} {'vIoU':>6} {'IDsw':>5} {'tracks/person':>14} "
          f"{'det frames/s':>13}")
    for name, r in rows.items():
        print(f"{name:<20} {r['HOTA']:>6.3f} {r['AssA']:>6.3f} {r['DetA']:>6.3f} {r['vIoU']:>6.3f} {r['IDsw']:>5d} "
              f"{r['tracks/person']:>14.2f} {r['det frames/s']:>13.2f}")
    if film:
        print("# the real film, seconds 40-54 (a crowd walking towards the camera), against ByteTrack at 10 samples/s")
        print(f"{'tracker':<20} {'HOTA':>6} {'AssA':>6} {'IDsw':>5} {'tracks':>7} {'ref tracks':>11} {'det frames/s':>13}")
        for name, r in film.items():
            print(f"{name:<20} {r['HOTA']:>6.3f} {r['AssA']:>6.3f} {r['IDsw']:>5d} {r['tracks']:>7d} "
                  f"{r['ref tracks']:>11d} {r['det frames/s']:>13.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
