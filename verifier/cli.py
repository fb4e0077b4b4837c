"""``stag eval`` / ``python -m verifier``: score predictions; each subcommand prints one JSON object.

    stag eval hota --gt GT_DIR --pred PRED_DIR [--preprocess none|MOT17|MOT20]
    stag eval svageval --gt GT.json --pred SUBMISSION.json
    stag eval mr --gt GT.jsonl --pred PRED.jsonl
    stag eval stvg --gt GT.json --pred COMPLETION.txt [--coords norm1000|pixels] [--w-t 1 --w-m 1]
    stag eval reward-server [--host 127.0.0.1] [--port 8000]

``hota`` reports fractions in [0, 1] (``combined`` pooled as TrackEval does, and per sequence);
``svageval`` and ``mr`` the official 0-100 scale; ``stvg`` fractions. A malformed input file gets
an error naming it on stderr and exit code 1 (2 for a bad command line).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from verifier.groundtruth import GroundTruth
from verifier.moment_retrieval import qvhighlights_brief
from verifier.motchallenge import evaluate_mot_dirs
from verifier.parsing import parse
from verifier.rewards import RewardConfig, stvg_reward
from verifier.svageval import evaluate_svag


class InputError(Exception):
    """A file that cannot be used; the message names it."""


def _emit(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2) + "\n")


def _read_text(path: str, what: str) -> str:
    p = Path(path)
    try:
        return p.read_text()
    except FileNotFoundError:
        raise InputError(f"{what} file {p} does not exist") from None
    except IsADirectoryError:
        raise InputError(f"{what} {p} is a directory, expected a file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{what} file {p} cannot be read as text: {exc}") from None


def _read_jsonl(path: str, what: str) -> list[Any]:
    rows = []
    for n, line in enumerate(_read_text(path, what).splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except ValueError as exc:
                raise InputError(f"{what} file {path}, line {n}: not valid JSON ({exc})") from None
    if not rows:
        raise InputError(f"{what} file {path} has no rows")
    return rows


def _cmd_hota(args: argparse.Namespace) -> int:
    try:
        combined, per_seq = evaluate_mot_dirs(args.gt, args.pred, args.preprocess)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    _emit({"combined": combined.brief(), "sequences": {name: r.brief() for name, r in per_seq.items()}})
    return 0


def _cmd_svageval(args: argparse.Namespace) -> int:
    try:
        _emit(evaluate_svag(args.gt, args.pred))
    except ValueError as exc:
        raise InputError(str(exc)) from None
    return 0


def _cmd_mr(args: argparse.Namespace) -> int:
    gt = _read_jsonl(args.gt, "ground-truth")
    pred = _read_jsonl(args.pred, "prediction")
    try:
        _emit(qvhighlights_brief(pred, gt))
    except ValueError as exc:
        raise InputError(f"{args.gt} / {args.pred}: {exc}") from None
    return 0


def _cmd_stvg(args: argparse.Namespace) -> int:
    try:
        gt = GroundTruth.from_stvg(_read_text(args.gt, "ground-truth"))
    except ValueError as exc:
        raise InputError(f"ground-truth file {args.gt}: {exc}") from None
    completion = _read_text(args.pred, "completion")
    config = RewardConfig(w_t=args.w_t, w_m=args.w_m, coords=args.coords)
    pred = parse(completion, coords=args.coords, image_size=(gt.width, gt.height))
    if pred.reason:
        print(f"stag eval stvg: note: {pred.reason}", file=sys.stderr)
    r = stvg_reward(completion, gt, config, prediction=pred, with_hota=gt.multi_referent)
    out: dict[str, Any] = {"tIoU": r.tIoU, "mvIoU": r.mvIoU, "vIoU": r.vIoU, "reward": r.reward}
    if gt.multi_referent:
        out["HOTA"] = r.hota
        out["referents"] = [{"id": d.gt_id, "label": d.label, "tIoU": d.scores.tIoU, "mvIoU": d.scores.mvIoU,
                             "vIoU": d.scores.vIoU} for d in r.referents]
    _emit(out)
    return 0


def _cmd_reward_server(args: argparse.Namespace) -> int:
    from verifier.reward_server import make_server

    server = make_server(args.host, args.port, RewardConfig(w_t=args.w_t, w_m=args.w_m, coords=args.coords))
    host, port = server.server_address[:2]
    print(f"stag reward server on http://{host}:{port} (POST /get_reward, GET /health)", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="stag eval", description="Score grounding predictions; prints JSON.")
    sub = p.add_subparsers(dest="command", required=True)

    h = sub.add_parser("hota", help="HOTA of MOTChallenge txt sequences (TrackEval numbers)")
    h.add_argument("--gt", required=True, help="directory of <sequence>.txt ground truth")
    h.add_argument("--pred", required=True, help="directory of <sequence>.txt predictions")
    h.add_argument("--preprocess", choices=["none", "MOT17", "MOT20"], default="none",
                   help="TrackEval's MOTChallenge preprocessing (default: none)")
    h.set_defaults(func=_cmd_hota)

    s = sub.add_parser("svageval", help="SVAG-Bench submission, official SVAGEval rules")
    s.add_argument("--gt", required=True, help="SVAG-Bench ground-truth JSON")
    s.add_argument("--pred", required=True, help="submission JSON")
    s.set_defaults(func=_cmd_svageval)

    m = sub.add_parser("mr", help="QVHighlights moment retrieval (jsonl)")
    m.add_argument("--gt", required=True, help="jsonl rows with qid and relevant_windows")
    m.add_argument("--pred", required=True, help="jsonl rows with qid and pred_relevant_windows")
    m.set_defaults(func=_cmd_mr)

    for name, func, helptext in (("stvg", _cmd_stvg, "one completion against STVG ground truth"),
                                 ("reward-server", _cmd_reward_server, "HTTP reward server (OpenRLHF contract)")):
        c = sub.add_parser(name, help=helptext)
        if name == "stvg":
            c.add_argument("--gt", required=True, help="ground-truth JSON (width, height, interval, boxes)")
            c.add_argument("--pred", required=True, help="raw model completion text")
        else:
            c.add_argument("--host", default="127.0.0.1")
            c.add_argument("--port", type=int, default=8000)
        c.add_argument("--coords", choices=["norm1000", "pixels"], default="norm1000",
                       help="box units in completions (default norm1000, the GLM-V convention)")
        c.add_argument("--w-t", dest="w_t", type=float, default=1.0, help="reward weight of tIoU")
        c.add_argument("--w-m", dest="w_m", type=float, default=1.0, help="reward weight of mvIoU")
        c.set_defaults(func=func)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; returns the exit code (0 ok, 1 bad input file, 2 bad command line)."""
    parser = _parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        return int(args.func(args))
    except InputError as exc:
        print(f"stag eval {args.command}: error: {exc}", file=sys.stderr)
        return 1
