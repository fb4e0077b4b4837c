"""Write the synthetic benchmark in the published layouts (HC-STVG v1/v2, VidSTG, SVAG-Bench).

Used by the tests (fixture files in each official layout) and to run unseen synthetic scenes
through exactly the commands a user runs on the real datasets::

    python -m stagdata.convert BENCH_DIR OUT_DIR --to hcstvg-v2
    stag eval-agent --dataset hcstvg-v2 --annotations OUT_DIR/hcstvg_v2.json --videos OUT_DIR/videos --out RUN

HC-STVG keys one caption by video file, so each single-referent query gets its own file name, a
relative symbolic link ``<video>_q<query_id>.mp4`` to the real video (queries are grouped back by the
real file). VidSTG gets one record per single-referent query (questions for odd query ids, captions
for even ones) with the VidOR trajectories embedded; SVAG-Bench is the generator's own JSON.

>>> main(["/nonexistent", "/tmp/x", "--to", "hcstvg-v2"])       # the reason goes to stderr
2
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

from stagdata.synthset import load_synth


def _link(src: str, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.is_symlink() or dst.exists():
        dst.unlink()
    os.symlink(os.path.relpath(os.path.realpath(src), dst.parent), dst)


def to_hcstvg(bench: str | Path, out: str | Path, version: int = 2) -> Path:
    """Write ``OUT/hcstvg_v{version}.json`` and ``OUT/videos/``; returns the annotation path."""
    root = Path(out)
    data = {}
    for s in load_synth(bench):
        if len(s.tubes) != 1:
            continue
        first, last, boxes = s.gt_frames()
        key = f"{s.meta['video_name']}_q{s.meta['query_id']}.mp4"
        entry = {
            "bbox": [[b[0], b[1], b[2] - b[0], b[3] - b[1]] for _, b in sorted(boxes.items())],
            "st_time": round(first / s.fps, 6), "ed_time": round((last + 1) / s.fps, 6),
            "img_num": s.frame_count, "st_frame": first + 1,
        }
        if sorted(boxes) != list(range(first, last + 1)):
            raise ValueError(f"query {s.sample_id}: the tube has gaps; HC-STVG needs one box per frame")
        if version == 2:
            entry.update({"English": s.query, "img_size": [s.height, s.width]})
        else:
            entry.update({"caption": s.query, "width": s.width, "height": s.height})
        data[key] = entry
        _link(s.video, root / "videos" / key)
    path = root / f"hcstvg_v{version}.json"
    path.write_text(json.dumps(data, indent=1))
    return path


def to_vidstg(bench: str | Path, out: str | Path) -> Path:
    """Write ``OUT/vidstg.json`` (records with embedded VidOR trajectories) and ``OUT/videos/``."""
    from stagdata.synth import SynthManifest

    manifest = SynthManifest.load(bench)
    frames_files = {v.name: manifest.path(v.frames_gt) for v in manifest.videos}
    root = Path(out)
    records = []
    traj_cache: dict[str, list] = {}
    for s in load_synth(bench):
        if len(s.tubes) != 1:
            continue
        name = s.meta["video_name"]
        if name not in traj_cache:
            frames = json.loads(frames_files[name].read_text())
            traj: list[list[dict]] = [[] for _ in range(s.frame_count)]
            for a in frames["actors"]:
                for i, b in enumerate(a["boxes"]):
                    if b is not None:
                        traj[a["first_frame"] + i].append(
                            {"tid": a["id"], "bbox": {"xmin": b[0], "ymin": b[1], "xmax": b[2], "ymax": b[3]}})
            traj_cache[name] = traj
            _link(s.video, root / "videos" / f"{name}.mp4")
        first, last, _ = s.gt_frames()
        tid = s.tubes[0].id
        sentence = [{"description": s.query, "type": "adult", "target_id": tid}]
        odd = int(s.meta["query_id"]) % 2 == 1
        records.append({
            "vid": name, "frame_count": s.frame_count, "fps": s.fps, "width": s.width, "height": s.height,
            "subject/objects": [{"tid": t, "category": "adult"} for t in sorted({o["tid"] for f in traj_cache[name] for o in f})],
            "used_segment": {"begin_fid": 0, "end_fid": s.frame_count},
            "used_relation": {"subject_tid": tid, "object_tid": tid, "predicate": s.meta["verb"],
                              "begin_fid": first, "end_fid": last + 1},
            "temporal_gt": {"begin_fid": first, "end_fid": last + 1},
            "captions": [] if odd else sentence, "questions": sentence if odd else [],
            "trajectories": traj_cache[name],
        })
    path = root / "vidstg.json"
    path.write_text(json.dumps(records))
    return path


def to_svag(bench: str | Path, out: str | Path) -> Path:
    """Copy the SVAG-Bench ground truth to ``OUT/svag_gt.json`` and link the videos under ``OUT/videos/``."""
    from stagdata.synth import SynthManifest

    m = SynthManifest.load(bench)
    if m.svag_gt is None:
        raise ValueError(f"{bench}: the benchmark was made without SVAG-Bench JSON (svag_json=False)")
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    for v in m.videos:
        _link(str(m.path(v.path)), root / "videos" / f"{v.name}.mp4")
    path = root / "svag_gt.json"
    shutil.copyfile(m.path(m.svag_gt), path)
    return path


def main(argv: list[str] | None = None) -> int:
    """``python -m stagdata.convert BENCH OUT --to hcstvg-v2|hcstvg-v1|vidstg|svag``; prints the file."""
    p = argparse.ArgumentParser(prog="stag convert", description=__doc__.split("\n\n")[0])
    p.add_argument("bench", help="synthetic benchmark folder (stag synth --out DIR)")
    p.add_argument("out", help="output folder")
    p.add_argument("--to", choices=["hcstvg-v2", "hcstvg-v1", "vidstg", "svag"], default="hcstvg-v2")
    args = p.parse_args(argv)
    try:
        if args.to.startswith("hcstvg"):
            path = to_hcstvg(args.bench, args.out, version=int(args.to[-1]))
        elif args.to == "vidstg":
            path = to_vidstg(args.bench, args.out)
        else:
            path = to_svag(args.bench, args.out)
    except (FileNotFoundError, ValueError) as exc:
        print(f"stag convert: {exc}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
