"""The `stag` console command: one verb per job, each implemented next to the code it drives.

Each subcommand is ``module:function`` taking the remaining argv and returning an exit code, and is
imported only when called, so ``stag eval`` never loads torch and ``stag doctor`` stays quick.

    stag doctor
    stag ground VIDEO "QUERY" [--json] [--out DIR]
    stag eval stvg --gt gt.json --pred completion.txt
"""

from __future__ import annotations

import importlib
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "doctor": ("agent.doctor:main", "report versions, GPU, bundled assets and what is missing"),
    "ground": ("agent.ground_cli:main", "answer a query about a video (when + where per referent)"),
    "eval-agent": ("evaluation.cli:main", "run the agent over HC-STVG, VidSTG, SVAG-Bench or synthetic data and score it"),
    "eval": ("verifier.cli:main", "score predictions: hota | svageval | mr | stvg"),
    "synth": ("stagdata.synth.cli:main", "generate the synthetic grounding benchmark"),
    "data": ("training.cli:data_main", "build second-level training data: build | traces"),
    "train": ("training.cli:train_main", "SFT or GRPO with the verifier's reward: sft | grpo --config FILE.yaml"),
    "serve": ("serving.cli:serve_main", "start the tool endpoint (MCP at /mcp + REST /tools/invoke)"),
    "serve-model": ("serving.model_server.cli:main", "start (or --dry-run) the vLLM model server"),
    "demo": ("demo.cli:main", "launch the Gradio demo"),
}


def _usage() -> str:
    width = max(map(len, COMMANDS))
    rows = "\n".join(f"  {name:<{width}}  {help_}" for name, (_, help_) in COMMANDS.items())
    return f"usage: stag COMMAND [ARGS...]\n\ncommands:\n{rows}\n\nRun 'stag COMMAND --help' for details."


def main(argv: list[str] | None = None) -> int:
    """Dispatch ``stag COMMAND ...``; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(_usage())
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"stag: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    target, _ = COMMANDS[name]
    module_name, func_name = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        print(
            f"stag {name}: cannot import {module_name} ({exc}).\n"
            "Install the extras with: scripts/bootstrap.sh  (or pip install -e '.[all]')",
            file=sys.stderr,
        )
        return 2
    return int(getattr(module, func_name)(rest) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
