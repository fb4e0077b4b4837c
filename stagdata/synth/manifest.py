"""What a generated benchmark contains: videos, actors, action labels, queries and GT file paths.

Paths inside a manifest are relative to the folder holding ``manifest.json``;
:meth:`SynthManifest.path` turns one into an absolute path.

>>> m = SynthManifest(preset="small", seed=0, catalog="abc", config=SynthConfig(name="x", videos=1, duration=4))
>>> m.path("videos/a.mp4").name
'a.mp4'
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from stagdata.synth.actions import Label
from stagdata.synth.scenes import ActCue

SUBSETS = ("OVIS", "MOT17", "MOT20")
"""SVAG-Bench subset names; videos are dealt to them in turn so SVAGEval sees all three."""


class SynthConfig(BaseModel):
    """How many videos, how long, and how they are directed."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(description="preset name, used in file names")
    videos: int = Field(ge=1, le=10_000)
    duration: float = Field(gt=0, le=3600, description="seconds per video")
    fps: int = Field(30, ge=1, le=120, description="native frame rate of the written videos")
    channels: int = Field(2, ge=1, le=4, description="acts running at once (random programs)")
    programs: list[list[ActCue]] | None = Field(None, description="fixed programs, used in turn (else random)")
    backgrounds: list[str] | None = Field(None, description="background ids to use (else all)")
    phrasings: int = Field(2, ge=1, le=4, description="wordings per query")
    split: Literal["tune", "heldout"] = Field(
        "tune", description="tune or heldout: other scene seeds, plates, sprite looks and paraphrases")
    heights: tuple[int, int] | None = Field(
        None, description="people's height range in px (lanes spread over it); None: the plates' ground band, 150-200")
    svag_json: bool = Field(True, description="also write the SVAG-Bench ground-truth JSON")
    crf: int = Field(20, ge=0, le=51, description="x264 quality (lower = better, bigger)")


class ReferentGT(BaseModel):
    """One referent of a query: actor, inclusive frame span and inclusive second span."""

    model_config = ConfigDict(frozen=True)

    actor: int
    label: str = "person"
    frames: tuple[int, int]
    interval: tuple[int, int] = Field(description="inclusive seconds (verifier.timebase rule)")


class QueryEntry(BaseModel):
    """A query, its referents and where its per-second ground truth is."""

    query_id: int
    text: str
    verb: str
    direction: str | None = None
    kind: str = Field("", description="vocabulary item it tests (stagdata.synth.queries.KINDS)")
    form: Literal["one", "plural", "counted"] = Field("one", description="singular, plural or with a count")
    referents: list[ReferentGT]
    gt: str = Field(description="per-second GT in the `stag eval stvg` format (relative path)")

    @property
    def multi(self) -> bool:
        return len(self.referents) > 1


class ActorEntry(BaseModel):
    """An actor of a video: its sprite and every action label derived from its motion."""

    id: int
    sprite: str
    noun: str
    first_frame: int
    last_frame: int
    labels: list[Label]


class VideoEntry(BaseModel):
    """One generated video."""

    name: str
    subset: str
    path: str = Field(description="the H.264 MP4 (relative path)")
    frames_gt: str = Field(description="per-frame boxes of every actor (relative path)")
    width: int
    height: int
    fps: float
    frame_count: int
    duration: float
    background: str
    split: str = "tune"
    scene_seed: str = Field("", description="the string seeding this video's scene")
    program: list[ActCue]
    actors: list[ActorEntry]
    queries: list[QueryEntry]


class SynthManifest(BaseModel):
    """The whole benchmark (``manifest.json``)."""

    preset: str
    seed: int
    split: str = "tune"
    catalog: str = Field(description="digest of the sprite/background catalog used")
    config: SynthConfig
    svag_gt: str | None = Field(None, description="SVAG-Bench ground truth (relative path)")
    videos: list[VideoEntry] = Field(default_factory=list)
    _root: Path = PrivateAttr(default_factory=Path)

    @classmethod
    def load(cls, path: str | Path) -> SynthManifest:
        """Read ``manifest.json`` (or the folder holding it)."""
        p = Path(path)
        if p.is_dir():
            p = p / "manifest.json"
        if not p.is_file():
            raise FileNotFoundError(f"no synthetic benchmark manifest at {p}; make one with: stag synth --out DIR")
        m = cls.model_validate_json(p.read_text())
        m._root = p.parent.resolve()
        return m

    def save(self, root: str | Path) -> Path:
        """Write ``manifest.json`` into ``root``; later relative paths resolve against it."""
        self._root = Path(root).resolve()
        out = self._root / "manifest.json"
        out.write_text(self.model_dump_json(indent=1))
        return out

    def path(self, relative: str) -> Path:
        """Absolute path of a path stored in this manifest."""
        return self._root / relative

    def queries(self) -> Iterator[tuple[VideoEntry, QueryEntry]]:
        """Every (video, query) pair."""
        for v in self.videos:
            for q in v.queries:
                yield v, q
