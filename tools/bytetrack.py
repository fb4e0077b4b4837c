"""Track detections across samples with ByteTrack, configured in seconds for 1-FPS input.

Ultralytics' :class:`~ultralytics.trackers.byte_tracker.BYTETracker` is fed any detector's boxes
(through ``ultralytics.engine.results.Boxes``). Its buffers count frames and assume 30 fps; here
every buffer and gate is given in seconds (:class:`TrackerConfig`) and scaled to the sample rate.
At 1 FPS a walking person often moves more than its own width between samples, so plain IoU
loses it (and a new track, whose Kalman velocity is zero, is never confirmed). So association is
motion-tolerant: each track's last box is moved by its last step (velocity), and IoU is taken
between boxes enlarged on every side by ``buffer_s`` box heights per second of sample period
(buffered IoU, as in C-BIoU; ``cost = min(iou_cost, biou_cost)``); new tracks are confirmed with the
same cost. With ``appearance=True`` the cost also admits pairs that do not overlap but lie within a
motion gate and look alike (a colour/intensity histogram of three horizontal stripes of the box),
and a pair that overlaps but looks clearly different is vetoed. ``bench/tools_throughput.py``
measures the ID switches with and without each cue.

Track boxes are the matched detections' boxes (not the Kalman estimate), keyed by sample index
(the second, at 1 FPS); a track's first sample is kept even though ByteTrack confirms it only
on its second.

>>> import numpy as np, supervision as sv
>>> dets = [sv.Detections(xyxy=np.array([[10.0 + 10 * i, 10, 40 + 10 * i, 80]]), confidence=np.array([0.9]),
...                       class_id=np.array([0]), data={"class_name": np.array(["person"])}) for i in range(4)]
>>> [(t.id, t.label, sorted(t.boxes)) for t in track(dets, sample_fps=1.0)]
[(1, 'person', [0, 1, 2, 3])]
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np
import supervision as sv

from tools.track import KINDS, Track, TrackerConfig, appearance_distance, appearance_feature
from verifier.result import Box

ULTRALYTICS_VERSION = "8.4.190"
"""The ultralytics release this subclass was written against (pinned in pyproject.toml): it overrides
BYTETracker internals (``init_track``, ``_apply_match``, ``_unconfirmed_association``, ``get_dists``)."""


def _tracker_class():
    """The ByteTrack subclass with the appearance cue (built lazily: ultralytics imports slowly)."""
    from tools.offline import apply_offline_env

    apply_offline_env()  # before ultralytics reads its settings (keeps it offline)
    from ultralytics.trackers.byte_tracker import BYTETracker
    from ultralytics.trackers.utils import matching

    class AppearanceByteTrack(BYTETracker):
        """BYTETracker with motion-tolerant (buffered, velocity-predicted) IoU and the appearance cue."""

        def __init__(self, args, config: TrackerConfig, sample_fps: float) -> None:
            super().__init__(args)
            self.config, self.sample_fps = config, sample_fps
            self.image: np.ndarray | None = None

        def init_track(self, results, img=None):
            tracks = super().init_track(results, None)
            for t in tracks:
                t.last_box, t.velocity = t.xyxy, np.zeros(2)
                if self.config.appearance and self.image is not None:
                    t.feat = appearance_feature(self.image, t.xyxy)
            return tracks

        def _apply_match(self, track, det, activated, refind) -> None:
            gap = max(1, self.frame_id - track.frame_id)
            step = (_centre(det.xyxy) - _centre(track.last_box)) / gap
            track.velocity = step  # the last step: scored better on the synthetic set than a running mean
            track.last_box = det.xyxy
            super()._apply_match(track, det, activated, refind)
            new = getattr(det, "feat", None)
            old = getattr(track, "feat", None)
            if new is not None:
                m = self.config.feature_momentum
                track.feat = new if old is None else (m * old + (1 - m) * new).astype(np.float32)

        def _unconfirmed_association(self, unconfirmed, u_detection, detections, activated, removed):
            # as BYTETracker's, but with match_thresh (its fixed 0.7 rejects 1-FPS motion) unless buffer_s=0
            detections = [detections[i] for i in u_detection]
            if not unconfirmed:
                return list(range(len(detections))), detections
            dists = self.get_dists(unconfirmed, detections)
            thresh = self.args.match_thresh if self.config.buffer_s else 0.7
            matches, u_unconfirmed, u_detection = matching.linear_assignment(dists, thresh=thresh)
            self._apply_matches(matches, unconfirmed, detections, activated, [])
            for it in u_unconfirmed:
                unconfirmed[it].mark_removed()
                removed.append(unconfirmed[it])
            return u_detection, detections

        def _predicted(self, tracks) -> tuple[np.ndarray, np.ndarray]:
            """Each track's last matched box moved by its velocity, and the samples since it was seen."""
            gap = np.array([max(1, self.frame_id - t.frame_id) for t in tracks], dtype=float)
            shift = np.array([t.velocity for t in tracks]) * gap[:, None]
            return np.array([t.last_box for t in tracks]) + np.tile(shift, 2), gap

        def get_dists(self, tracks, detections) -> np.ndarray:
            dists = matching.iou_distance(tracks, detections)
            if not len(tracks) or not len(detections):
                return dists
            # a track never jumps to an object of another kind (a walker onto the car beside him)
            kind = np.array([t.cls for t in tracks])[:, None] != np.array([d.cls for d in detections])[None, :]
            cfg = self.config
            pred, gap = self._predicted(tracks)
            d_box = np.array([d.xyxy for d in detections])
            if cfg.buffer_s > 0:
                # C-BIoU: both boxes enlarged on every side by the distance a person may stray between samples
                b = cfg.buffer_s * gap[:, None] / self.sample_fps
                biou = np.array([1 - matching.iou_distance([_grow(p, b[i, 0])], [_grow(q, b[i, 0]) for q in d_box])[0]
                                 for i, p in enumerate(pred)])
                dists = np.minimum(dists, 1 - biou)
            if self.args.fuse_score:
                dists = matching.fuse_score(dists, detections)
            if not cfg.appearance:
                return np.where(kind, 1.0, dists)
            app = np.full_like(dists, np.nan)  # NaN: a feature is missing, no appearance evidence
            for i, t in enumerate(tracks):
                tf = getattr(t, "feat", None)
                if tf is None:
                    continue
                for j, d in enumerate(detections):
                    df = getattr(d, "feat", None)
                    if df is not None:
                        app[i, j] = appearance_distance(tf, df)
            t_h = (pred[:, 3] - pred[:, 1])[:, None]
            d_h = (d_box[:, 3] - d_box[:, 1])[None, :]
            heights = np.minimum(t_h, d_h)
            shift = np.linalg.norm(_centre(pred)[:, None] - _centre(d_box)[None], axis=2) / np.maximum(heights, 1.0)
            ratio = np.maximum(t_h, d_h) / np.maximum(heights, 1.0)
            gate = cfg.motion_gate_s * gap[:, None] / self.sample_fps
            with np.errstate(invalid="ignore"):
                near = (shift <= gate) & (ratio <= cfg.size_ratio) & (app <= cfg.appearance_thresh)
                veto = app > cfg.appearance_veto
            # cost of an appearance match: between match_thresh * 0.5 and match_thresh, lower when closer/alike
            app_cost = self.args.match_thresh * (0.5 + 0.25 * app / cfg.appearance_thresh + 0.25 * shift / gate)
            dists = np.where(near, np.minimum(dists, app_cost), dists)
            return np.where(veto | kind, 1.0, dists)

    return AppearanceByteTrack


