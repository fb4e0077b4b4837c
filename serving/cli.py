"""``stag serve``: start the tool endpoint (MCP at /mcp, REST twin, jobs) with uvicorn.

    stag serve --media-root ~/videos                      # loopback, no token needed
    stag serve --token "$ALICE_TOKEN" --token "$BOB_TOKEN"  # two clients, each sees only its own work
    stag serve --tokens-file /etc/stag/tokens.json --admin-token "$ADMIN_TOKEN"   # {"<token>": "<client>"}
    STAG_TOKEN=$(python -c 'import secrets; print(secrets.token_urlsafe(32))') \\
        stag serve --host 0.0.0.0 --port 8765 --media-root /srv/videos --db /var/lib/stag/jobs.sqlite3
    stag serve --allow-url-host media.example.org --limit max_active_per_client=8 --limit workers=2
    stag serve --planner model --base-url http://127.0.0.1:8000/v1 --model glm-4.1v --ground detector=coco

Binding anything but a loopback address without a token is refused. Once listening it prints one
line ``stag serve: listening on http://HOST:PORT`` (``--port 0`` picks a free port).
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ValidationError

from tools.offline import apply_offline_env

if TYPE_CHECKING:
    from serving.settings import ServeSettings


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="stag serve", description="Start the stag tool endpoint (MCP + REST).")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (0: any free port; default 8765)")
    p.add_argument("--token", action="append", default=[], metavar="TOKEN",
                   help="a bearer token; each token is one client, who sees only its own jobs and uploads "
                        "(repeatable; also $STAG_TOKEN); required off loopback")
    p.add_argument("--tokens-file", type=Path, default=None, metavar="FILE",
                   help="tokens and client names: a JSON object {\"<token>\": \"<client>\"} or lines 'TOKEN CLIENT'")
    p.add_argument("--admin-token", default=None, metavar="TOKEN",
                   help="a bearer token that sees and manages every client's jobs and uploads (also $STAG_ADMIN_TOKEN)")
    p.add_argument("--media-root", action="append", default=[], type=Path, metavar="DIR",
                   help="folder videos may be read from (repeatable)")
    p.add_argument("--allow-url-host", action="append", default=[], metavar="HOST",
                   help="host (or host:port) videos may be fetched from (repeatable; default: URLs off)")
    p.add_argument("--db", type=Path, default=Path("stag-serve/jobs.sqlite3"),
                   help="SQLite file keeping jobs and results (default stag-serve/jobs.sqlite3)")
    p.add_argument("--upload-dir", type=Path, default=None, help="where uploads go (default: next to --db)")
    p.add_argument("--limit", action="append", default=[], metavar="NAME=VALUE",
                   help="override a limit, e.g. max_active_per_client=8, workers=2, call_timeout_s=300 "
                        "(see serving.settings.Limits)")
    p.add_argument("--planner", choices=["embedded", "model"], default=None, help="agent planner (default embedded)")
    p.add_argument("--base-url", default=None, help="OpenAI-compatible model endpoint (model planner)")
    p.add_argument("--model", default=None, help="model name at --base-url")
    p.add_argument("--ground", action="append", default=[], metavar="NAME=VALUE",
                   help="any other agent setting for every run, e.g. detector=coco, sample_fps=1, cache_dir=DIR "
                        "(see agent.api.GroundConfig)")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    return p


def _pairs(flag: str, pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"{flag} wants NAME=VALUE, got {pair!r}")
        out[name.strip()] = value.strip()
    return out


def _known(values: dict[str, str], model: type[BaseModel]) -> dict[str, str]:
    unknown = sorted(set(values) - set(model.model_fields))
    if unknown:
        raise ValueError(f"unknown {model.__name__} setting(s) {', '.join(unknown)}; "
                         f"known: {', '.join(model.model_fields)}")
    return values


def _bind(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    return sock


def _auth_line(settings: ServeSettings) -> str:
    if not settings.auth_on:
        return "token off"
    admin = " + admin" if settings.admin_token else ""
    return f"token required, {len(set(settings.tokens.values()))} client(s){admin}"


def serve_main(argv: list[str]) -> int:
    """Parse ``argv``, check the settings, bind, and serve until interrupted; returns the exit code."""
    args = _parser().parse_args(argv)
    apply_offline_env()
    from agent.api import GroundConfig
    from serving.security import load_tokens_file, token_client_name
    from serving.settings import Limits, ServeSettings

    try:
        given = [*args.token, *([os.environ["STAG_TOKEN"]] if os.environ.get("STAG_TOKEN") else [])]
        tokens = {token: token_client_name(token) for token in given}
        if args.tokens_file is not None:
            tokens.update(load_tokens_file(args.tokens_file))
        settings = ServeSettings(
            host=args.host, port=args.port, tokens=tokens,
            admin_token=args.admin_token or os.environ.get("STAG_ADMIN_TOKEN") or None,
            media_roots=args.media_root, allow_url_hosts=args.allow_url_host, db=args.db,
            uploads_dir=args.upload_dir, limits=Limits.model_validate(_pairs("--limit", args.limit)),
            ground=GroundConfig.model_validate({
                **_known(_pairs("--ground", args.ground), GroundConfig),
                **{k: v for k, v in {"planner": args.planner, "base_url": args.base_url, "model": args.model}.items()
                   if v is not None},
            }),
        )
    except (ValidationError, ValueError) as exc:
        print(f"stag serve: {exc}", file=sys.stderr)
        return 2

    import uvicorn

    from serving.app import create_app

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        app = create_app(settings)
        sock = _bind(settings.host, settings.port)
    except (OSError, ValueError) as exc:
        print(f"stag serve: cannot start: {exc}", file=sys.stderr)
        return 2
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    print(f"stag serve: listening on http://{shown}:{port} (MCP at /mcp, REST at /tools/invoke, "
          f"OpenAPI at /openapi.json; {_auth_line(settings)})", file=sys.stderr, flush=True)
    config = uvicorn.Config(app, log_level=args.log_level, timeout_graceful_shutdown=5, timeout_keep_alive=5,
                            lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])
    return 0
