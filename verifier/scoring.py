"""``verify(gold, answer)``: the scoring verb of the Math-Verify-like surface.

``gold`` is STVG ground truth (the ``stag eval stvg`` JSON as a dict or string, a
:class:`~verifier.groundtruth.GroundTruth` or a :class:`~verifier.result.GroundingResult`);
``answer`` is raw model text, a parsed :class:`~verifier.prediction.Prediction`, or a
:class:`~verifier.result.GroundingResult` (e.g. the agent's). The result carries tIoU, mvIoU,
vIoU, the reward ``w_t * tIoU + w_m * mvIoU`` and, for multi-referent ground truth, the per-referent
assignment and HOTA. Never raises on a bad answer.

>>> gt = {"width": 100, "height": 100, "interval": [3, 4], "boxes": {"3": [0, 0, 10, 10], "4": [0, 0, 10, 10]}}
>>> r = verify(gt, '{"3": [{"label": "a", "bbox_2d": [0, 0, 10, 10]}]}', coords="pixels")
>>> r.tIoU, r.mvIoU, r.vIoU
(0.5, 1.0, 0.5)
"""

from __future__ import annotations

from typing import Any, Literal

from verifier.parsing import parse
from verifier.prediction import PredictedTrack, Prediction
from verifier.rewards import RewardConfig, RewardResult, as_target, stvg_reward
from verifier.result import GroundingResult


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
        except ValueError:
            answer = parse(answer, coords=coords)
    return stvg_reward(None, gold, config, prediction=answer, with_hota=True)
