"""``verify(gold, answer)``: the scoring verb of the Math-Verify-like surface.

``gold`` is STVG ground truth (the ``stag eval stvg`` JSON as a dict or string, a
:class:`~verifier.groundtruth.GroundTruth` or a :class:`~verifier.result.GroundingResult`);
``answer`` is raw model text, a parsed :class:`~verifier.prediction.Prediction`, or a
:class:`~verifier.result.GroundingResult` (e.g. the agent's). The result carries tIoU, mvIoU,
vIoU, the reward ``w_t * tIoU + w_m * mvIoU`` and, for multi-referent ground truth, the per-referent
assignment and HOTA. Never raises on a bad answer. :func:`frame_level_scores` scores per-second
boxes on frames, as HC-STVG / VidSTG are evaluated.

>>> gt = {"width": 100, "height": 100, "interval": [3, 4], "boxes": {"3": [0, 0, 10, 10], "4": [0, 0, 10, 10]}}
>>> r = verify(gt, '{"3": [{"label": "a", "bbox_2d": [0, 0, 10, 10]}]}', coords="pixels")
>>> r.tIoU, r.mvIoU, r.vIoU
(0.5, 1.0, 0.5)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from verifier.groundtruth import GroundTruth
from verifier.interpolate import frame_boxes
from verifier.parsing import parse
from verifier.prediction import PredictedTrack, Prediction
from verifier.result import Box, GroundingResult
from verifier.rewards import RewardConfig, RewardResult, as_target, stvg_reward
from verifier.stvg import Tube, TubeScores, tube_scores


def verify(gold: Any, answer: Any, *, coords: Literal["norm1000", "pixels"] = "norm1000",
           w_t: float = 1.0, w_m: float = 1.0, w_hota: float = 0.0) -> RewardResult:
    """Score ``answer`` against ``gold`` (see module docs)."""
    config = RewardConfig(w_t=w_t, w_m=w_m, w_hota=w_hota, coords=coords)
    if isinstance(answer, GroundingResult):
        answer = Prediction(tracks=[PredictedTrack(label=f"{r.label}-{r.id}", boxes=r.boxes)
                                    for r in answer.referents])
    elif not isinstance(answer, Prediction):
        try:
            target = as_target(gold)
            answer = parse(answer, coords=coords, image_size=(target.width, target.height))
        except (ValueError, TypeError, RecursionError, OverflowError):   # stvg_reward reports why
            answer = parse(answer, coords=coords)
    return stvg_reward(None, gold, config, prediction=answer, with_hota=True)


def frame_level_scores(gt: GroundTruth, second_boxes: Mapping[int, Box], sample_fps: float = 1.0,
                       referent: int = 0) -> TubeScores:
    """tIoU / mvIoU / vIoU on frames, the way HC-STVG and VidSTG are scored: the per-second boxes
    are expanded to frames (:func:`verifier.interpolate.frame_boxes`) and compared with the
    ``referent``-th frame tube of a frame-level ground truth (its span: first to last frame of its
    windows, or of its boxes).

    >>> gt = GroundTruth(width=64, height=48, fps=10.0, frame_count=40, source="vidstg",
    ...                  frame_tubes=[{"id": 1, "boxes": {f: (0, 0, 8, 8) for f in range(10, 31)}}])
    >>> frame_level_scores(gt, {1: (0, 0, 8, 8), 2: (0, 0, 8, 8)})     # seconds 1-2 = frames 10-29
    TubeScores(tIoU=0.952..., mvIoU=1.0, vIoU=0.952...)
    """
    if gt.fps is None or gt.frame_count is None or not gt.frame_tubes:
        raise ValueError("frame-level scoring needs a ground truth with fps, frame_count and frame tubes")
    target = gt.frame_tubes[referent]
    span = target.interval
    gt_tube = Tube(interval=span, boxes=target.boxes) if span is not None else None
    pred = frame_boxes(second_boxes, gt.fps, gt.frame_count, sample_fps)
    return tube_scores(Tube.from_boxes(pred), gt_tube)
