"""The agent's one look at a video: the tools' single 1-FPS pass, cached, as tracks keyed by second.

Every query about a video is answered from the same perception: :func:`look` runs
:func:`tools.perceive.perceive` once over the whole video for every class the detector knows, and
keeps the result in the perception cache (:mod:`agent.cache`), so time planning, referent choice
and later queries about the same video all read it; the second query about a video decodes nothing.

>>> from tools.track import Track
>>> t = Track(id=5, label="person", boxes={0: (0, 0, 1, 1), 1: (0, 0, 2, 2), 2: (0, 0, 3, 3)})
>>> sorted(to_seconds(t, sample_fps=2.0, new_id=1).boxes)
[0, 1]
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pydantic import BaseModel, Field

from agent.cache import PerceptionCache
from agent.config import PerceptionSettings
from tools.track import Track
from verifier.result import RunStats


class Look(BaseModel):
    """What the tools saw of one video: tracks keyed by second and what it cost."""

    tracks: list[Track] = Field(default_factory=list)
    stats: RunStats = Field(default_factory=RunStats)


def to_seconds(track: Track, sample_fps: float, new_id: int) -> Track | None:
    """``track`` with boxes keyed by second: each second takes its nearest sample (within half a second)."""
    if abs(sample_fps - 1.0) < 1e-9:
        return track.model_copy(update={"id": new_id}) if track.boxes else None
    boxes: dict[int, tuple] = {}
    scores: dict[int, float] = {}
    best: dict[int, float] = {}
    for idx, box in track.boxes.items():
        t = idx / sample_fps
        sec = round(t)
        off = abs(t - sec)
        if off < best.get(sec, 1e9):
            best[sec], boxes[sec], scores[sec] = off, box, track.scores.get(idx, 1.0)
    if not boxes:
        return None
    return track.model_copy(update={"id": new_id, "boxes": dict(sorted(boxes.items())),
                                    "scores": dict(sorted(scores.items()))})


def _stats(seen, tracks: list[Track]) -> RunStats:
    raw = getattr(seen, "stats", None)
    values = raw.model_dump() if isinstance(raw, BaseModel) else dict(raw or {})
    return RunStats(
        frames_decoded=int(values.get("frames_decoded", len(seen.times))),
        frames_detected=int(values.get("frames_detected", len(seen.times))),
        closer_looks=int(values.get("closer_looks", 0)),
        tracks=len(tracks),
        timings={k: round(float(v), 3) for k, v in seen.timings.items()},
    )


def look(video: str, settings: PerceptionSettings, on_progress: Callable[[int, int], None] | None = None) -> Look:
    """The tools' pass over the whole of ``video`` (through the cache): tracks keyed by second, stats.

    ``on_progress(done, total)`` counts sampled frames.
    """
    from tools.perceive import perceive

    cache = PerceptionCache(settings.cache_dir) if settings.cache_dir else PerceptionCache.default()
    key = cache.key(video, kind="look", fps=settings.sample_fps, detector=settings.detector, conf=settings.conf)
    if (hit := cache.get(key)) is not None:
        found = Look.model_validate(hit)
        return found.model_copy(update={"stats": found.stats.model_copy(update={"cached": True})})
    t0 = time.perf_counter()
    seen = perceive(video, sample_fps=settings.sample_fps, detector=settings.detector, device=settings.device,
                    on_progress=(lambda _stage, k, n: on_progress(k, n)) if on_progress else None)
    tracks = [t for t in (to_seconds(tr, settings.sample_fps, i) for i, tr in enumerate(seen.tracks, start=1)) if t]
    tracks = [t for t in tracks if _confident(t, settings.conf)]
    out = Look(tracks=tracks, stats=_stats(seen, tracks))
    out.stats.timings.setdefault("perceive", round(time.perf_counter() - t0, 3))
    cache.put(key, out.model_dump(mode="json"))
    return out


def _confident(track: Track, conf: float) -> bool:
    """A track is kept when its best detection reaches ``conf`` (the tracker links weaker ones too)."""
    return not track.scores or max(track.scores.values()) >= conf
