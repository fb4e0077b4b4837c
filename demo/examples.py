"""The examples offered under the Find button: the bundled real film, a short excerpt of it, and
(when the synthetic benchmark is installed) a few synthetic clips with their queries.

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

from tools.assets import asset_path
from tools.render import write_h264
from tools.video import iter_frames, probe

EXCERPT_SECONDS = 10.0

FILM_QUERIES: tuple[tuple[str, str], ...] = (
    ("a horse carriage", "Street film (60 s): a horse carriage"),
    ("the people walking", "Street film (60 s): the people walking"),
)
"""(query, label) pairs for the bundled real film, an early-1900s ride down Market Street."""

EXCERPT_QUERIES: tuple[tuple[str, str], ...] = (
    ("the people walking", "Street film, first 10 s: the people walking"),
    ("a car", "Street film, first 10 s: a car"),
)
"""(query, label) pairs for the film's short excerpt (quick to run)."""


class Example(BaseModel):
    """A video and a query to try it with."""

    model_config = ConfigDict(frozen=True)

    video: Path
    query: str
    label: str


def film_excerpt(out_dir: str | os.PathLike[str], seconds: float = EXCERPT_SECONDS) -> Path:
    """The first ``seconds`` of the bundled film as H.264 in ``out_dir`` (written once, then reused)."""
    film = asset_path("sample_video")
    out = Path(out_dir) / f"street-film-first-{seconds:g}s.mp4"
    if not out.exists():
        fps = probe(film).fps
        frames = (image for _, image in islice(iter_frames(film), round(seconds * fps)))
        write_h264(frames, out, fps)
    return out


def film_examples(out_dir: str | os.PathLike[str]) -> list[Example]:
    """Queries on the excerpt (written into ``out_dir``) and on the whole film.

    Raises ``tools.assets.AssetMissing`` if the film's package is absent.
    """
    excerpt = film_excerpt(out_dir)
    film = asset_path("sample_video")
    return [
        *(Example(video=excerpt, query=q, label=label) for q, label in EXCERPT_QUERIES),
        *(Example(video=film, query=q, label=label) for q, label in FILM_QUERIES),
    ]
