"""Verifier speed: reward throughput on one core, HOTA time against TrackEval (same run), and a
fuzz of every reward entry point with pathological completions.

    .venv/bin/python bench/verifier_bench.py [--calls 3000] [--repeats 5] [--fuzz 20000] [--seed 0]

Times are the process's CPU time (one thread = one core; robust to other jobs on a shared
machine), best of ``--repeats``; wall-clock figures are printed beside them.

Reward cases: a 60-second single-referent GLM-V answer (with a reasoning block) scored against a
60-second ground truth, and a 5-referent answer against 5 true referents (Hungarian assignment).
HOTA case: a MOT17-size sequence (600 frames, 40 ground-truth / 50 predicted ids); TrackEval's time
includes its per-frame IoU and ``HOTA.eval_sequence``, ours ``hota_from_arrays`` from the same rows;
both are timed alternately and the best of ``--repeats`` is kept, and every per-alpha field is
compared. Goals: >= 5,000 single-referent rewards/s; HOTA >= 5x faster with identical numbers.
Fuzz (``bench/verifier_fuzz.py``): ``--fuzz`` completions (thousands of seconds and referents,
309+ digit integers, 1e309, NaN literals, deep nesting, truncation, 1% of 0.5-2 MB) through
parse, format_reward, stvg_reward (one and several referents), verify, verl compute_score,
TrlReward (both kinds), OpenRLHF reward_func and score_batch; then the 309-digit and 2 MB
completions alone. Goals: 0 exceptions, p99 under 10 ms, a 2 MB completion well under a second.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.verifier_fuzz import fuzz, run_entry_points
from verifier.hota import ARRAY_FIELDS, COUNT_FIELDS, hota_from_arrays
from verifier.rewards import RewardConfig, stvg_reward

W, H = 1280, 720


def _norm(box: list[float]) -> list[int]:
    return [round(box[0] / W * 1000), round(box[1] / H * 1000), round(box[2] / W * 1000), round(box[3] / H * 1000)]


def reward_cases(rng: np.random.Generator) -> dict[str, tuple[str, dict]]:
    """name -> (completion, ground truth) for the single- and 5-referent cases."""
    cases = {}
    for n_ref in (1, 5):
        refs, answer = [], {}
        for r in range(n_ref):
            x, y = rng.uniform(0, 900), rng.uniform(0, 400)
            boxes = {k: [x + 3 * k, y, x + 3 * k + 120, y + 250] for k in range(60)}
            refs.append({"id": r + 1, "interval": [0, 59], "boxes": {str(k): b for k, b in boxes.items()}})
            for k in range(2, 60):          # the model misses the first two seconds and jitters
                noisy = [v + float(rng.normal(0, 4)) for v in boxes[k]]
                answer.setdefault(str(k), []).append({"label": f"person-{r + 1}", "bbox_2d": _norm(noisy)})
        completion = ("<think>The query asks for the people crossing from the left. " * 8 + "</think>\n<answer>"
                      + json.dumps(answer) + "</answer>")
        gt = {"width": W, "height": H, **(refs[0] if n_ref == 1 else {"referents": refs})}
        if n_ref == 1:
            gt.pop("id")
        cases[f"{n_ref}-referent, 60 s"] = (completion, gt)
    return cases


def time_rewards(completion: str, gt: dict | str, calls: int, repeats: int) -> tuple[float, float]:
    """Best (CPU, wall) seconds per call of ``stvg_reward`` over ``repeats`` runs of ``calls`` calls."""
    config = RewardConfig()
    assert stvg_reward(completion, gt, config).reward > 1.0
    cpu, wall = float("inf"), float("inf")
    for _ in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        for _ in range(calls):
            stvg_reward(completion, gt, config)
        cpu = min(cpu, (time.process_time() - c0) / calls)
        wall = min(wall, (time.perf_counter() - w0) / calls)
    return cpu, wall


def mot17_sequence(rng: np.random.Generator) -> tuple[tuple, tuple]:
    """600 frames, 40 ground-truth ids, 50 predicted ids (10 ids switch halfway), misses and noise."""
    gt, pred = [], []
    for g in range(40):
        start, end = int(rng.integers(0, 200)), int(rng.integers(400, 600))
        x, y, w, h = *rng.uniform(0, 1800, 2), *rng.uniform(25, 90, 2)
        vx, vy = rng.normal(0, 1.5, 2)
        for t in range(start, end):
            box = [x + vx * t, y + vy * t, w, h]
            gt.append((t + 1, g + 1, box))
            if rng.random() < 0.9:
                pid = g + 1 if (g >= 10 or t < (start + end) // 2) else 41 + g
                pred.append((t + 1, pid, list(np.asarray(box) + rng.normal(0, 3, 4))))
    to_arrays = lambda rows: (np.array([r[0] for r in rows]), np.array([r[1] for r in rows]),
                              np.array([r[2] for r in rows], dtype=float))
    return to_arrays(gt), to_arrays(pred)


def trackeval_hota(gt: tuple, pred: tuple):
    """TrackEval 1.3.0: per-frame IoU (its own function) + HOTA.eval_sequence."""
    from trackeval.datasets._base_dataset import _BaseDataset
    from trackeval.metrics import HOTA

    gf, gi, gb = gt
    pf, pi, pb = pred
    gu, pu = np.unique(gi), np.unique(pi)
    data: dict = {"gt_ids": [], "tracker_ids": [], "similarity_scores": []}
    frames = np.union1d(gf, pf)
    for t in frames:
        gm, pm = gf == t, pf == t
        data["gt_ids"].append(np.searchsorted(gu, gi[gm]))
        data["tracker_ids"].append(np.searchsorted(pu, pi[pm]))
        data["similarity_scores"].append(_BaseDataset._calculate_box_ious(gb[gm], pb[pm], box_format="xywh"))
    data.update(num_gt_ids=len(gu), num_tracker_ids=len(pu), num_gt_dets=len(gf), num_tracker_dets=len(pf),
                num_timesteps=len(frames))
    return HOTA().eval_sequence(data)


def print_fuzz(n: int, seed: int) -> None:
    """The fuzz table, then the slowest entry point on the 309-digit and 2 MB completions."""
    print(f"[bench] fuzz: {n} pathological completions through every entry point ...", file=sys.stderr)
    w0 = time.perf_counter()
    table = fuzz(n, seed)
    wall = time.perf_counter() - w0
    print(f"\nfuzz: {n} completions, seed {seed}, {wall:.0f} s wall; CPU ms per call")
    print(f"{'entry point':<22} {'completions':>11} {'exceptions':>10} {'p50':>8} {'p99':>8} {'max':>8}")
    for name, row in table.items():
        print(f"{name:<22} {row['completions']:>11} {row['exceptions']:>10} {row['p50_ms']:>8.3f} "
              f"{row['p99_ms']:>8.3f} {row['max_ms']:>8.1f}")
    big = '{"0": [{"label": "a", "bbox_2d": [0, 0, %s, 10]}]}' % ("9" * 309)
    for name, text in (("309-digit coordinate", big),
                       ("2 MB (1,990,000 chars) nested", "[" * 60 + "[]" * 995_000),
                       ("512 KiB - 100 truncated boxes", '{"0": [' + "[1,2,3,4]," * ((512 * 1024 - 100) // 10))):
        times = run_entry_points(text)
        slowest = max(times, key=times.__getitem__)
        print(f"{name:<30} every entry point, 0 exceptions; slowest {slowest} {times[slowest] * 1e3:.1f} ms CPU")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000, help="reward calls per timing run")
    parser.add_argument("--repeats", type=int, default=5, help="timing runs (best kept)")
    parser.add_argument("--fuzz", type=int, default=20_000, help="pathological completions (0: no fuzz table)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the fuzz")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    rows = []
    for name, (completion, gt) in reward_cases(rng).items():
        for gt_kind, gt_value in (("dict", gt), ("JSON string", json.dumps(gt))):
            calls = args.calls if name.startswith("1") else max(1, args.calls // 5)
            print(f"[bench] rewards: {name}, ground truth as {gt_kind} ...", file=sys.stderr)
            cpu, wall = time_rewards(completion, gt_value, calls, args.repeats)
            rows.append((f"reward {name} (GT {gt_kind})", f"{cpu * 1e6:.0f} us", f"{1 / cpu:,.0f} /s",
                         f"wall {1 / wall:,.0f} /s"))

    gt_rows, pred_rows = mot17_sequence(np.random.default_rng(1))
    hota_line = None
    try:
        import trackeval  # noqa: F401
    except ImportError:
        print("[bench] trackeval not installed: HOTA comparison skipped (pip install --no-deps trackeval==1.3.0)",
              file=sys.stderr)
    else:
        print("[bench] HOTA vs TrackEval (alternating runs) ...", file=sys.stderr)
        ours_t, ref_t = float("inf"), float("inf")
        ours_t, ref_t, ours_w, ref_w = (float("inf"),) * 4
        for _ in range(args.repeats):
            c0, w0 = time.process_time(), time.perf_counter()
            ours = hota_from_arrays(*gt_rows, *pred_rows, box_format="xywh")
            c1, w1 = time.process_time(), time.perf_counter()
            ref = trackeval_hota(gt_rows, pred_rows)
            c2, w2 = time.process_time(), time.perf_counter()
            ours_t, ref_t = min(ours_t, c1 - c0), min(ref_t, c2 - c1)
            ours_w, ref_w = min(ours_w, w1 - w0), min(ref_w, w2 - w1)
        diff = max(float(np.max(np.abs(ours.per_alpha[k] - ref[k]))) for k in ARRAY_FIELDS + COUNT_FIELDS)
        hota_line = (ours_t, ref_t, diff, ours.HOTA)
        rows.append(("HOTA, 600 frames, 40 GT / 50 pred ids: stag", f"{ours_t * 1e3:.1f} ms", "",
                     f"wall {ours_w * 1e3:.1f} ms"))
        rows.append(("HOTA, same sequence: TrackEval 1.3.0", f"{ref_t * 1e3:.1f} ms", "", f"wall {ref_w * 1e3:.1f} ms"))
        rows.append(("HOTA speed-up (TrackEval / stag)", f"{ref_t / ours_t:.1f}x", f"max |diff| {diff:.1e}",
                     f"wall {ref_w / ours_w:.1f}x"))

    width = max(len(r[0]) for r in rows)
    print(f"\n{'case (CPU time of this process)':<{width}}  {'time':>10}  {'throughput / note':>20}  {'wall clock':>16}")
    print("-" * (width + 52))
    for name, t, rate, wall in rows:
        print(f"{name:<{width}}  {t:>10}  {rate:>20}  {wall:>16}")
    if hota_line:
        print(f"\nHOTA {hota_line[3]:.4f}; {len(gt_rows[0])} GT and {len(pred_rows[0])} predicted boxes")
    if args.fuzz:
        print_fuzz(args.fuzz, args.seed)
    print(f"command: .venv/bin/python bench/verifier_bench.py --calls {args.calls} --repeats {args.repeats}"
          f" --fuzz {args.fuzz} --seed {args.seed}"
          f"  (single thread; times are this process's CPU time, robust to other load; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