def _centre(box: np.ndarray) -> np.ndarray:
    """Centres of ``[..., 4]`` xyxy boxes."""
    return (box[..., :2] + box[..., 2:]) / 2


def _grow(box: np.ndarray, by: float) -> np.ndarray:
    """An xyxy box enlarged on every side by ``by`` times its height."""
    pad = by * (box[3] - box[1])
    return box + np.array([-pad, -pad, pad, pad])


def _kinds(det: sv.Detections, ids: dict[str, int]) -> np.ndarray:
    """One integer per detection naming its kind (:data:`KINDS`, else its class), stable via ``ids``."""
    names = [_label(det, i) for i in range(len(det))]
    return np.array([ids.setdefault(KINDS.get(n, n), len(ids)) for n in names], dtype=np.float32)


def _boxes(det: sv.Detections, shape: tuple[int, int], cls: np.ndarray):
    from ultralytics.engine.results import Boxes

    conf = det.confidence if det.confidence is not None else np.ones(len(det))
    data = np.column_stack([det.xyxy, conf, cls]).astype(np.float32).reshape(-1, 6)
    return Boxes(data, orig_shape=shape)


def _label(det: sv.Detections, idx: int) -> str:
    names = det.data.get("class_name") if det.data else None
    if names is not None and len(names) > idx:
        return str(names[idx])
    return str(int(det.class_id[idx])) if det.class_id is not None else "object"


