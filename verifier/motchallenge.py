"""MOTChallenge text files: read them and score a directory of sequences with HOTA.

A row is ``frame,id,x,y,w,h,conf[,class,visibility,...]`` (1-based frame, pixels; commas or
whitespace). As in TrackEval, ``x2 = x + w``, a ground-truth row whose ``conf`` (as an integer) is
0 is ignored, and ids must be unique within a frame. ``preprocess="MOT17"`` / ``"MOT20"`` also
applies TrackEval's MOTChallenge preprocessing: only class-1 (pedestrian) ground truth is scored and
predictions matched (IoU >= 0.5) to a distractor class are removed.

A directory holds ``<sequence>.txt`` files (or the MOTChallenge layout ``<sequence>/gt/gt.txt`` for
ground truth); a ground-truth sequence without a prediction file counts as an empty prediction.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "s.txt").write_text("1,1,0,0,10,10,1,1,1\\n2,1,1,0,10,10,1,1,1\\n")
>>> read_mot_txt(d / "s.txt").boxes[1].tolist()
[1.0, 0.0, 11.0, 10.0]
>>> combined, per_seq = evaluate_mot_dirs(d, d)
>>> round(combined.HOTA, 6), list(per_seq)
(1.0, ['s'])
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from verifier.boxes import iou_matrix
from verifier.hota import HotaResult, combine_hota, hota_from_arrays

Preprocess = Literal["none", "MOT17", "MOT20"]

_SPLIT = re.compile(r"[,\s]+")
_EPS = float(np.finfo("float").eps)
_VALID_CLASSES = set(range(1, 14))
_DISTRACTORS = {"MOT17": {2, 7, 8, 12}, "MOT20": {2, 6, 7, 8, 12}}


class MotFormatError(ValueError):
    """A MOTChallenge file that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class MotRows:
    """The rows of one file: 1-based frames, ids, xyxy boxes, conf, and class (-1 when absent)."""

    frames: np.ndarray
    ids: np.ndarray
    boxes: np.ndarray
    conf: np.ndarray
    classes: np.ndarray
    has_class: bool

    def take(self, mask: np.ndarray) -> MotRows:
        """The rows selected by a boolean mask."""
        return MotRows(self.frames[mask], self.ids[mask], self.boxes[mask], self.conf[mask],
                       self.classes[mask], self.has_class)


