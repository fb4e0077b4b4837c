"""Perception throughput per detector, and ID switches at 1 FPS: plain vs motion-tolerant IoU, ± appearance cue.

Part 1: ``perceive`` (sample at 1 FPS -> detect -> track) over the real 60 s film, once per
detector and backend: seconds of video processed per wall-second, detector ms per frame, and the
boxes' agreement with the reference backend (PyTorch / OpenCV DNN). Part 1b (``runtimes``): the
exported models through ONNX Runtime and OpenVINO, the measurement behind the runtime choice.

Part 2: ID switches on the real film. The film has no ground-truth ids, so the reference is
ByteTrack run at ``--reference-fps`` (10 by default) samples per second, where boxes of one object
overlap from sample to sample and IoU association is reliable. The 1-FPS trackers get the very
same detections at the 1-FPS frames (a subset of the reference's frames), so only association
differs. Reported against the reference (its boxes at whole seconds): CLEAR-MOT ID switches at
IoU 0.5, HOTA / AssA (verifier), and the number of tracks. Part 3 does the same against the
exact ground truth of a generated synthetic benchmark (``stagdata.synth``).

    .venv/bin/python bench/tools_throughput.py [--parts throughput,runtimes,film-ids,synth-ids] [--synth small]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.offline import apply_offline_env

apply_offline_env()

from tools.assets import asset_path
from tools.bytetrack import track
from tools.detect import DEFAULT_DETECTOR, agreement, load_detector
from tools.perceive import perceive
from tools.runtime import compile_openvino, default_threads
from tools.track import TrackerConfig
from tools.track_metrics import frames_of, id_switches
from tools.video import iter_samples, probe
from verifier.hota import hota

CONFIGS = {
    "ByteTrack (plain IoU)": TrackerConfig(appearance=False, buffer_s=0),
    "plain IoU + appearance cue": TrackerConfig(buffer_s=0),
    "motion-tolerant IoU": TrackerConfig(appearance=False),
    "motion-tolerant IoU + appearance cue (default)": TrackerConfig(),
}
"""The 1-FPS trackers compared: ``buffer_s=0`` is ByteTrack's plain IoU association."""


