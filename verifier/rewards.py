"""RL rewards from the verifier: ``R = w_t * tIoU + w_m * mvIoU`` (paper 002, eq. 4), its
multi-referent form, and a format reward. None of them ever raises: a completion that cannot be
parsed, or an unusable ground truth, scores 0 with the reason in :attr:`RewardResult.reason`.

Ground truth is the ``stag eval stvg`` JSON (as a dict or a JSON string), a
:class:`~verifier.groundtruth.GroundTruth` or a :class:`~verifier.result.GroundingResult`:

* one referent (``{"width", "height", "interval", "boxes"}``): the completion's referent is its
  label present in the most seconds (ties: the first seen); its span runs from its first to its
  last second with a box; ``R = w_t * tIoU + w_m * mvIoU``;
* a ``referents`` list: predicted labels are assigned one-to-one to true referents
  (:mod:`verifier.multiref`), unmatched ones score 0, ``R = w_t * tIoU + w_m * mvIoU`` on the
  assignment averages, plus ``w_hota * HOTA`` of the query at second level when ``w_hota > 0``. A
  correctly empty answer (``{}`` when no referent exists) gets the full reward.

Rewards lie in ``[0, w_t + w_m + w_hota]``.

>>> gt = {"width": 1000, "height": 1000, "interval": [0, 1], "boxes": {"0": [0, 0, 100, 100], "1": [0, 0, 100, 100]}}
>>> stvg_reward('{"0": [{"label": "a", "bbox_2d": [0, 0, 100, 100]}], "1": [{"label": "a", "bbox_2d": [0, 0, 100, 100]}]}', gt).reward
2.0
>>> stvg_reward("no idea", gt).reason
'no JSON object found in the answer'
>>> format_reward('<think>ok</think>{"0": []}', require_think=True)
1.0
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from verifier.groundtruth import GroundTruth
from verifier.hota import hota_from_arrays
from verifier.multiref import assign
from verifier.parsing import parse
from verifier.prediction import Prediction
from verifier.result import GroundingResult
from verifier.stvg import Tube, TubeScores, tube_scores


class RewardConfig(BaseModel):
    """Weights and coordinate convention of the reward (paper 002: ``w_t = w_m = 1``)."""

    model_config = ConfigDict(frozen=True)

    w_t: float = Field(default=1.0, ge=0, description="weight of tIoU")
    w_m: float = Field(default=1.0, ge=0, description="weight of mvIoU")
    w_hota: float = Field(default=0.0, ge=0, description="weight of per-query HOTA (multi-referent GT)")
    coords: Literal["norm1000", "pixels"] = Field(default="norm1000", description="box units in completions")

    @property
    def max_reward(self) -> float:
        """The reward of a perfect answer."""
        return self.w_t + self.w_m + self.w_hota


@dataclass(frozen=True)
class PairDetail:
    """How one true referent was answered (multi-referent ground truth)."""

    gt_id: int
    label: str | None
    scores: TubeScores


@dataclass(frozen=True)
class RewardResult:
    """A reward and the sub-scores it came from (fractions); ``reason`` explains a zero."""

    reward: float
    tIoU: float
    mvIoU: float
    vIoU: float
    format: float
    ok: bool
    reason: str = ""
    hota: float | None = None
    label: str | None = None
    referents: tuple[PairDetail, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        """Numbers only (what trainers log): reward, tIoU, mvIoU, vIoU, format, parse_ok(, HOTA)."""
        out: dict[str, Any] = {"reward": self.reward, "tIoU": self.tIoU, "mvIoU": self.mvIoU, "vIoU": self.vIoU,
                               "format": self.format, "parse_ok": 1.0 if self.ok else 0.0}
        if self.hota is not None:
            out["HOTA"] = self.hota
        return out


@dataclass(frozen=True)
class Target:
    """Ground truth in the form the reward needs: one tube per true referent."""

    tubes: tuple[Tube, ...]
    ids: tuple[int, ...]
    width: int
    height: int
    multi: bool


def format_reward(completion: Any, *, require_think: bool = False, coords: str = "norm1000") -> float:
    """1 for a cleanly parsed per-second answer, 0.5 when parts had to be repaired or dropped,
    0 when nothing is usable; with ``require_think`` also 0 without a ``<think>...</think>`` block.

    >>> format_reward('{"0": [{"label": "a", "bbox_2d": [1, 2, 3, 4]}]}')
    1.0
    >>> format_reward('{"0": [{"label": "a", "bbox_2d": [1, 2, 3, 4]}], "1": [')
    0.5
    """
    pred = completion if isinstance(completion, Prediction) else parse(completion, coords=coords)
    return _format_score(pred, require_think)


def _format_score(pred: Prediction, require_think: bool) -> float:
    if not pred.ok or (require_think and pred.thinking is None):
        return 0.0
    return 1.0 if pred.clean else 0.5


def as_target(gt: Any) -> Target:
    """Normalise any supported ground truth to a :class:`Target`; raises ``ValueError`` if unusable."""
    if isinstance(gt, Target):
        return gt
    if isinstance(gt, str):
        return _target_from_json(gt)
    if isinstance(gt, GroundTruth):
        return _bounded(_target_from_referents(gt.referents, gt.width, gt.height, gt.multi_referent))
    if isinstance(gt, GroundingResult):
        return _bounded(_target_from_referents(gt.referents, gt.video.width, gt.video.height, True))
    if isinstance(gt, Mapping):
        fast = _fast_target(gt)
        return _bounded(fast) if fast is not None else as_target(GroundTruth.from_stvg(_plain(gt)))
    if hasattr(gt, "tolist"):                       # numpy scalars / arrays from parquet columns
        return as_target(gt.tolist())
    raise ValueError(f"unsupported ground truth type {type(gt).__name__}")


MAX_SECOND = 10_000_000
"""Latest second a ground-truth interval may end at (115 days): beyond it, scores would overflow floats."""


def _bounded(target: Target) -> Target:
    for tube in target.tubes:
        if tube.interval[1] > MAX_SECOND:
            raise ValueError(f"interval ends at second {str(tube.interval[1])[:20]}, beyond {MAX_SECOND:,}")
    return target


@lru_cache(maxsize=4096)
def _target_from_json(text: str) -> Target:
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"ground truth is not valid JSON: {exc}") from None
    return as_target(obj)


def _target_from_referents(referents: list[Any], width: int, height: int, multi: bool) -> Target:
    tubes = tuple(Tube(interval=r.interval, boxes=r.boxes) for r in referents)
    return Target(tubes=tubes, ids=tuple(r.id for r in referents), width=width, height=height, multi=multi)


def _plain(obj: Any) -> Any:
    """Nested numpy arrays / scalars (as parquet readers return them) -> plain Python."""
    if isinstance(obj, Mapping):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if hasattr(obj, "tolist"):
        return _plain(obj.tolist())
    return obj


def _fast_target(gt: Mapping[str, Any]) -> Target | None:
    """Plain-dict ground truth without pydantic (the reward's hot path); None -> take the slow,
    fully validated path, which also gives the error message."""
    try:
        width, height = gt["width"], gt["height"]
        if type(width) is not int or type(height) is not int or width <= 0 or height <= 0:
            return None
        multi = "referents" in gt
        refs = gt["referents"] if multi else [gt]
        if type(refs) is not list:
            return None
        tubes, ids = [], []
        for n, ref in enumerate(refs, start=1):
            s, e = ref["interval"]
            if type(s) is not int or type(e) is not int or s < 0 or e < s:
                return None
            boxes: dict[int, tuple[float, float, float, float]] = {}
            for k, b in ref.get("boxes", {}).items():
                if b is None:
                    continue
                sec = int(k)
                x1, y1, x2, y2 = b
                if not (s <= sec <= e and type(x1) in _NUM and type(y1) in _NUM and type(x2) in _NUM
                        and type(y2) in _NUM and math.isfinite(x1 + y1 + x2 + y2)):
                    return None
                boxes[sec] = (x1, y1, x2, y2)
            tubes.append(Tube(interval=(s, e), boxes=boxes))
            rid = ref.get("id", n)
            ids.append(rid if type(rid) is int else n)
        return Target(tubes=tuple(tubes), ids=tuple(ids), width=width, height=height, multi=multi)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
        return None


_NUM = (int, float)


def _bad_ground_truth(message: str) -> RewardResult:
    # Python's default warning filter shows each distinct message once.
    warnings.warn(f"stag reward: unusable ground truth scores 0: {message}", RuntimeWarning, stacklevel=3)
    return RewardResult(0.0, 0.0, 0.0, 0.0, 0.0, False, reason=f"ground truth unusable: {message}")


def stvg_reward(completion: Any, gt: Any, config: RewardConfig | None = None, *,
                prediction: Prediction | None = None, with_hota: bool = False) -> RewardResult:
    """Score one completion against its ground truth (see module docs); never raises.

    ``prediction`` skips parsing when the caller already has it; ``with_hota`` computes the
    per-query HOTA even when ``w_hota`` is 0 (multi-referent ground truth only).
    """
    cfg = config or _DEFAULT
    try:
        target = as_target(gt)
    except (ValueError, TypeError, RecursionError, OverflowError) as exc:
        return _bad_ground_truth(str(exc))
    image = (target.width, target.height)
    pred = prediction if prediction is not None else parse(completion, coords=cfg.coords, image_size=image)
    fmt = _format_score(pred, False)
    if not pred.ok:
        return RewardResult(0.0, 0.0, 0.0, 0.0, fmt, False, reason=pred.reason)
    if pred.units != "pixels":
        return RewardResult(0.0, 0.0, 0.0, 0.0, fmt, False, reason="prediction boxes are not in pixels")
    if not target.multi:
        track = pred.main_track()
        pred_tube = Tube.from_boxes(track.boxes) if track is not None else None
        s = tube_scores(pred_tube, target.tubes[0] if target.tubes else None)
        reason = pred.reason or ("" if track is not None else "the answer names no object")
        return RewardResult(cfg.w_t * s.tIoU + cfg.w_m * s.mvIoU, s.tIoU, s.mvIoU, s.vIoU, fmt, True,
                            reason=reason, label=track.label if track is not None else None)
    tracks = [t for t in pred.tracks if t.boxes]
    multi = assign([Tube.from_boxes(t.boxes) for t in tracks], list(target.tubes), cfg.w_t, cfg.w_m)
    by_gt = {p.gt_index: p for p in multi.pairs}
    details = tuple(
        PairDetail(gt_id=target.ids[i], label=tracks[by_gt[i].pred_index].label if i in by_gt else None,
                   scores=by_gt[i].scores if i in by_gt else TubeScores(0.0, 0.0, 0.0))
        for i in range(len(target.tubes)))
    hota_value = _query_hota([t.boxes for t in tracks], target) if (cfg.w_hota > 0 or with_hota) else None
    reward = cfg.w_t * multi.tIoU + cfg.w_m * multi.mvIoU + cfg.w_hota * (hota_value or 0.0)
    return RewardResult(reward, multi.tIoU, multi.mvIoU, multi.vIoU, fmt, True, reason=pred.reason,
                        hota=hota_value, referents=details)


def _query_hota(pred_boxes: list[Mapping[int, Any]], target: Target) -> float:
    """HOTA of the query at second level (seconds as frames); 1.0 when both sides are empty."""
    gt_rows = [(k, i, b) for i, t in enumerate(target.tubes) for k, b in t.boxes.items()]
    pr_rows = [(k, i, b) for i, boxes in enumerate(pred_boxes) for k, b in boxes.items()]
    if not gt_rows and not pr_rows:
        return 1.0
    gf, gi, gb = zip(*gt_rows) if gt_rows else ((), (), ())
    pf, pi, pb = zip(*pr_rows) if pr_rows else ((), (), ())
    return hota_from_arrays(gf, gi, gb, pf, pi, pb).HOTA  # type: ignore[union-attr]


_DEFAULT = RewardConfig()


def warm_up() -> None:
    """Load what the first multi-referent reward would otherwise import lazily (scipy's
    assignment solver, a few hundred ms): the trainer adapters call it when they are built, so
    no RL step pays it. ``import verifier`` itself stays light.

    >>> warm_up()
    """
    from scipy.optimize import linear_sum_assignment

    linear_sum_assignment([[1.0]], maximize=True)
