"""`stag demo`: launch the Gradio page (offline, no analytics, loopback unless told otherwise).

    stag demo                      # http://127.0.0.1:7860
    stag demo --port 8080 --mcp    # the same app, also an MCP server at /gradio_api/mcp/

``--share`` is refused: it opens a tunnel through Gradio's servers on the internet, and stag stays
offline. To reach the page from other machines, bind ``--host 0.0.0.0`` behind your own proxy.
"""

from __future__ import annotations

import argparse
import importlib.util
import ipaddress
import shutil
import sys
import tempfile
from pathlib import Path

from pydantic import BaseModel, Field

from tools.offline import apply_offline_env

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


def mcp_missing() -> str | None:
    """Why Gradio's MCP server cannot start here, or None when it can."""
    if importlib.util.find_spec("mcp") is None:
        return "the 'mcp' package is not installed (pip install 'stag[serve]')"
    try:
        from mcp.server.streamable_http_manager import StreamableHTTPSessionManager  # noqa: F401
    except ImportError as exc:
        return f"the installed 'mcp' package lacks what Gradio's MCP server needs ({exc})"
    return None


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach.

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def start(options: DemoOptions, *, block: bool = True):
    """Build the page and launch it; with ``block=False`` return the running app (call ``.close()``)."""
    apply_offline_env()
    from demo.app import build_app, launch_options
    from demo.examples import film_examples
    from tools.assets import AssetMissing

    workdir = options.workdir or Path(tempfile.mkdtemp(prefix="stag-demo-"))
    try:
        examples = film_examples(workdir / "examples")
    except AssetMissing as exc:
        print(f"stag demo: no bundled example video ({exc})", file=sys.stderr)
        examples = []
    app = build_app(examples, workdir)
    app.queue(default_concurrency_limit=1)
    try:
        app.launch(
            server_name=options.host,
            server_port=options.port,
            mcp_server=options.mcp,
            prevent_thread_lock=not block,
            allowed_paths=sorted({str(e.video.parent) for e in examples}),
            **launch_options(),
        )
    finally:
        if block and options.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return app


def main(argv: list[str]) -> int:
    """Entry point of ``stag demo``; returns the exit code."""
    parser = argparse.ArgumentParser(prog="stag demo", description="Launch the Gradio demo (offline).")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    parser.add_argument("--port", type=int, default=None, help="port (default: first free from 7860)")
    parser.add_argument("--share", action="store_true", help="refused: stag does not tunnel to the internet")
    parser.add_argument("--mcp", action="store_true", help="also serve the app as an MCP server")
    parser.add_argument("--workdir", type=Path, default=None, help="keep run outputs here (default: temp dir)")
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
    start(DemoOptions(host=args.host, port=args.port, mcp=args.mcp, workdir=args.workdir), block=True)
    return 0
