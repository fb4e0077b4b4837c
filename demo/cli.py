"""`stag demo`: launch the Gradio page (offline, no analytics, loopback unless told otherwise).

    stag demo                      # http://127.0.0.1:7860
    stag demo --port 8080 --mcp    # the same app, also an MCP server at /gradio_api/mcp/

``--share`` is refused: it opens a tunnel through Gradio's servers on the internet, and stag stays
offline. To reach the page from other machines, bind ``--host 0.0.0.0`` behind your own proxy.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from pydantic import BaseModel, Field

from tools.offline import apply_offline_env, is_loopback

MCP_HOW = (
    "run scripts/setup_demo_mcp.sh once and start the demo with PYTHONPATH=.venv-demo-mcp, "
    "or use `stag serve`, whose MCP endpoint is /mcp"
)
SHARE_REFUSED = (
    "stag demo: --share is refused: it tunnels the page through Gradio's servers on the internet, and "
    "stag runs offline. Use --host 0.0.0.0 (behind your own proxy or firewall) to reach it from other machines."
)


class DemoOptions(BaseModel):
    """How the page is served."""

    host: str = "127.0.0.1"
    port: int | None = Field(default=None, ge=1, le=65535, description="None: first free port from 7860")
    mcp: bool = False
    workdir: Path | None = Field(default=None, description="where runs write their files (None: a temp dir)")
    examples_dir: Path | None = Field(default=None, description="where example clips are kept (None: user cache)")


def mcp_missing() -> str | None:
    """Why Gradio's MCP server cannot start in this environment, or None when it can.

    Gradio 6's MCP server is written against ``mcp<2`` (its ``gradio[mcp]`` extra); with ``mcp`` 2.x,
    which ``stag serve`` uses, it fails at launch, so the demo refuses ``--mcp`` up front.
    """
    try:
        version = importlib.metadata.version("mcp")
    except importlib.metadata.PackageNotFoundError:
        return f"the 'mcp' package is not installed; {MCP_HOW}"
    if int(version.split(".")[0]) >= 2:
        return f"Gradio's MCP server needs mcp<2 (the gradio[mcp] extra) but this environment has mcp {version}; {MCP_HOW}"
    return None



def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve(options: DemoOptions) -> None:
    """Build the page and serve it until interrupted (Ctrl-C); run files are removed afterwards."""
    apply_offline_env()
    from demo.app import build_app, launch_options
    from demo.examples import default_examples_dir, demo_examples
    from tools.assets import AssetMissing

    workdir = options.workdir or Path(tempfile.mkdtemp(prefix="stag-demo-"))
    try:
        examples = demo_examples(options.examples_dir or default_examples_dir())
    except AssetMissing as exc:
        print(f"stag demo: no bundled example video ({exc})", file=sys.stderr)
        examples = []
    app = build_app(examples, workdir)
    app.queue(default_concurrency_limit=1)
    signal.signal(signal.SIGTERM, _interrupt)  # stop on SIGTERM as on Ctrl-C: close the server, clean up
    try:
        app.launch(
            server_name=options.host,
            server_port=options.port,
            mcp_server=options.mcp,
            allowed_paths=sorted({str(e.video.parent) for e in examples}),
            **launch_options(),
        )
    finally:
        if options.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str]) -> int:
    """Entry point of ``stag demo``; returns the exit code."""
    parser = argparse.ArgumentParser(prog="stag demo", description="Launch the Gradio demo (offline).")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    parser.add_argument("--port", type=int, default=None, help="port (default: first free from 7860)")
    parser.add_argument("--share", action="store_true", help="refused: stag does not tunnel to the internet")
    parser.add_argument("--mcp", action="store_true", help="also serve the app as an MCP server (needs mcp<2: run scripts/setup_demo_mcp.sh)")
    parser.add_argument("--workdir", type=Path, default=None, help="keep run outputs here (default: temp dir)")
    parser.add_argument("--examples-dir", type=Path, default=None,
                        help="where the example clips are written once (default: ~/.cache/stag/demo-examples)")
    args = parser.parse_args(argv)
    if args.share:
        print(SHARE_REFUSED, file=sys.stderr)
        return 2
    if args.port is not None and not 1 <= args.port <= 65535:
        print(f"stag demo: --port must be between 1 and 65535, got {args.port}", file=sys.stderr)
        return 2
    if args.mcp and (why := mcp_missing()):
        print(f"stag demo: --mcp is not available: {why}", file=sys.stderr)
        return 2
    if not is_loopback(args.host):
        print(
            f"stag demo: serving on {args.host}: anyone who can reach this address can use the page.",
            file=sys.stderr,
        )
    options = DemoOptions(
        host=args.host, port=args.port, mcp=args.mcp, workdir=args.workdir, examples_dir=args.examples_dir
    )
    serve(options)
    return 0
