"""Pathological completions and every public reward entry point, for the fuzz table of
``bench/verifier_bench.py`` and the hardening tests (``tests/test_verifier_hardening.py``).

:func:`pathological` makes one completion from a seeded ``random.Random``: GLM-V answers with
thousands of seconds and referents, item lists, stag result JSON, numbers that break naive code
(309+ digit integers, integers past Python's 4,300-digit limit, ``1e309``, ``NaN`` /
``Infinity`` literals), deep nesting, truncation, wrappers, megabyte strings and non-text values.
:func:`run_entry_points` sends one completion through every entry point and returns the CPU
seconds each took, or raises what an entry point raised.

>>> import random
>>> times = run_entry_points(pathological(random.Random(0)))
>>> sorted(times) == sorted(ENTRY_POINTS)
True
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable
from typing import Any

from verifier import RewardConfig, format_reward, parse, stvg_reward, verify
from verifier.adapters import TrlReward, compute_score, reward_func, score_batch

W, H = 640, 360
GT = {"width": W, "height": H, "interval": [2, 6],
      "boxes": {str(k): [10 * k, 20, 10 * k + 80, 200] for k in range(2, 7)}}
MULTI_GT = {"width": W, "height": H, "referents": [
    {"id": 1, "interval": [0, 3], "boxes": {str(k): [0, 0, 50, 50] for k in range(4)}},
    {"id": 2, "interval": [2, 5], "boxes": {str(k): [100, 100, 150, 150] for k in range(2, 6)}}]}
GT_JSON = json.dumps(GT)
CONFIG = RewardConfig(w_t=1.0, w_m=1.0, w_hota=1.0)

NASTY_NUMBERS = ("9" * 309, "-" + "9" * 400, "1" + "0" * 5000, "1e309", "-1e309", "NaN", "Infinity",
                 "-Infinity", "1e-400", "-0", "1E+308", "0.5e1", "true", "null", '"12"', '"1e309"')


def _number(rng: random.Random, nasty: float) -> str:
    if rng.random() < nasty:
        return rng.choice(NASTY_NUMBERS)
    return str(rng.randint(-20, 1020)) if rng.random() < 0.7 else f"{rng.uniform(-20, 1020):.2f}"


def _box(rng: random.Random, nasty: float) -> str:
    return "[" + ", ".join(_number(rng, nasty) for _ in range(4)) + "]"


def _second(rng: random.Random, n: int, nasty: float) -> str:
    if rng.random() < nasty:
        return rng.choice(("9" * 309, "1e309", "-1", "NaN", "1.5", "x", "9" * 5000))
    return str(rng.randrange(max(n, 1)))


def _glmv(rng: random.Random, seconds: int, labels: int, nasty: float) -> str:
    parts = []
    for k in range(seconds):
        dets = ", ".join(f'{{"label": "obj-{rng.randrange(labels)}", "bbox_2d": {_box(rng, nasty)}}}'
                         for _ in range(rng.randint(0, 3)))
        key = _second(rng, seconds, nasty) if rng.random() < nasty else str(k)
        parts.append(f'"{key}": [{dets}]')
    return "{" + ", ".join(parts) + "}"


def _items(rng: random.Random, n: int, nasty: float) -> str:
    return "[" + ", ".join(f'{{"time": {_second(rng, n, nasty)}, "label": "p-{rng.randrange(8)}", '
                           f'"bbox_2d": {_box(rng, nasty)}}}' for _ in range(n)) + "]"


def _referents(rng: random.Random, n: int, nasty: float) -> str:
    refs = [{"id": i, "label": "person", "boxes": {}} for i in range(n)]
    text = json.dumps({"referents": refs})
    one = ", ".join(f'"{_second(rng, 60, nasty)}": {_box(rng, nasty)}' for _ in range(rng.randint(1, 5)))
    return text.replace('"boxes": {}', '"boxes": {' + one + "}", rng.randint(1, max(1, n)))


def _megabyte(rng: random.Random) -> str:
    """Megabyte-sized text: over the parser's cap, or just under it in its slowest shapes."""
    size = rng.choice((2_000_000, 1_000_000, 500_000))
    kind = rng.randrange(8)
    if kind == 0:
        return "x" * size
    if kind == 1:
        return "[" * 64 + "1," * (size // 2)
    if kind == 2:
        return "[" * 64 + '"a",' * (size // 4)
    if kind == 3:
        return '{"0": [' + "[1,2,3,4]," * (size // 10)
    if kind == 4:
        return "{'0': [" + "[1,2,3,4]," * (size // 10)
    if kind == 5:
        return '{"0": [[0, 0, ' + "9" * (size - 30) + ", 1]]}"
    if kind == 6:
        return "[" + '{"a":[]},' * (size // 9)
    return ('{"0": [' * 32) + "[1,2,3,4]," * (size // 10)


def _wrap(rng: random.Random, text: str) -> Any:
    kind = rng.randrange(12)
    if kind == 0:
        return f"<think>{'reasoning ' * rng.randint(0, 50)}</think><answer>{text}</answer>"
    if kind == 1:
        return f"```json\n{text}\n```"
    if kind == 2:
        return f"<|begin_of_box|>{text}<|end_of_box|>"
    if kind == 3:
        return text[:rng.randint(0, len(text))]                       # truncated anywhere
    if kind == 4:
        return text + " trailing words {not json} [1, 2"
    if kind == 5:
        return text.replace('"', "'")                                 # Python quoting
    if kind == 6:
        return text.encode()
    if kind == 7:
        return [{"role": "user", "content": "q"}, {"role": "assistant", "content": text}]
    if kind == 8:
        depth = rng.choice((10, 1000, 100_000))
        return "[" * depth + text + "]" * rng.choice((0, depth))
    return text


def pathological(rng: random.Random, megabyte_rate: float = 0.01) -> Any:
    """One adversarial completion (see module docs); ``megabyte_rate`` of them are 0.5-2 MB."""
    if rng.random() < megabyte_rate:
        return _megabyte(rng)
    nasty = rng.choice((0.0, 0.05, 0.3, 1.0))
    kind = rng.randrange(10)
    if kind <= 3:
        text = _glmv(rng, rng.choices((1, 5, 60, 600, 3000), (30, 30, 30, 9, 1))[0],
                     rng.choices((1, 3, 50, 3000), (40, 40, 19, 1))[0], nasty)
    elif kind == 4:
        text = _items(rng, rng.choices((1, 10, 2000), (50, 49, 1))[0], nasty)
    elif kind == 5:
        text = _referents(rng, rng.choices((1, 5, 3000), (50, 49, 1))[0], nasty)
    elif kind == 6:
        text = "".join(rng.choice('{}[]",:0123456789.-eE tnulfasNaIiy<>/|\\\'') for _ in range(rng.randint(0, 400)))
    elif kind == 7:
        return rng.choice((None, 12, math.nan, b"\xff\xfe{", [], [{"role": "assistant"}], {"content": None},
                           "", "\x00\ud800", "I cannot see it."))
    else:
        text = _glmv(rng, rng.randint(1, 20), rng.randint(1, 4), nasty)
    return _wrap(rng, text)


_TRL = TrlReward(CONFIG)
_TRL_FORMAT = TrlReward(CONFIG, kind="format")


def _rewards(*results: Any) -> list[float]:
    return [r.reward for r in results]


ENTRY_POINTS: dict[str, Callable[[Any], list[float]]] = {
    "parse": lambda c: [float(parse(c, image_size=(W, H)).ok)],
    "format_reward": lambda c: [format_reward(c, require_think=True)],
    "stvg_reward": lambda c: _rewards(stvg_reward(c, GT, CONFIG)),
    "stvg_reward (multi)": lambda c: _rewards(stvg_reward(c, MULTI_GT, CONFIG)),
    "verify": lambda c: _rewards(verify(MULTI_GT, c, w_hota=1.0)),
    "verl compute_score": lambda c: list(compute_score("stag", c, GT_JSON).values()),
    "TrlReward": lambda c: _TRL(prompts=["p"], completions=[c], ground_truth=[MULTI_GT]),
    "TrlReward format": lambda c: _TRL_FORMAT(prompts=["p"], completions=[c]),
    "OpenRLHF reward_func": lambda c: reward_func([c], [""], [GT])["rewards"],
    "score_batch": lambda c: score_batch([c], None, [MULTI_GT], CONFIG)["rewards"],
}
"""name -> a call of that entry point on one completion."""


def run_entry_points(completion: Any) -> dict[str, float]:
    """CPU seconds each entry point took on ``completion``; an entry point's exception propagates,
    and a reward outside ``[0, CONFIG.max_reward]`` (or not finite) raises ``AssertionError``."""
    times = {}
    for name, call in ENTRY_POINTS.items():
        t0 = time.process_time()
        values = call(completion)
        times[name] = time.process_time() - t0
        bad = [v for v in values if not (math.isfinite(v) and 0.0 <= v <= CONFIG.max_reward)]
        if bad:
            raise AssertionError(f"{name} returned {bad[:3]}")
    return times


def fuzz(n: int, seed: int = 0, megabyte_rate: float = 0.01) -> dict[str, dict[str, float]]:
    """Send ``n`` pathological completions through every entry point: per entry point, the count
    of completions, of exceptions (a bad reward counts as one) and p50 / p99 / max CPU ms.

    >>> fuzz(3)["parse"]["exceptions"]
    0
    """
    rng = random.Random(seed)
    times: dict[str, list[float]] = {name: [] for name in ENTRY_POINTS}
    errors = dict.fromkeys(ENTRY_POINTS, 0)
    for _ in range(n):
        completion = pathological(rng, megabyte_rate)
        for name, call in ENTRY_POINTS.items():
            t0 = time.process_time()
            try:
                values = call(completion)
                ok = all(math.isfinite(v) and 0.0 <= v <= CONFIG.max_reward for v in values)
            except Exception:  # noqa: BLE001 - counting them is the point
                ok = False
            times[name].append(time.process_time() - t0)
            errors[name] += not ok
    out = {}
    for name, ts in times.items():
        ts.sort()
        out[name] = {"completions": len(ts), "exceptions": errors[name], "p50_ms": 1e3 * ts[len(ts) // 2],
                     "p99_ms": 1e3 * ts[min(len(ts) - 1, int(0.99 * len(ts)))], "max_ms": 1e3 * ts[-1]}
    return out