def read_mot_txt(path: str | Path) -> MotRows:
    """Read one MOTChallenge file; raises :class:`MotFormatError` naming the file and line."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise MotFormatError(f"{path}: file does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MotFormatError(f"{path}: cannot read it as text ({exc})") from None
    frames, ids, boxes, conf, classes = [], [], [], [], []
    has_class = True
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        parts = [p for p in _SPLIT.split(line) if p]
        if len(parts) < 6:
            raise MotFormatError(f"{path}, line {n}: expected frame,id,x,y,w,h,... but got {len(parts)} "
                                 f"value(s): {line[:80]!r}")
        try:
            vals = [float(p) for p in parts]
        except ValueError:
            raise MotFormatError(f"{path}, line {n}: not all values are numbers: {line[:80]!r}") from None
        if not all(math.isfinite(v) for v in vals[:7]):
            raise MotFormatError(f"{path}, line {n}: non-finite value: {line[:80]!r}")
        frame = int(vals[0])
        if frame < 1:
            raise MotFormatError(f"{path}, line {n}: frames are 1-based, got {parts[0]}")
        x, y, w, h = vals[2:6]
        frames.append(frame)
        ids.append(int(vals[1]))
        boxes.append((x, y, x + w, y + h))
        conf.append(vals[6] if len(vals) > 6 else 1.0)
        classes.append(int(vals[7]) if len(vals) > 7 else -1)
        has_class = has_class and len(vals) > 7
    return MotRows(np.asarray(frames, dtype=np.int64), np.asarray(ids, dtype=np.int64),
                   np.asarray(boxes, dtype=float).reshape(-1, 4), np.asarray(conf, dtype=float),
                   np.asarray(classes, dtype=np.int64), has_class and bool(frames))


def _check_ids(rows: MotRows, path: Path) -> None:
    key = np.stack([rows.frames, rows.ids], axis=1)
    uniq, counts = np.unique(key, axis=0, return_counts=True)
    if (counts > 1).any():
        f, i = uniq[np.argmax(counts > 1)]
        raise MotFormatError(f"{path}: id {i} appears more than once in frame {f}")


def preprocess_sequence(gt: MotRows, pred: MotRows, preprocess: Preprocess, gt_path: Path | str = "ground truth"
                        ) -> tuple[MotRows, MotRows]:
    """TrackEval's MOTChallenge preprocessing (see module docs); ``"none"`` only drops
    zero-marked ground truth."""
    from scipy.optimize import linear_sum_assignment  # lazy: keeps `import verifier` light

    keep_gt = gt.conf.astype(int) != 0
    if preprocess == "none":
        return gt.take(keep_gt), pred
    if preprocess not in _DISTRACTORS:
        raise ValueError(f"preprocess must be 'none', 'MOT17' or 'MOT20', got {preprocess!r}")
    if len(gt.frames) and not gt.has_class:
        raise MotFormatError(f"{gt_path}: {preprocess} preprocessing needs a class column (8th value)")
    bad = sorted(set(gt.classes.tolist()) - _VALID_CLASSES)
    if bad and len(pred.frames):
        raise MotFormatError(f"{gt_path}: invalid MOTChallenge classes {bad} (valid: 1-13)")
    if len(pred.frames) and pred.has_class and pred.classes.max() > 1:
        raise MotFormatError(f"prediction for {gt_path}: only the pedestrian class (1) can be evaluated")
    distractors = _DISTRACTORS[preprocess]
    remove = np.zeros(len(pred.frames), dtype=bool)
    for f in np.intersect1d(gt.frames, pred.frames):
        gi = np.flatnonzero(gt.frames == f)
        pi = np.flatnonzero(pred.frames == f)
        scores = iou_matrix(gt.boxes[gi], pred.boxes[pi])
        scores[scores < 0.5 - _EPS] = 0
        rows, cols = linear_sum_assignment(-scores)
        matched = scores[rows, cols] > 0 + _EPS
        rows, cols = rows[matched], cols[matched]
        remove[pi[cols[np.isin(gt.classes[gi][rows], list(distractors))]]] = True
    return gt.take(keep_gt & (gt.classes == 1)), pred.take(~remove)


def evaluate_sequence(gt_path: str | Path, pred_path: str | Path | None, preprocess: Preprocess = "none") -> HotaResult:
    """HOTA of one sequence file pair (``pred_path=None``: empty prediction)."""
    gt = read_mot_txt(gt_path)
    _check_ids(gt, Path(gt_path))
    if pred_path is None:
        pred = MotRows(*(np.zeros(0, dtype=np.int64),) * 2, np.zeros((0, 4)), np.zeros(0),
                       np.zeros(0, dtype=np.int64), False)
    else:
        pred = read_mot_txt(pred_path)
        _check_ids(pred, Path(pred_path))
    gt, pred = preprocess_sequence(gt, pred, preprocess, gt_path)
    return hota_from_arrays(gt.frames, gt.ids, gt.boxes, pred.frames, pred.ids, pred.boxes)  # type: ignore[return-value]


def find_sequences(gt_dir: str | Path) -> dict[str, Path]:
    """Sequence name -> ground-truth file: ``<seq>.txt`` or ``<seq>/gt/gt.txt``."""
    root = Path(gt_dir)
    if not root.is_dir():
        raise MotFormatError(f"{root}: ground-truth directory does not exist")
    found = {p.stem: p for p in root.glob("*.txt")}
    found.update({p.parent.parent.name: p for p in root.glob("*/gt/gt.txt")})
    if not found:
        raise MotFormatError(f"{root}: no <sequence>.txt (or <sequence>/gt/gt.txt) files")
    return dict(sorted(found.items()))


def evaluate_mot_dirs(gt_dir: str | Path, pred_dir: str | Path, preprocess: Preprocess = "none"
                      ) -> tuple[HotaResult, dict[str, HotaResult]]:
    """(combined, per-sequence) HOTA of every ground-truth sequence in ``gt_dir``."""
    pred_root = Path(pred_dir)
    if not pred_root.is_dir():
        raise MotFormatError(f"{pred_root}: prediction directory does not exist")
    per_seq = {}
    for name, gt_path in find_sequences(gt_dir).items():
        pred_path = pred_root / f"{name}.txt"
        per_seq[name] = evaluate_sequence(gt_path, pred_path if pred_path.is_file() else None, preprocess)
    return combine_hota(per_seq), per_seq
