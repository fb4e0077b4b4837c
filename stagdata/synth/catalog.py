"""The catalog of real object crops and background plates the synthetic benchmark is made of.

``catalog.json`` (next to this module) records, once and for all, where every sprite and every
background comes from: a bundled real asset, a frame index, an outline polygon or a crop box.
Generation reads only this file and the assets, so it is deterministic and needs no detector.
The entries were chosen by running the bundled detectors over the film (people found at 0.55+
confidence, at least 130 px tall, apart from other objects), tracing each chosen person's
silhouette by hand; ``python -m stagdata.synth.calibrate`` checks them with the detectors.

>>> cat = load_catalog()
>>> sorted({s.kind for s in cat.sprites})
['person']
>>> cat.background("street-a").source
'sample_video'
"""

from __future__ import annotations

import hashlib
import json
from functools import cached_property
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SourceName = Literal["sample_video", "people_photo"]
Kind = Literal["person"]
XYXY = tuple[int, int, int, int]


class SpriteSource(BaseModel):
    """One real object to cut out: its outline in one frame of a bundled asset."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="unique name, e.g. 'policeman-stride'")
    kind: Kind = Field(description="object class (a COCO class name)")
    noun: str = Field(description="word for it in queries: 'man', 'woman', 'person'")
    identity: str = Field(description="the real individual; two sprites of one identity never share a video")
    source: SourceName
    frame: int = Field(0, ge=0, description="frame index in the source video (0 for a photo)")
    outline: list[tuple[float, float]] = Field(
        min_length=3, description="polygon around the object's silhouette, source-frame pixels (traced by hand)"
    )
    facing: Literal["left", "right", "front", "back"] = "front"
    grayscale: bool = Field(False, description="convert to grey (photo crops pasted into the B&W film)")

    @property
    def box(self) -> XYXY:
        """Integer box that contains the outline (x2, y2 exclusive)."""
        xs = [p[0] for p in self.outline]
        ys = [p[1] for p in self.outline]
        return (int(min(xs)), int(min(ys)), int(max(xs)) + 1, int(max(ys)) + 1)


class BackgroundSource(BaseModel):
    """A real street plate: a crop of one frame, scaled to the output size, with clutter inpainted."""

    model_config = ConfigDict(frozen=True)

    id: str
    source: SourceName = "sample_video"
    frame: int = Field(ge=0)
    crop: XYXY = Field(description="region of the source frame that becomes the whole plate")
    mirror: bool = Field(False, description="flip the plate left-right")
    focus_row: int = Field(description="plate rows above this are defocused (the far street), below stay sharp")
    defocus_sigma: float = Field(4.0, ge=0, description="Gaussian sigma (px) of the far street's blur")
    inpaint: list[XYXY] = Field(default_factory=list, description="plate-pixel boxes of detectable clutter removed")
    horizon: float = Field(description="plate row of the vanishing line: objects shrink to 0 there")
    ground: tuple[int, int] = Field(description="rows (top, bottom) where objects' feet may stand")


class Catalog(BaseModel):
    """Every sprite and background, plus the output geometry they were chosen for."""

    model_config = ConfigDict(frozen=True)

    width: int = Field(640, gt=0)
    height: int = Field(360, gt=0)
    person_scale: float = Field(gt=0, description="person height in px per px of (feet row - horizon)")
    sprites: list[SpriteSource]
    backgrounds: list[BackgroundSource]

    @model_validator(mode="after")
    def _unique_ids(self) -> Catalog:
        for name, items in (("sprite", self.sprites), ("background", self.backgrounds)):
            ids = [i.id for i in items]
            dup = {i for i in ids if ids.count(i) > 1}
            if dup:
                raise ValueError(f"duplicate {name} ids in the catalog: {sorted(dup)}")
        return self

    def sprite(self, sprite_id: str) -> SpriteSource:
        """The sprite named ``sprite_id`` (KeyError if absent)."""
        for s in self.sprites:
            if s.id == sprite_id:
                return s
        raise KeyError(f"no sprite {sprite_id!r}; known: {[s.id for s in self.sprites]}")

    def background(self, background_id: str) -> BackgroundSource:
        """The background named ``background_id`` (KeyError if absent)."""
        for b in self.backgrounds:
            if b.id == background_id:
                return b
        raise KeyError(f"no background {background_id!r}; known: {[b.id for b in self.backgrounds]}")

    def of_kind(self, kind: Kind) -> list[SpriteSource]:
        """Sprites of one class, in catalog order."""
        return [s for s in self.sprites if s.kind == kind]

    @cached_property
    def digest(self) -> str:
        """Short hash of the catalog's content (recorded in every manifest)."""
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:12]

    def object_height(self, kind: Kind, feet_y: float, background: BackgroundSource) -> float:
        """Height in px of an object of ``kind`` whose feet (bottom) are on plate row ``feet_y``.

        Objects shrink linearly towards the background's horizon (a flat ground seen by a level camera).

        >>> cat = load_catalog()
        >>> bg = cat.backgrounds[0]
        >>> cat.object_height("person", 300, bg) > cat.object_height("person", 260, bg)
        True
        """
        return self.person_scale * max(0.0, feet_y - background.horizon)


def load_catalog(text: str | None = None) -> Catalog:
    """Read the bundled ``catalog.json`` (or ``text``, for tests)."""
    if text is None:
        text = resources.files("stagdata.synth").joinpath("catalog.json").read_text()
    return Catalog.model_validate_json(text)
