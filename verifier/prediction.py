"""What :func:`verifier.parse` turns model text into: labelled tracks of per-second boxes.

A :class:`Prediction` holds one :class:`PredictedTrack` per label (in order of first appearance),
each with its boxes keyed by second. ``units`` says whether boxes are pixels or still in GLM-V's
0-1000 space (when no image size was given). ``ok`` is False when nothing usable was found;
``reason`` then says why. An answer that is a valid but empty JSON object is ``ok`` with no tracks
(a model saying "nothing matches").

>>> p = Prediction(tracks=[PredictedTrack(label="car-1", boxes={3: (0, 0, 10, 10), 4: (1, 0, 11, 10)})])
>>> p.tracks[0].interval
(3, 4)
>>> p.main_track().label
'car-1'
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from verifier.result import Box, GroundingResult, Referent, VideoInfo

Units = Literal["pixels", "norm1000"]


class PredictedTrack(BaseModel):
    """One labelled object of a model answer: a box per second it was seen."""

    model_config = ConfigDict(frozen=True)

    label: str
    boxes: dict[int, Box] = Field(default_factory=dict, description="second -> (x1, y1, x2, y2)")

    @property
    def seconds(self) -> list[int]:
        """Seconds with a box, ascending."""
        return sorted(self.boxes)

    @property
    def interval(self) -> tuple[int, int] | None:
        """Inclusive span from the first to the last second with a box (None when empty)."""
        if not self.boxes:
            return None
        return (min(self.boxes), max(self.boxes))


class Prediction(BaseModel):
    """A parsed model answer (see module docs); never built from a raising parser."""

    model_config = ConfigDict(frozen=True)

    tracks: list[PredictedTrack] = Field(default_factory=list)
    units: Units = "pixels"
    ok: bool = True
    reason: str = Field(default="", description="why nothing (or not everything) was usable")
    recovered: bool = Field(default=False, description="JSON was truncated or had trailing garbage")
    dropped: int = Field(default=0, ge=0, description="entries discarded as invalid")
    thinking: str | None = Field(default=None, description="text of the <think> block, if any")

    @property
    def clean(self) -> bool:
        """Parsed as-is: no recovery, nothing dropped."""
        return self.ok and not self.recovered and self.dropped == 0

    def main_track(self) -> PredictedTrack | None:
        """The single referent of a single-referent answer: the label present in the most seconds,
        ties to the first seen (None when there are no tracks).

        >>> Prediction(tracks=[PredictedTrack(label="a", boxes={0: (0, 0, 1, 1)}),
        ...                    PredictedTrack(label="b", boxes={0: (0, 0, 1, 1)})]).main_track().label
        'a'
        """
        best: PredictedTrack | None = None
        for track in self.tracks:
            if best is None or len(track.boxes) > len(best.boxes):
                best = track
        return best

    def to_result(self, query: str, video: VideoInfo) -> GroundingResult:
        """This answer as a :class:`GroundingResult` (pixel units required), ids ``1..n``."""
        if self.units != "pixels":
            raise ValueError("boxes are still in 0-1000 units: parse with image_size=(W, H) first")
        referents = [
            Referent(id=i, label=t.label, interval=t.interval, boxes=t.boxes)
            for i, t in enumerate((t for t in self.tracks if t.boxes), start=1)
        ]
        return GroundingResult(query=query, video=video, referents=referents, planner="parsed")
