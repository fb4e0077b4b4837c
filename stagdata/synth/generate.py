"""Generate the synthetic grounding benchmark: videos, per-frame and per-second GT, SVAG-Bench JSON.

Layout of ``out_dir``::

    manifest.json            SynthManifest: videos, actors, labels, queries, relative paths
    svag_gt.json             SVAG-Bench ground truth (all queries; subsets OVIS / MOT17 / MOT20)
    videos/<name>.mp4        H.264, yuv420p, native 30 fps
    gt/<name>.frames.json    every actor's box in every frame it is visible
    gt/stvg/<qid>.json       one query's per-second GT in the `stag eval stvg` format

In the SVAG-Bench JSON and the per-second GT, a referent has boxes only during its answer
interval (the interval conventions of :mod:`stagdata.synth.queries`); the per-frame file has every
visible frame.

Two splits: ``tune`` (plates street-a/c, sprites unmirrored, the tune paraphrases) and ``heldout``
(plates street-b/d/e, sprites mirrored, other scene seeds, paraphrases never used in tune).

>>> m = generate("small", "/tmp/stag-synth-doc", seed=0, split="heldout")   # doctest: +SKIP
>>> len(m.videos), m.split, sum(len(v.queries) for v in m.videos) > 10        # doctest: +SKIP
(4, 'heldout', True)
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable
from pathlib import Path

from stagdata.synth.actions import label_actions
from stagdata.synth.backgrounds import build_backgrounds
from stagdata.synth.catalog import Catalog, load_catalog
from stagdata.synth.compose import MIN_VISIBLE, ActorTrack, SpriteBank, place_actor, render_frames, write_h264
from stagdata.synth.manifest import (
    SUBSETS,
    ActorEntry,
    QueryEntry,
    ReferentGT,
    SynthConfig,
    SynthManifest,
    VideoEntry,
)
from stagdata.synth.queries import make_queries
from stagdata.synth.scenes import ActCue, SceneContext, direct, random_program
from stagdata.synth.sprites import build_sprites
from verifier.groundtruth import seconds_from_frames

ProgressCallback = Callable[[str, int, int], None]
"""``(stage, done, total)``: stage "video", done/total count videos."""

PEOPLE_PX = (40, 200)
"""People's height range in the presets (the real film's scale down to 40 px)."""
PRESETS: dict[str, SynthConfig] = {
    "small": SynthConfig(
        name="small", videos=4, duration=12.0, heights=PEOPLE_PX,
        programs=[
            [ActCue(act="wait", at=0.0), ActCue(act="follow", at=0.0), ActCue(act="overtake", at=1.0)],
            [ActCue(act="stand", at=0.0), ActCue(act="meet", at=0.0), ActCue(act="toward", at=0.0)],
            [ActCue(act="approach", at=0.0), ActCue(act="turn_back", at=0.5), ActCue(act="away", at=1.5)],
            [ActCue(act="wait", at=0.0), ActCue(act="group", at=0.0), ActCue(act="stop", at=0.5),
             ActCue(act="crossing", at=3.5)],
        ],
    ),
    "bench": SynthConfig(name="bench", videos=12, duration=20.0, channels=3, heights=PEOPLE_PX),
}
"""``small``: 4 twelve-second videos with fixed programs covering every kind of query (for tests;
seconds to make). ``bench``: 12 twenty-second videos of random programs. Either split of each."""
SPLIT_BACKGROUNDS: dict[str, list[str]] = {"tune": ["street-a", "street-c"],
                                            "heldout": ["street-b", "street-d", "street-e"]}
"""Plates of each split (when the config names none)."""
SPLIT_MIRROR: dict[str, bool] = {"tune": False, "heldout": True}
"""Sprite look of each split: front-facing cuts are shown mirrored in heldout."""


def _config(preset_or_config: str | SynthConfig, split: str | None = None) -> SynthConfig:
    if isinstance(preset_or_config, SynthConfig):
        config = preset_or_config
    elif preset_or_config not in PRESETS:
        raise ValueError(f"unknown preset {preset_or_config!r}; use one of {sorted(PRESETS)} or a SynthConfig")
    else:
        config = PRESETS[preset_or_config]
    if split is not None:
        if split not in SPLIT_BACKGROUNDS:
            raise ValueError(f"unknown split {split!r}; use one of {sorted(SPLIT_BACKGROUNDS)}")
        config = config.model_copy(update={"split": split})
    return config


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


class _Assets:
    """Sprites and plates, built once per generation run."""

    def __init__(self, catalog: Catalog, backgrounds: list[str] | None) -> None:
        self.catalog = catalog
        self.bank = SpriteBank(build_sprites(catalog))
        self.plates = build_backgrounds(catalog, backgrounds)

    @classmethod
    def for_config(cls, catalog: Catalog, config: SynthConfig) -> _Assets:
        return cls(catalog, config.backgrounds or SPLIT_BACKGROUNDS[config.split])


def _frames_gt(tracks: list[ActorTrack], width: int, height: int) -> list[dict]:
    out = []
    for t in tracks:
        boxes = [t.gt_box(i) for i in range(len(t.frames))]
        idx = [i for i, b in enumerate(boxes) if b is not None]
        if not idx:
            continue
        first, last = idx[0], idx[-1]
        out.append({
            "id": t.script.id, "sprite": t.script.sprite, "label": "person",
            "first_frame": int(t.frames[first]),
            "boxes": [list(b) if b is not None else None for b in boxes[first:last + 1]],
            "visible": [round(float(v), 3) for v in t.visible[first:last + 1]],
        })
    return out


def make_video(
    *, name: str, subset: str, index_seed: str, config: SynthConfig, assets: _Assets, out_dir: Path,
    query_id_start: int, program: list[ActCue] | None = None, background: str | None = None,
) -> tuple[VideoEntry, dict[int, list[tuple[int, int, int, int] | None]], dict[int, int]]:
    """Direct, label, query, render and encode one video; write its GT files.

    Returns the manifest entry, each actor's per-frame GT boxes (index = frame) for the SVAG file,
    and each actor's first frame.
    """
    rng = random.Random(index_seed)
    catalog = assets.catalog
    bg_ids = sorted(assets.plates)
    bg_id = background or rng.choice(bg_ids)
    bg = catalog.background(bg_id)
    fps, width, height = config.fps, catalog.width, catalog.height
    frame_count = round(config.duration * fps)
    program = program if program is not None else random_program(rng, config.duration, config.channels)
    ctx = SceneContext(catalog, bg, fps, frame_count, rng, heights=config.heights, mirror=SPLIT_MIRROR[config.split])
    scripts = direct(ctx, program)
    tracks = [place_actor(s, catalog, bg, assets.bank, fps, frame_count) for s in scripts]
    tracks = [t for t in tracks if len(t.frames) and (t.visible >= MIN_VISIBLE).any()]
    labels = label_actions(tracks, fps, width)
    nouns = {t.script.id: catalog.sprite(t.script.sprite).noun for t in tracks}
    spans = {}
    for t in tracks:
        seen = t.frames[t.visible >= MIN_VISIBLE]
        spans[t.script.id] = (int(seen[0]), int(seen[-1]))
    queries = make_queries(labels, nouns, spans, rng, config.phrasings, config.split, fps=fps, frame_count=frame_count)

    video_path = out_dir / "videos" / f"{name}.mp4"
    write_h264(video_path, render_frames(assets.plates[bg_id], tracks, assets.bank, frame_count), fps, crf=config.crf)

    per_frame: dict[int, list[tuple[int, int, int, int] | None]] = {}
    first: dict[int, int] = {}
    for t in tracks:
        first[t.script.id] = int(t.frames[0])
        per_frame[t.script.id] = [t.gt_box(i) for i in range(len(t.frames))]
    gt_dir = out_dir / "gt"
    gt_dir.mkdir(parents=True, exist_ok=True)
    frames_path = gt_dir / f"{name}.frames.json"
    frames_path.write_text(json.dumps({
        "video": name, "width": width, "height": height, "fps": fps, "frame_count": frame_count,
        "actors": _frames_gt(tracks, width, height),
    }))

    entries: list[QueryEntry] = []
    stvg_dir = gt_dir / "stvg"
    stvg_dir.mkdir(parents=True, exist_ok=True)
    for k, q in enumerate(queries):
        qid = query_id_start + k
        refs: list[ReferentGT] = []
        stvg_refs = []
        for r in q.referents:
            boxes = {f: per_frame[r.actor][f - first[r.actor]] for f in range(r.start, r.end + 1)}
            if any(b is None for b in boxes.values()):
                raise AssertionError(f"{name}: actor {r.actor} is not visible throughout its '{q.kind}' answer")
            conv = seconds_from_frames(boxes, (r.start, r.end), fps)
            assert conv is not None
            (s, e), sec_boxes = conv
            refs.append(ReferentGT(actor=r.actor, frames=(r.start, r.end), interval=(s, e)))
            stvg_refs.append({"id": r.actor, "label": "person", "width": width, "height": height,
                              "interval": [s, e], "boxes": {str(k2): list(b) for k2, b in sec_boxes.items()}})
        if len(stvg_refs) == 1:
            stvg = {"query": q.text, **stvg_refs[0]}
        else:
            stvg = {"query": q.text, "width": width, "height": height, "referents": stvg_refs}
        path = stvg_dir / f"{qid}.json"
        path.write_text(json.dumps(stvg))
        entries.append(QueryEntry(query_id=qid, text=q.text, verb=q.verb, direction=q.direction, kind=q.kind,
                                  form=q.form, referents=refs, gt=_rel(path, out_dir)))

    actors = []
    for t in tracks:
        vis = [int(f) for f, b in zip(t.frames, per_frame[t.script.id]) if b is not None]
        if not vis:
            continue
        actors.append(ActorEntry(id=t.script.id, sprite=t.script.sprite, noun=nouns[t.script.id],
                                 first_frame=vis[0], last_frame=vis[-1],
                                 labels=[lab for lab in labels if lab.actor == t.script.id]))
    entry = VideoEntry(
        name=name, subset=subset, path=_rel(video_path, out_dir), frames_gt=_rel(frames_path, out_dir),
        width=width, height=height, fps=float(fps), frame_count=frame_count, duration=frame_count / fps,
        background=bg_id, split=config.split, scene_seed=index_seed, program=program, actors=actors, queries=entries,
    )
    return entry, per_frame, first


def _svag_query(video: VideoEntry, vid: int, q: QueryEntry, per_frame: dict, first: dict) -> dict:
    tracks = []
    for r in q.referents:
        spatial: list[list[int] | None] = [None] * video.frame_count
        for f in range(r.frames[0], r.frames[1] + 1):
            b = per_frame[r.actor][f - first[r.actor]]
            spatial[f] = [b[0], b[1], b[2] - b[0], b[3] - b[1]]
        tracks.append({"track_id": r.actor, "spatial": spatial, "temporal": [[r.frames[0] + 1, r.frames[1] + 1]]})
    return {"query_id": q.query_id, "query": q.text, "video_id": vid, "video_name": video.name,
            "video_length": video.frame_count, "tracks": tracks}


def generate(
    preset_or_config: str | SynthConfig, out_dir: str | os.PathLike[str], seed: int = 0, *,
    split: str | None = None, on_progress: ProgressCallback | None = None, progress_bar: bool = False,
    catalog: Catalog | None = None,
) -> SynthManifest:
    """Generate a benchmark into ``out_dir`` and return (and save) its manifest.

    ``preset_or_config`` is ``"small"``, ``"bench"`` or a :class:`SynthConfig`; ``split``
    (``"tune"`` or ``"heldout"``) overrides the config's. The same seed and split give the same
    scenes, the same ground truth and the same video bytes.
    """
    config = _config(preset_or_config, split)
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    catalog = catalog or load_catalog()
    assets = _Assets.for_config(catalog, config)
    manifest = SynthManifest(preset=config.name, seed=seed, split=config.split, catalog=catalog.digest, config=config)
    svag: dict[str, list[dict]] = {s: [] for s in SUBSETS}
    bar = None
    if progress_bar:
        from tqdm import tqdm

        bar = tqdm(total=config.videos, desc=f"synth {config.name}", unit="video", leave=False)
    next_qid = 1
    try:
        for i in range(config.videos):
            subset = SUBSETS[i % len(SUBSETS)]
            tag = "" if config.split == "tune" else f"{config.split}-"
            program = config.programs[(i + (config.split != "tune")) % len(config.programs)] if config.programs else None
            video, per_frame, first = make_video(
                name=f"{config.name}-{tag}{seed}-{i:03d}", subset=subset, index_seed=f"stag-synth:{tag}{seed}:{i}",
                config=config, assets=assets, out_dir=root, query_id_start=next_qid, program=program,
            )
            next_qid += len(video.queries)
            manifest.videos.append(video)
            if config.svag_json:
                svag[subset] += [_svag_query(video, i, q, per_frame, first) for q in video.queries]
            if on_progress:
                on_progress("video", i + 1, config.videos)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    if config.svag_json:
        svag_path = root / "svag_gt.json"
        svag_path.write_text(json.dumps({"datasets": [{"name": s, "queries": svag[s]} for s in SUBSETS]}))
        manifest.svag_gt = _rel(svag_path, root)
    manifest.save(root)
    return manifest


def render_clip(
    out_dir: str | os.PathLike[str], program: list[ActCue] | str | None = None, *, seconds: float = 12.0,
    seed: int = 0, background: str | None = None, name: str = "clip",
) -> VideoEntry:
    """Render one example clip (video + GT files) into ``out_dir``; for the demo's examples.

    ``program`` is a list of :class:`ActCue`, the name of one act (e.g. ``"meet"``, started at 0 s
    with a standing bystander), or None for a random program.
    """
    if isinstance(program, str):
        program = [ActCue(act="stand", at=0.0), ActCue(act=program, at=0.0)]
    config = SynthConfig(name=name, videos=1, duration=seconds, svag_json=False)
    catalog = load_catalog()
    assets = _Assets(catalog, [background] if background else SPLIT_BACKGROUNDS["tune"])
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    video, _, _ = make_video(name=name, subset=SUBSETS[0], index_seed=f"stag-synth-clip:{seed}", config=config,
                             assets=assets, out_dir=root, query_id_start=1, program=program, background=background)
    (root / f"{name}.json").write_text(video.model_dump_json(indent=1))
    return video
