"""stag verifier: parse any model output, score it (tIoU, mvIoU, vIoU, HOTA, SVAGEval, moment
retrieval) and use the same score as an RL reward. Depends on numpy, scipy and pydantic only.

The tiny surface, like Math-Verify's:

>>> gt = {"width": 1000, "height": 1000, "interval": [0, 1], "boxes": {"0": [0, 0, 100, 100], "1": [0, 0, 100, 100]}}
>>> pred = parse('<answer>{"0": [{"label": "dog-1", "bbox_2d": [0, 0, 100, 100]}]}</answer>', image_size=(1000, 1000))
>>> r = verify(gt, pred)
>>> r.tIoU, r.mvIoU, r.reward
(0.5, 1.0, 1.5)
"""

from verifier.hota import HotaResult, combine_hota, hota, hota_from_arrays
from verifier.parsing import parse
from verifier.prediction import PredictedTrack, Prediction
from verifier.rewards import RewardConfig, RewardResult, format_reward, stvg_reward
from verifier.scoring import verify

__all__ = [
    "HotaResult",
    "PredictedTrack",
    "Prediction",
    "RewardConfig",
    "RewardResult",
    "combine_hota",
    "format_reward",
    "hota",
    "hota_from_arrays",
    "parse",
    "stvg_reward",
    "verify",
]
