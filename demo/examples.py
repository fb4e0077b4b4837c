"""The examples offered under the Find button: the bundled real film, a short excerpt of it, and
two clips of the synthetic benchmark (real people on real street plates, with exact ground truth).

The excerpt and the synthetic clips are written once into a cache folder and reused.

>>> import tempfile
>>> clip = film_excerpt(tempfile.mkdtemp(), seconds=2.0)
>>> probe(clip).frame_count, probe(clip).codec
(60, 'h264')
"""

from __future__ import annotations

import os
from itertools import islice
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from stagdata.synth import VideoEntry, render_clip
from tools.assets import asset_path
from tools.render import write_h264
from tools.video import iter_frames, probe

EXCERPT_SECONDS = 10.0

EXCERPT_QUERIES: tuple[tuple[str, str], ...] = (
    ("the people walking", "Street film, first 10 s: the people walking"),
    ("a car", "Street film, first 10 s: a car"),
)
"""(query, label) pairs for the film's short excerpt (quick to run)."""

FILM_QUERIES: tuple[tuple[str, str], ...] = (
    ("a horse carriage", "Street film (60 s): a horse carriage"),
    ("the people walking", "Street film (60 s): the people walking"),
)
"""(query, label) pairs for the bundled real film, an early-1900s ride down Market Street."""

SYNTH_CLIPS: tuple[tuple[str, str], ...] = (("meet", "meet"), ("turn_back", "turn_back"))
"""(scripted act, verb of the query to show) for the synthetic clips; their queries come with the clip."""

SYNTH_SECONDS = 10.0


class Example(BaseModel):
    """A video and a query to try it with."""

    model_config = ConfigDict(frozen=True)

    video: Path
    query: str
    label: str


def default_examples_dir() -> Path:
    """Where the written examples are kept between runs (``$XDG_CACHE_HOME/stag/demo-examples``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "stag" / "demo-examples"


def film_excerpt(out_dir: str | os.PathLike[str], seconds: float = EXCERPT_SECONDS) -> Path:
    """The first ``seconds`` of the bundled film as H.264 in ``out_dir`` (written once, then reused)."""
    film = asset_path("sample_video")
    out = Path(out_dir) / f"street-film-first-{seconds:g}s.mp4"
    if not out.exists():
        fps = probe(film).fps
        frames = (image for _, image in islice(iter_frames(film), round(seconds * fps)))
        partial = write_h264(frames, out.with_name(out.stem + ".partial.mp4"), fps)
        partial.replace(out)
    return out


def _spans(intervals: list[tuple[int, int]]) -> str:
    return ", ".join(f"{s}–{e} s" for s, e in sorted(set(intervals)))


def synth_examples(out_dir: str | os.PathLike[str], seed: int = 0) -> list[Example]:
    """One query per synthetic clip, labelled with its true interval(s) so results can be compared."""
    root = Path(out_dir) / "synth"
    examples = []
    for act, verb in SYNTH_CLIPS:
        name = f"demo-{act}-{seed}"
        entry_file = root / f"{name}.json"  # render_clip writes it last: its presence means the clip is whole
        if entry_file.exists():
            entry = VideoEntry.model_validate_json(entry_file.read_text())
        else:
            entry = render_clip(root, act, seconds=SYNTH_SECONDS, seed=seed, name=name)
        query = next((q for q in entry.queries if q.verb == verb), entry.queries[0])
        truth = _spans([r.interval for r in query.referents])
        examples.append(Example(
            video=root / entry.path, query=query.text,
            label=f"Synthetic clip, {act.replace('_', ' ')}: truth {truth}",
        ))
    return examples


def demo_examples(out_dir: str | os.PathLike[str]) -> list[Example]:
    """Every example of the page, quickest first (files written into ``out_dir`` on first use).

    Raises ``tools.assets.AssetMissing`` if the film's package is absent.
    """
    excerpt = film_excerpt(out_dir)
    film = asset_path("sample_video")
    return [
        *(Example(video=excerpt, query=q, label=label) for q, label in EXCERPT_QUERIES),
        *synth_examples(out_dir),
        *(Example(video=film, query=q, label=label) for q, label in FILM_QUERIES),
    ]
