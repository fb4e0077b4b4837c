"""The timeline: one horizontal bar per referent over the video's seconds.

Each referent's inclusive interval ``[s, e]`` covers the samples ``s .. e``; a sample stands for
the half second either side of it, so the bar runs from ``s - 0.5`` to ``e + 0.5`` (clipped to the
video) and a one-second referent is still visible. Dots mark the seconds that carry a box.

>>> from verifier.result import GroundingResult, Referent, VideoInfo
>>> video = VideoInfo(path="v.mp4", width=640, height=360, fps=30.0, frame_count=300, duration=10.0)
>>> result = GroundingResult(query="a person", video=video, referents=[
...     Referent(id=3, label="person", interval=(2, 6), boxes={2: (0, 0, 5, 5), 6: (1, 1, 6, 6)})])
>>> fig = timeline_figure(result)
>>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
['#3 person']
>>> tuple(map(float, fig.axes[0].get_xlim()))
(0.0, 10.0)
"""

from __future__ import annotations

from collections.abc import Callable

from matplotlib.figure import Figure

from tools.render import PALETTE
from verifier.result import GroundingResult

ColorOf = Callable[[int], str]


def referent_color(rid: int) -> str:
    """The colour the annotated video draws referent ``rid`` in (supervision's palette, by track id).

    >>> referent_color(0).startswith("#")
    True
    """
    return PALETTE.by_idx(rid).as_hex()


def bar_span(interval: tuple[int, int], duration: float, sample_step: float = 1.0) -> tuple[float, float]:
    """(left, width) of the bar for an inclusive interval of sampled seconds, clipped to the video.

    >>> bar_span((0, 0), duration=10.0)
    (0.0, 0.5)
    >>> bar_span((4, 7), duration=10.0)
    (3.5, 4.0)
    """
    half = sample_step / 2
    left = max(0.0, interval[0] - half)
    right = min(max(duration, interval[1]), interval[1] + half)
    return left, right - left


def timeline_figure(result: GroundingResult, color_of: ColorOf = referent_color) -> Figure:
    """A matplotlib figure with one bar per referent (top row = first referent)."""
    referents = result.referents
    duration = max(result.video.duration, max((r.interval[1] for r in referents), default=0))
    step = 1.0 / result.video.sample_fps
    rows = max(len(referents), 1)
    fig = Figure(figsize=(9.0, 0.9 + 0.42 * rows), dpi=110, layout="constrained")
    ax = fig.add_subplot()
    for row, ref in enumerate(referents):
        left, width = bar_span(ref.interval, duration, step)
        color = color_of(ref.id)
        ax.barh(row, width, left=left, height=0.6, color=color, alpha=0.85)
        ax.plot(ref.seconds, [row] * len(ref.seconds), "o", color="white", markersize=2.5)
        s, e = ref.interval
        ax.annotate(
            f"{s}–{e} s", (left + width, row), xytext=(4, 0), textcoords="offset points",
            va="center", fontsize=8, color="#333333",
        )
    ax.set_yticks(range(len(referents)), [f"#{r.id} {r.label}" for r in referents])
    ax.set_ylim(rows - 0.5, -0.5)
    ax.set_xlim(0.0, duration or 1.0)
    ax.set_xlabel("seconds")
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    if not referents:
        ax.text(0.5, 0.5, "nothing found", transform=ax.transAxes, ha="center", va="center", color="#777777")
        ax.set_yticks([])
    ax.set_title(f"Timeline · “{result.query}”", loc="left", fontsize=10)
    return fig