def track(
    detections: Sequence[sv.Detections],
    sample_fps: float,
    config: TrackerConfig | None = None,
    images: Sequence[np.ndarray] | None = None,
) -> list[Track]:
    """Link per-sample detections into tracks (ids 1, 2, ... in order of first appearance).

    ``detections[i]`` belongs to sample ``i``; ``images`` (the sampled frames, BGR) enable the
    appearance cue. Each track's ``label`` is its detections' most frequent class (score-weighted).
    For streaming use :class:`Tracker` directly.
    """
    tracker = Tracker(sample_fps, config)
    for i, det in enumerate(detections):
        tracker.update(i, det, images[i] if images is not None else None)
    return tracker.tracks()


class Tracker:
    """Streaming form of :func:`track`: call :meth:`update` once per sample, then :meth:`tracks`.

    >>> t = Tracker(sample_fps=1.0)
    >>> t.tracks()
    []
    """

    def __init__(self, sample_fps: float, config: TrackerConfig | None = None) -> None:
        if sample_fps <= 0 or not math.isfinite(sample_fps):
            raise ValueError(f"sample_fps must be a positive number, got {sample_fps!r}")
        tracker_class = _tracker_class()
        from ultralytics.utils import IterableSimpleNamespace

        self.config = config or TrackerConfig()
        self.sample_fps = sample_fps
        cfg = self.config
        args = IterableSimpleNamespace(
            tracker_type="bytetrack", track_high_thresh=cfg.high_thresh, track_low_thresh=cfg.low_thresh,
            new_track_thresh=cfg.new_track_thresh, match_thresh=cfg.match_thresh, fuse_score=cfg.fuse_score,
            # BYTETracker lets a track last seen at sample L match again up to sample L + buffer + 2
            track_buffer=max(1, cfg.frames(cfg.lost_buffer_s, sample_fps) - 1),
        )
        self._bt = tracker_class(args, cfg, sample_fps)
        self._boxes: dict[int, dict[int, Box]] = defaultdict(dict)
        self._scores: dict[int, dict[int, float]] = defaultdict(dict)
        self._labels: dict[int, Counter[str]] = defaultdict(Counter)
        self._confirmed: set[int] = set()
        self._kind_ids: dict[str, int] = {}

    def update(self, index: int, det: sv.Detections, image: np.ndarray | None = None) -> None:
        """Feed the detections of sample ``index`` (and its image, for the appearance cue)."""
        shape = image.shape[:2] if image is not None else (100_000, 100_000)
        self._bt.image = image
        self._bt.update(_boxes(det, shape, _kinds(det, self._kind_ids)))
        bt = self._bt
        for st in bt.tracked_stracks:
            if st.frame_id != bt.frame_id:
                continue
            idx = int(st.idx)
            tid = int(st.track_id)
            x1, y1, x2, y2 = (float(v) for v in det.xyxy[idx])
            self._boxes[tid][index] = (x1, y1, x2, y2)
            score = float(det.confidence[idx]) if det.confidence is not None else 1.0
            self._scores[tid][index] = score
            self._labels[tid][_label(det, idx)] += score
            if st.is_activated:
                self._confirmed.add(tid)

    def tracks(self) -> list[Track]:
        """The confirmed tracks seen long enough so far, renumbered 1.. by first appearance."""
        min_samples = self.config.frames(self.config.min_seen_s, self.sample_fps) if self.config.min_seen_s else 1
        kept = [t for t in self._confirmed if len(self._boxes[t]) >= min_samples]
        kept.sort(key=lambda t: (min(self._boxes[t]), t))
        return [
            Track(id=n, label=self._labels[t].most_common(1)[0][0], boxes=dict(sorted(self._boxes[t].items())),
                  scores=dict(sorted(self._scores[t].items())))
            for n, t in enumerate(kept, start=1)
        ]
