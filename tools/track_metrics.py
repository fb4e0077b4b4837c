"""Identity metrics for tracks: CLEAR-MOT ID switches against reference ids, per-frame box tables.

HOTA itself lives in the verifier (:func:`verifier.hota.hota`); this adds the classic ID-switch
count used to compare trackers at 1 FPS, and the conversion from :class:`~tools.track.Track`
lists to the ``{frame: {id: box}}`` tables both take.

>>> gt = {0: {1: (0, 0, 10, 10)}, 1: {1: (1, 0, 11, 10)}, 2: {1: (2, 0, 12, 10)}}
>>> id_switches(gt, {0: {7: (0, 0, 10, 10)}, 1: {7: (1, 0, 11, 10)}, 2: {8: (2, 0, 12, 10)}})
1
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from tools.track import Track
from verifier.boxes import box_iou

FrameBoxes = Mapping[int, Mapping[int, Sequence[float]]]
"""``{frame or sample: {object id: (x1, y1, x2, y2)}}``."""


def id_switches(gt: FrameBoxes, pred: FrameBoxes, threshold: float = 0.5) -> int:
    """CLEAR-MOT identity switches: times a reference object is matched to a different id than before.

    A match of the previous frame is kept while its IoU stays >= ``threshold``; the others are
    assigned by the Hungarian method on IoU (pairs below ``threshold`` never match).

    Kept rather than TrackEval's ``CLEAR`` (measured): both give the same count on 300 random
    sequences (``tests/test_tools_track_metrics.py`` checks it), TrackEval is a test-only reference
    here (installed without its dependencies) and feeding it takes an adaptor as long as this function.
    """
    last: dict[int, int] = {}
    switches = 0
    for f in sorted(gt):
        g, p = gt[f], pred.get(f, {})
        match = {gid: pid for gid, pid in last.items()
                 if gid in g and pid in p and box_iou(g[gid], p[pid]) >= threshold}
        free_g = [gid for gid in g if gid not in match]
        free_p = [pid for pid in p if pid not in match.values()]
        if free_g and free_p:
            iou = np.array([[box_iou(g[a], p[b]) for b in free_p] for a in free_g])
            for r, c in zip(*linear_sum_assignment(-iou)):
                if iou[r, c] >= threshold:
                    gid, pid = free_g[r], free_p[c]
                    switches += int(gid in last and last[gid] != pid)
                    match[gid] = pid
        last.update(match)
    return switches


def frames_of(tracks: Sequence[Track], step: int = 1) -> dict[int, dict[int, tuple[float, ...]]]:
    """``{sample // step: {track id: box}}`` over the samples that are multiples of ``step``.

    With tracks made at ``r`` samples per second, ``step=r`` gives the boxes at whole seconds.

    >>> frames_of([Track(id=3, label="car", boxes={0: (0, 0, 1, 1), 5: (1, 1, 2, 2), 10: (2, 2, 3, 3)})], step=10)
    {0: {3: (0.0, 0.0, 1.0, 1.0)}, 1: {3: (2.0, 2.0, 3.0, 3.0)}}
    """
    out: dict[int, dict[int, tuple[float, ...]]] = {}
    for t in tracks:
        for k, b in t.boxes.items():
            if k % step == 0:
                out.setdefault(k // step, {})[t.id] = b
    return out
