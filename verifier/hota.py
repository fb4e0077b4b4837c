"""HOTA (Luiten et al., IJCV 2021) computed exactly as TrackEval 1.3.0 does, vectorised.

Per sequence, for alphas ``0.05 .. 0.95``: ids relabelled to ``0..N-1``; per frame the IoU matrix
``S``; the global alignment ``A`` from ``S / (rowsum + colsum - S)`` summed over frames; per frame one
Hungarian match maximising ``A * S``, shared by all alphas; TP at alpha iff ``S >= alpha - eps``;
then DetA / AssA / LocA and friends. :func:`combine_hota` pools sequences the way TrackEval does
(sums of TP/FN/FP, TP-weighted AssA/AssRe/AssPr/LocA), which is NOT a mean of per-sequence HOTA.
The arithmetic is done in the same order as TrackEval, so the numbers agree to the last bit.

Edge cases follow TrackEval: an empty prediction, an empty ground truth, or both give HOTA 0.

>>> gt = {1: {7: (0, 0, 10, 10)}, 2: {7: (1, 0, 11, 10)}}
>>> round(hota(gt, gt).HOTA, 6)
1.0
>>> res = hota(gt, {1: {3: (0, 0, 10, 10)}})
>>> round(res.DetA, 4), round(res.AssA, 4)
(0.5, 0.5)
>>> round(combine_hota([res, hota(gt, gt)]).HOTA, 4)
0.7906
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

ALPHAS: np.ndarray = np.arange(0.05, 0.99, 0.05)
"""The 19 localisation thresholds, built exactly as TrackEval builds them."""

ARRAY_FIELDS = ("HOTA", "DetA", "AssA", "DetRe", "DetPr", "AssRe", "AssPr", "LocA", "OWTA")
COUNT_FIELDS = ("HOTA_TP", "HOTA_FN", "HOTA_FP")
SUMMARY_KEYS = ("HOTA", "DetA", "AssA", "DetRe", "DetPr", "AssRe", "AssPr", "LocA")
"""The sub-metrics the CLI and SVAGEval report (means over alphas)."""

_EPS = float(np.finfo("float").eps)


@dataclass(frozen=True)
class HotaResult:
    """HOTA of one sequence (or of pooled sequences): per-alpha arrays plus their summaries.

    ``per_alpha`` maps every TrackEval field (HOTA, DetA, AssA, DetRe, DetPr, AssRe, AssPr, LocA,
    OWTA, HOTA_TP, HOTA_FN, HOTA_FP) to its 19-value array; the attributes ``HOTA``, ``DetA``, ...
    are the means over alphas (what TrackEval reports); ``HOTA0`` / ``LocA0`` are the alpha-0.05
    values (TrackEval's ``HOTA(0)`` / ``LocA(0)``).
    """

    per_alpha: Mapping[str, np.ndarray]
    alphas: np.ndarray = field(default_factory=lambda: ALPHAS.copy())

    def _mean(self, name: str) -> float:
        return float(np.mean(self.per_alpha[name]))

    HOTA = property(lambda self: self._mean("HOTA"), doc="mean HOTA over alphas")
    DetA = property(lambda self: self._mean("DetA"), doc="detection accuracy")
    AssA = property(lambda self: self._mean("AssA"), doc="association accuracy")
    DetRe = property(lambda self: self._mean("DetRe"), doc="detection recall")
    DetPr = property(lambda self: self._mean("DetPr"), doc="detection precision")
    AssRe = property(lambda self: self._mean("AssRe"), doc="association recall")
    AssPr = property(lambda self: self._mean("AssPr"), doc="association precision")
    LocA = property(lambda self: self._mean("LocA"), doc="localisation accuracy")
    OWTA = property(lambda self: self._mean("OWTA"), doc="open-world tracking accuracy")
    HOTA0 = property(lambda self: float(self.per_alpha["HOTA"][0]), doc="HOTA at alpha 0.05")
    LocA0 = property(lambda self: float(self.per_alpha["LocA"][0]), doc="LocA at alpha 0.05")

    def summary(self) -> dict[str, float]:
        """Means over alphas plus ``HOTA(0)``, ``LocA(0)``, ``HOTALocA(0)``, as fractions."""
        out = {name: self._mean(name) for name in ARRAY_FIELDS}
        out["HOTA(0)"] = self.HOTA0
        out["LocA(0)"] = self.LocA0
        out["HOTALocA(0)"] = self.HOTA0 * self.LocA0
        return out

    def brief(self) -> dict[str, float]:
        """Just :data:`SUMMARY_KEYS` (HOTA, DetA, AssA, DetRe, DetPr, AssRe, AssPr, LocA)."""
        return {name: self._mean(name) for name in SUMMARY_KEYS}


@dataclass(frozen=True)
class HotaMatches:
    """Per-frame matching details of one sequence (what SVAGEval's ID mapping votes with).

    Rows are ordered by frame, then by their order inside the frame. ``gt_pos`` / ``pr_pos`` are a
    detection's position within its frame; ids are the contiguous ids (index into ``gt_ids`` /
    ``pr_ids``, the sorted original ids). ``match_*`` list the Hungarian matches of every frame;
    ``match_sim`` their IoU, so ``match_sim >= alpha - eps`` selects the matches at ``alpha``.
    """

    gt_ids: np.ndarray
    pr_ids: np.ndarray
    gt_frame: np.ndarray
    gt_id: np.ndarray
    gt_pos: np.ndarray
    pr_frame: np.ndarray
    pr_id: np.ndarray
    pr_pos: np.ndarray
    match_frame: np.ndarray
    match_gt_pos: np.ndarray
    match_pr_pos: np.ndarray
    match_gt_id: np.ndarray
    match_pr_id: np.ndarray
    match_sim: np.ndarray


def _final_fields(res: dict[str, np.ndarray]) -> None:
    """TrackEval's ``_compute_final_fields`` (same operations, same order)."""
    tp, fn, fp = res["HOTA_TP"], res["HOTA_FN"], res["HOTA_FP"]
    res["DetRe"] = tp / np.maximum(1, tp + fn)
    res["DetPr"] = tp / np.maximum(1, tp + fp)
    res["DetA"] = tp / np.maximum(1, tp + fn + fp)
    res["HOTA"] = np.sqrt(res["DetA"] * res["AssA"])
    res["OWTA"] = np.sqrt(res["DetRe"] * res["AssA"])


def _empty_result(num_gt: int, num_pr: int) -> HotaResult:
    """TrackEval's early return for an empty side: zeros, LocA 1, all detections FN (or FP)."""
    n = len(ALPHAS)
    res = {name: np.zeros(n) for name in ARRAY_FIELDS + COUNT_FIELDS}
    if num_pr == 0:
        res["HOTA_FN"] = num_gt * np.ones(n)
    else:
        res["HOTA_FP"] = num_pr * np.ones(n)
    res["LocA"] = np.ones(n)
    return HotaResult(per_alpha=res)


def _as_rows(frames: Sequence[int] | np.ndarray, ids: Sequence[int] | np.ndarray,
             boxes: Sequence[Sequence[float]] | np.ndarray, fmt: str, side: str
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    f = np.asarray(frames, dtype=np.int64).reshape(-1)
    i = np.asarray(ids, dtype=np.int64).reshape(-1)
    b = np.array(boxes, dtype=float).reshape(-1, 4) if len(f) else np.zeros((0, 4))
    if not (len(f) == len(i) == len(b)):
        raise ValueError(f"{side}: frames, ids and boxes differ in length ({len(f)}, {len(i)}, {len(b)})")
    if not np.isfinite(b).all():
        raise ValueError(f"{side}: boxes must be finite numbers")
    if fmt == "xywh":
        b[:, 2] = b[:, 0] + b[:, 2]
        b[:, 3] = b[:, 1] + b[:, 3]
    elif fmt != "xyxy":
        raise ValueError(f"box_format must be 'xyxy' or 'xywh', got {fmt!r}")
    order = np.argsort(f, kind="stable")
    return f[order], i[order], b[order]


def _positions(frames: np.ndarray) -> np.ndarray:
    """Position of each row inside its frame (rows sorted by frame)."""
    if not len(frames):
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(np.diff(frames)) + 1]
    counts = np.diff(np.r_[starts, len(frames)])
    return np.arange(len(frames)) - np.repeat(starts, counts)


def _relabel(frames: np.ndarray, ids: np.ndarray, side: str) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique original ids and each row's contiguous id; ids must be unique per frame."""
    uniq, cid = np.unique(ids, return_inverse=True)
    cid = cid.reshape(-1)
    if len(frames):
        rank = np.r_[0, np.cumsum(np.diff(frames) != 0)]
        key = np.sort(rank * len(uniq) + cid)
        dup = np.flatnonzero(np.diff(key) == 0)
        if len(dup):
            r, i = divmod(int(key[dup[0]]), len(uniq))
            frame = frames[np.searchsorted(rank, r)]
            raise ValueError(f"{side}: id {uniq[i]} appears more than once in frame {frame}")
    return uniq, cid


def hota_from_arrays(
    gt_frames: Sequence[int] | np.ndarray,
    gt_ids: Sequence[int] | np.ndarray,
    gt_boxes: Sequence[Sequence[float]] | np.ndarray,
    pr_frames: Sequence[int] | np.ndarray,
    pr_ids: Sequence[int] | np.ndarray,
    pr_boxes: Sequence[Sequence[float]] | np.ndarray,
    *,
    box_format: Literal["xyxy", "xywh"] = "xyxy",
    return_matches: bool = False,
) -> HotaResult | tuple[HotaResult, HotaMatches]:
    """HOTA of one sequence from flat detection rows (one row per box).

    ``*_frames`` are any integers (frame or second index), ``*_ids`` integer track ids (unique
    within a frame), ``*_boxes`` ``(N, 4)`` in ``box_format``. Rows keep their order inside a frame
    (it decides Hungarian ties exactly as TrackEval's file order does). With ``return_matches`` the
    per-frame matches come back too (:class:`HotaMatches`).

    >>> r = hota_from_arrays([1, 2], [5, 5], [[0, 0, 4, 4], [0, 0, 4, 4]],
    ...                      [1, 2], [9, 8], [[0, 0, 4, 4], [0, 0, 4, 4]])
    >>> round(r.DetA, 3), round(r.AssA, 3)      # an id switch halves association
    (1.0, 0.5)
    """
    gf, gi, gb = _as_rows(gt_frames, gt_ids, gt_boxes, box_format, "ground truth")
    pf, pi, pb = _as_rows(pr_frames, pr_ids, pr_boxes, box_format, "prediction")
    g_uniq, g_id = _relabel(gf, gi, "ground truth")
    p_uniq, p_id = _relabel(pf, pi, "prediction")
    if len(pf) == 0 or len(gf) == 0:
        res = _empty_result(len(gf), len(pf))
        if not return_matches:
            return res
        e = np.zeros(0, dtype=np.int64)
        return res, HotaMatches(g_uniq, p_uniq, gf, g_id, _positions(gf), pf, p_id, _positions(pf),
                                e, e, e, e, e, np.zeros(0))
    res, matches = _hota_core(gf, g_id, gb, len(g_uniq), pf, p_id, pb, len(p_uniq))
    if not return_matches:
        return res
    _, mg_row, mp_row, m_sim = matches
    return res, HotaMatches(
        gt_ids=g_uniq, pr_ids=p_uniq, gt_frame=gf, gt_id=g_id, gt_pos=_positions(gf),
        pr_frame=pf, pr_id=p_id, pr_pos=_positions(pf), match_frame=gf[mg_row],
        match_gt_pos=_positions(gf)[mg_row], match_pr_pos=_positions(pf)[mp_row],
        match_gt_id=g_id[mg_row], match_pr_id=p_id[mp_row], match_sim=m_sim,
    )


def _dense_sums(values: np.ndarray, positions: np.ndarray, segment: np.ndarray, length: np.ndarray,
                n_segments: int) -> np.ndarray:
    """Sum of each dense segment given its non-zero ``values``, exactly as numpy reduces it.

    ``segment[i]`` is the segment of ``values[i]`` and ``positions[i]`` its place inside it;
    ``length`` is every segment's dense length. A segment with at most one non-zero sums to that
    value whatever the order; the others are rebuilt densely and reduced by numpy along their
    contiguous axis (the loop numpy runs for ``matrix.sum(1)``), so every sum is bit-identical to
    summing the full dense row the way TrackEval does.
    """
    out = np.zeros(n_segments)
    count = np.bincount(segment, minlength=n_segments)
    one = count[segment] == 1
    out[segment[one]] = values[one]
    many = ~one
    if many.any():
        seg_m, pos_m, val_m = segment[many], positions[many], values[many]
        for n in np.unique(length[seg_m]).tolist():
            sel = length[seg_m] == n
            segs, inverse = np.unique(seg_m[sel], return_inverse=True)
            dense = np.zeros((len(segs), n))
            dense[inverse, pos_m[sel]] = val_m[sel]
            out[segs] = dense.sum(1)
    return out


def _hota_core(gf: np.ndarray, g_id: np.ndarray, gb: np.ndarray, n_g: int,
               pf: np.ndarray, p_id: np.ndarray, pb: np.ndarray, n_p: int
               ) -> tuple[HotaResult, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    from scipy.optimize import linear_sum_assignment  # lazy: keeps `import verifier` light

    # Frame blocks present on both sides (rows are sorted by frame).
    g_fr, g_start, g_cnt = _runs(gf)
    p_fr, p_start, p_cnt = _runs(pf)
    common, gi_idx, pi_idx = np.intersect1d(g_fr, p_fr, assume_unique=True, return_indices=True)
    gs, gn = g_start[gi_idx], g_cnt[gi_idx]
    ps, pn = p_start[pi_idx], p_cnt[pi_idx]
    n_blk = len(common)
    sizes = gn * pn
    offsets = np.r_[0, np.cumsum(sizes)]
    total = int(offsets[-1])

    # The overlapping pairs of every common frame; all other pairs have IoU exactly 0 and add
    # nothing to any sum, so only these are computed.
    blk, row_in, col_in = _overlapping_pairs(gb, gs, gn, pb, ps, pn, total)
    g_row, p_row = gs[blk] + row_in, ps[blk] + col_in
    sim_c = _gathered_iou(gb, g_row, pb, p_row)
    nz = sim_c > 0
    s = sim_c[nz]                                     # IoU of the non-zero pairs
    r_nz, c_nz, b_nz = row_in[nz], col_in[nz], blk[nz]
    gr_nz, pr_nz = g_row[nz], p_row[nz]
    pos = offsets[:-1][b_nz] + r_nz * pn[b_nz] + c_nz   # index in the frame-major dense layout

    # Row and column sums per frame, in the order numpy (and so TrackEval) sums them.
    row_len = np.zeros(len(gf), dtype=np.int64)
    row_len[gr_nz] = pn[b_nz]
    rowsum = _dense_sums(s, c_nz, gr_nz, row_len, len(gf))
    colsum = np.bincount(pr_nz, weights=s, minlength=len(pf))       # sequential over rows
    single = pn[b_nz] == 1                         # an (n, 1) matrix is reduced pairwise, like a row
    if single.any():
        col_len = np.zeros(len(pf), dtype=np.int64)
        col_len[pr_nz] = gn[b_nz]
        colsum_single = _dense_sums(s[single], r_nz[single], pr_nz[single], col_len, len(pf))
        colsum[pr_nz[single]] = colsum_single[pr_nz[single]]
    denom = colsum[pr_nz] + rowsum[gr_nz] - s
    sim_iou = np.zeros(len(s))
    ok = denom > 0 + _EPS
    sim_iou[ok] = s[ok] / denom[ok]

    pair_gid, pair_pid = g_id[gr_nz], p_id[pr_nz]
    potential = np.bincount(pair_gid * n_p + pair_pid, weights=sim_iou, minlength=n_g * n_p).reshape(n_g, n_p)
    gt_count = np.bincount(g_id, minlength=n_g).astype(float)[:, np.newaxis]
    pr_count = np.bincount(p_id, minlength=n_p).astype(float)[np.newaxis, :]
    alignment = potential / (gt_count + pr_count - potential)
    neg_score = np.zeros(total)
    neg_score[pos] = -(alignment[pair_gid, pair_pid] * s)
    sim = np.zeros(total)
    sim[pos] = s

    # One Hungarian match per frame, shared by all alphas. Only matches with IoU > 0 can count at
    # any alpha, and every such pair has a positive score. In a frame where no row and no column
    # holds two of them, the optimal assignment contains exactly those pairs (all are disjoint and
    # positive), so the Hungarian method runs only on the other frames.
    shared = (np.bincount(gr_nz, minlength=len(gf))[gr_nz] > 1) | (np.bincount(pr_nz, minlength=len(pf))[pr_nz] > 1)
    contested = np.unique(b_nz[shared])
    simple = ~np.isin(b_nz, contested)
    blocks, rows_all, cols_all = [b_nz[simple]], [r_nz[simple]], [c_nz[simple]]
    counts = []
    for b in contested.tolist():
        o0, o1, ng, npr = int(offsets[b]), int(offsets[b + 1]), int(gn[b]), int(pn[b])
        rows, cols = linear_sum_assignment(neg_score[o0:o1].reshape(ng, npr))
        rows_all.append(rows)
        cols_all.append(cols)
        counts.append(len(rows))
    blocks.append(np.repeat(contested, counts))
    m_blk = np.concatenate(blocks).astype(np.int64)
    order = np.argsort(m_blk, kind="stable")               # frame order; rows ascending inside
    m_blk = m_blk[order]
    m_rin = np.concatenate(rows_all).astype(np.int64)[order]
    m_cin = np.concatenate(cols_all).astype(np.int64)[order]
    m_sim = sim[offsets[:-1][m_blk] + m_rin * pn[m_blk] + m_cin]
    mg_row, mp_row = gs[m_blk] + m_rin, ps[m_blk] + m_cin
    mg_id, mp_id = g_id[mg_row], p_id[mp_row]

    n_a = len(ALPHAS)
    res = {name: np.zeros(n_a) for name in ARRAY_FIELDS + COUNT_FIELDS}
    passed = m_sim[np.newaxis, :] >= ALPHAS[:, np.newaxis] - _EPS        # (alphas, matches)
    tp = passed.sum(1).astype(float)
    res["HOTA_TP"] = tp
    res["HOTA_FN"] = len(gf) - tp
    res["HOTA_FP"] = len(pf) - tp
    # LocA: per-frame sums in match order, then summed over frames in frame order.
    frame_sums = np.bincount((np.arange(n_a)[:, np.newaxis] * n_blk + m_blk[np.newaxis, :]).reshape(-1),
                             weights=(passed * m_sim[np.newaxis, :]).reshape(-1),
                             minlength=n_a * n_blk).reshape(n_a, n_blk)
    loc_sum = np.add.accumulate(frame_sums, axis=1)[:, -1] if n_blk else np.zeros(n_a)
    pair_key = mg_id * n_p + mp_id
    for a in range(n_a):
        mc = np.bincount(pair_key[passed[a]], minlength=n_g * n_p).reshape(n_g, n_p).astype(float)
        ass_a = mc / np.maximum(1, gt_count + pr_count - mc)
        res["AssA"][a] = np.sum(mc * ass_a) / np.maximum(1, tp[a])
        ass_re = mc / np.maximum(1, gt_count)
        res["AssRe"][a] = np.sum(mc * ass_re) / np.maximum(1, tp[a])
        ass_pr = mc / np.maximum(1, pr_count)
        res["AssPr"][a] = np.sum(mc * ass_pr) / np.maximum(1, tp[a])
    res["LocA"] = np.maximum(1e-10, loc_sum) / np.maximum(1e-10, tp)
    _final_fields(res)
    return HotaResult(per_alpha=res), (m_blk, mg_row, mp_row, m_sim)


def _overlapping_pairs(gb: np.ndarray, gs: np.ndarray, gn: np.ndarray, pb: np.ndarray, ps: np.ndarray,
                       pn: np.ndarray, total: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frame block, gt row in frame, pred row in frame) of the pairs whose boxes overlap.

    Frames are padded to the largest one and compared by broadcasting (no gathers); when one huge
    frame would make the padding wasteful, every pair is enumerated instead.
    """
    n_blk = len(gs)
    if n_blk == 0:
        e = np.zeros(0, dtype=np.int64)
        return e, e, e
    g_max, p_max = int(gn.max()), int(pn.max())
    if n_blk * g_max * p_max <= 4 * total + 4096:
        def padded(boxes: np.ndarray, start: np.ndarray, count: np.ndarray, width: int) -> list[np.ndarray]:
            slot = np.arange(width)[np.newaxis, :]
            valid = slot < count[:, np.newaxis]
            src = boxes[np.where(valid, start[:, np.newaxis] + slot, 0)]
            fill = (np.inf, np.inf, -np.inf, -np.inf)     # padding boxes overlap nothing
            return [np.where(valid, src[..., i], fill[i]) if i in (0, 2) else src[..., i] for i in range(4)]
        gx1, _, gx2, _ = (c[:, :, np.newaxis] for c in padded(gb, gs, gn, g_max))
        px1, _, px2, _ = (c[:, np.newaxis, :] for c in padded(pb, ps, pn, p_max))
        # necessary for a positive x-overlap; extra candidates are harmless (their IoU is computed)
        blk, row_in, col_in = np.nonzero((px1 < gx2) & (gx1 < px2))
        g, p = gb[gs[blk] + row_in], pb[ps[blk] + col_in]
        keep = np.flatnonzero(np.minimum(g[:, 3], p[:, 3]) > np.maximum(g[:, 1], p[:, 1]))
        return blk[keep], row_in[keep], col_in[keep]
    offsets = np.r_[0, np.cumsum(gn * pn)]
    blk = np.repeat(np.arange(n_blk), gn * pn)
    k = np.arange(total) - offsets[:-1][blk]
    row_in = k // pn[blk]
    col_in = k - row_in * pn[blk]
    g, p = gb[gs[blk] + row_in], pb[ps[blk] + col_in]
    keep = np.flatnonzero((np.minimum(g[:, 2], p[:, 2]) > np.maximum(g[:, 0], p[:, 0]))
                          & (np.minimum(g[:, 3], p[:, 3]) > np.maximum(g[:, 1], p[:, 1])))
    return blk[keep], row_in[keep], col_in[keep]


def _runs(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frame value, first row, row count) of each run of a sorted frame array."""
    starts = np.r_[0, np.flatnonzero(np.diff(frames)) + 1] if len(frames) else np.zeros(0, dtype=np.int64)
    return frames[starts], starts, np.diff(np.r_[starts, len(frames)])


def _gathered_iou(gb: np.ndarray, g_row: np.ndarray, pb: np.ndarray, p_row: np.ndarray) -> np.ndarray:
    """IoU of the pairs ``(gb[g_row], pb[p_row])``: TrackEval's formula, element by element."""
    gx1, gy1, gx2, gy2 = gb[g_row].T
    px1, py1, px2, py2 = pb[p_row].T
    inter = np.maximum(np.minimum(gx2, px2) - np.maximum(gx1, px1), 0)
    inter *= np.maximum(np.minimum(gy2, py2) - np.maximum(gy1, py1), 0)
    area1 = (gx2 - gx1) * (gy2 - gy1)
    area2 = (px2 - px1) * (py2 - py1)
    union = area1 + area2 - inter
    inter[(area1 <= _EPS) | (area2 <= _EPS) | (union <= _EPS)] = 0
    union[union <= _EPS] = 1
    return inter / union


FrameBoxes = Mapping[int, Mapping[int, Sequence[float]]]
"""``{frame: {track_id: box}}`` - one sequence, any integer frame (or second) index."""


def _flatten(frames: FrameBoxes) -> tuple[list[int], list[int], list[Sequence[float]]]:
    fr: list[int] = []
    ids: list[int] = []
    boxes: list[Sequence[float]] = []
    for f, dets in frames.items():
        for i, b in dets.items():
            fr.append(int(f))
            ids.append(int(i))
            boxes.append(b)
    return fr, ids, boxes


def hota(gt: FrameBoxes, pred: FrameBoxes, *, box_format: Literal["xyxy", "xywh"] = "xyxy") -> HotaResult:
    """HOTA of one sequence given as ``{frame: {track_id: box}}`` for ground truth and prediction.

    >>> gt = {0: {1: (0, 0, 10, 10), 2: (20, 0, 30, 10)}}
    >>> round(hota(gt, {0: {5: (0, 0, 10, 10)}}).DetRe, 3)
    0.5
    """
    return hota_from_arrays(*_flatten(gt), *_flatten(pred), box_format=box_format)


def combine_hota(results: Iterable[HotaResult] | Mapping[str, HotaResult]) -> HotaResult:
    """Pool sequences exactly as TrackEval's ``combine_sequences`` (not a mean of HOTA values).

    >>> combine_hota([hota({}, {})]).HOTA, combine_hota([]).LocA
    (0.0, 1.0)
    """
    items = list(results.values()) if isinstance(results, Mapping) else list(results)
    if not items:
        return _empty_result(0, 0)
    res: dict[str, np.ndarray] = {}
    for name in COUNT_FIELDS:
        res[name] = sum([r.per_alpha[name] for r in items])
    for name in ("AssRe", "AssPr", "AssA"):
        res[name] = sum([r.per_alpha[name] * r.per_alpha["HOTA_TP"] for r in items]) / np.maximum(
            1.0, res["HOTA_TP"])
    loca_weighted = sum([r.per_alpha["LocA"] * r.per_alpha["HOTA_TP"] for r in items])
    res["LocA"] = np.maximum(1e-10, loca_weighted) / np.maximum(1e-10, res["HOTA_TP"])
    _final_fields(res)
    return HotaResult(per_alpha=res)