def throughput(detectors: list[str], backends: list[str]) -> None:
    """Per detector and backend: perceive() speed on the film, detector ms per frame, agreement with the reference."""
    film = asset_path("sample_video")
    seconds = probe(film).duration
    frames = [s.image for s in iter_samples(film)]
    print(f"## Throughput: perceive() on the real film at 1 FPS ({len(frames)} samples of a {seconds:.2f} s video)\n")
    print("Backends: openvino = the CPU runtime (tools/runtime.py; bf16 where the CPU has AMX); torch = the "
          "models' own frameworks (PyTorch for the person checkpoint, OpenCV DNN for Darknet YOLOv3-tiny), "
          "the reference the agreement columns compare with (mean IoU of matched boxes, box count ratio). "
          f"Threads: {default_threads()}. CPU s counts every thread of this process.\n")
    print("| detector | backend | load s | detect ms/frame | perceive wall s | video s per wall s | CPU s "
          "| mean IoU vs ref | count ratio | tracks |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for spec in detectors:
        reference = None
        for backend in sorted(backends, key=lambda b: b != "torch"):  # the reference first
            t0 = time.perf_counter()
            det = load_detector(spec, conf=0.25, backend=backend)
            load = time.perf_counter() - t0
            det.detect(frames[:4])  # first-call set-up is not per-frame cost
            t0 = time.perf_counter()
            found = [d for k in range(0, len(frames), 4) for d in det.detect(frames[k : k + 4])]
            ms = 1000 * (time.perf_counter() - t0) / len(frames)
            if backend == "torch":
                reference = found
            agree = agreement(reference, found) if reference is not None else None
            t0, c0 = time.perf_counter(), time.process_time()
            p = perceive(film, detector=det)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            iou = f"{agree['mean_iou']:.3f}" if agree else "-"
            ratio = f"{agree['count_ratio']:.3f}" if agree else "-"
            print(f"| {spec} | {backend} | {load:.2f} | {ms:.0f} | {wall:.1f} | {seconds / wall:.2f} | {cpu:.1f} "
                  f"| {iou} | {ratio} | {len(p.tracks)} |")


def runtimes(batch: int = 4) -> None:
    """The runtime choice: the same exported ONNX models through ONNX Runtime and OpenVINO (f32, bf16)."""
    import numpy as np

    from tools.detect import prepare_models

    person, darknet = prepare_models()
    print(f"\n## Runtime choice: ms per frame of the exported models (batch {batch}, {default_threads()} threads)\n")
    print("| model | input | onnxruntime f32 | openvino f32 | openvino bf16 (AMX) |")
    print("|---|---|---|---|---|")
    for name, path, shape in (("person YOLOv8s", person, (batch, 3, 384, 640)),
                              ("YOLOv3-tiny", darknet, (batch, 3, 224, 416))):
        x = np.random.default_rng(0).random(shape, dtype=np.float32)
        cells = []
        try:
            import onnxruntime as ort

            opts = ort.SessionOptions()
            opts.intra_op_num_threads = default_threads()
            sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
            cells.append(_ms(lambda s=sess, x=x: s.run(None, {"images": x}), batch))
        except ImportError:
            cells.append("not installed")
        for precision in ("f32", "bf16"):
            model = compile_openvino(path, precision=precision)
            cells.append(_ms(lambda m=model, x=x: m(x), batch))
        print(f"| {name} | {shape[3]}x{shape[2]} | " + " | ".join(cells) + " |")


def _ms(run, batch: int, repeats: int = 5) -> str:
    run()
    t0 = time.perf_counter()
    for _ in range(repeats):
        run()
    return f"{1000 * (time.perf_counter() - t0) / repeats / batch:.0f}"


def compare(name: str, gt, dets, images, configs: dict[str, TrackerConfig]) -> None:
    for label, cfg in configs.items():
        tracks = track(dets, sample_fps=1.0, config=cfg, images=images)
        pred = frames_of(tracks)
        res = hota({f: dict(v) for f, v in gt.items()}, pred)
        print(f"| {name} | {label} | {id_switches(gt, pred)} | {res.HOTA:.3f} | {res.AssA:.3f} | "
              f"{res.DetA:.3f} | {len(tracks)} |")


def real_film_ids(reference_fps: int, spec: str) -> None:
    film = asset_path("sample_video")
    det = load_detector(spec, conf=TrackerConfig().low_thresh)
    t0 = time.perf_counter()
    dets, images = [], {}
    batch = []
    for s in iter_samples(film, sample_fps=reference_fps):
        batch.append(s)
        if s.index % reference_fps == 0:
            images[s.index // reference_fps] = s.image
        if len(batch) == 8:
            dets += det.detect([b.image for b in batch])
            batch = []
    if batch:
        dets += det.detect([b.image for b in batch])
    ref_cfg = TrackerConfig(appearance=False, buffer_s=0, lost_buffer_s=1.0, min_seen_s=1.0)
    reference = track(dets, sample_fps=reference_fps, config=ref_cfg)
    gt = frames_of(reference, step=reference_fps)
    n = len(images)
    one_fps = [dets[k * reference_fps] for k in range(n)]
    print(f"\n## ID switches on the real film ({spec} detections; reference: ByteTrack at {reference_fps} "
          f"samples/s, {len(reference)} tracks; {time.perf_counter() - t0:.0f} s)\n")
    print("| data | tracker at 1 FPS | ID switches | HOTA | AssA | DetA | tracks |")
    print("|---|---|---|---|---|---|---|")
    compare("real film", gt, one_fps, [images[k] for k in range(n)], CONFIGS)


def synth_ids(preset: str, spec: str, backend: str = "auto") -> None:
    """ID switches against the exact ground truth of a generated synthetic benchmark."""
    import json
    import tempfile

    from stagdata.synth.generate import generate
    from verifier.timebase import frame_of_time

    det = load_detector(spec, conf=TrackerConfig().low_thresh, backend=backend)
    totals = {k: [0, 0.0] for k in CONFIGS}
    with tempfile.TemporaryDirectory(prefix="stag-synth-ids-") as tmp:
        manifest = generate(preset, tmp, seed=0)
        print(f"\n## ID switches on the synthetic benchmark '{preset}' ({len(manifest.videos)} videos, exact GT; "
              f"{spec} detections, backend {backend})\n")
        print("| video | tracker at 1 FPS | ID switches | HOTA | AssA | DetA | tracks |")
        print("|---|---|---|---|---|---|---|")
        for v in manifest.videos:
            actors = json.loads((Path(tmp) / v.frames_gt).read_text())["actors"]
            samples = list(iter_samples(Path(tmp) / v.path))
            gt: dict[int, dict[int, tuple[float, ...]]] = {}
            for s in samples:
                for a in actors:
                    i = frame_of_time(s.time, v.fps) - a["first_frame"]
                    if 0 <= i < len(a["boxes"]) and a["boxes"][i] is not None:
                        gt.setdefault(s.index, {})[a["id"]] = tuple(a["boxes"][i])
            dets = det.detect([s.image for s in samples])
            for label, cfg in CONFIGS.items():
                tracks = track(dets, sample_fps=1.0, config=cfg, images=[s.image for s in samples])
                pred = frames_of(tracks)
                res = hota({f: dict(b) for f, b in gt.items()}, pred)
                sw = id_switches(gt, pred)
                totals[label][0] += sw
                totals[label][1] += res.HOTA / len(manifest.videos)
                print(f"| {v.name} | {label} | {sw} | {res.HOTA:.3f} | {res.AssA:.3f} | {res.DetA:.3f} | {len(tracks)} |")
        for label, (sw, h) in totals.items():
            print(f"| **all** | {label} | **{sw}** | **{h:.3f}** (mean) | | | |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--detectors", default="coco,person,coco+person")
    ap.add_argument("--backends", default="torch,openvino", help="comma list of: torch (reference), openvino")
    ap.add_argument("--id-detector", default=DEFAULT_DETECTOR, help="detector for the ID-switch comparison")
    ap.add_argument("--reference-fps", type=int, default=10)
    ap.add_argument("--id-backends", default="auto", help="comma list of backends for synth-ids (e.g. torch,auto)")
    ap.add_argument("--parts", default="throughput,runtimes,film-ids,synth-ids",
                    help="comma list of: throughput, runtimes, film-ids, synth-ids")
    ap.add_argument("--synth", default="small", help="synthetic benchmark preset for synth-ids")
    args = ap.parse_args(argv)
    parts = set(args.parts.split(","))
    if "throughput" in parts:
        throughput(args.detectors.split(","), args.backends.split(","))
    if "runtimes" in parts:
        runtimes()
    if "film-ids" in parts:
        real_film_ids(args.reference_fps, args.id_detector)
    if "synth-ids" in parts:
        for backend in args.id_backends.split(","):
            synth_ids(args.synth, args.id_detector, backend)
    print("\nCommand: .venv/bin/python bench/tools_throughput.py " + " ".join(argv or sys.argv[1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
