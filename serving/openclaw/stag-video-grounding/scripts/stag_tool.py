#!/usr/bin/env python3
"""Call a stag tool endpoint from an OpenClaw skill (Python standard library only).

    STAG_URL=http://127.0.0.1:8765 STAG_TOKEN=... python3 stag_tool.py track "the cable car" street/clip.mp4
    python3 stag_tool.py ground "the people crossing from the left" upload:0123...   # full result
    python3 stag_tool.py upload clip.mp4                 # prints {"video": "upload:<id>", ...}
    python3 stag_tool.py track "people" long.mp4 --background   # prints a job; then:
    python3 stag_tool.py status JOB_ID ; python3 stag_tool.py result JOB_ID
    python3 stag_tool.py delete-upload UPLOAD_ID ; python3 stag_tool.py delete-job JOB_ID   # free space

Prints the envelope's ``result`` as JSON on stdout; on a refusal prints ``error TYPE: MESSAGE`` on
stderr and exits 1 (2 when the endpoint cannot be reached).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path


def _request(method: str, path: str, body: bytes | None = None, kind: str = "application/json") -> object:
    base = os.environ.get("STAG_URL", "http://127.0.0.1:8765").rstrip("/")
    headers = {"Content-Type": kind}
    if os.environ.get("STAG_TOKEN"):
        headers["Authorization"] = f"Bearer {os.environ['STAG_TOKEN']}"
    req = urllib.request.Request(f"{base}{path}", data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=float(os.environ.get("STAG_TIMEOUT", "900"))) as response:
            envelope = json.load(response)
    except urllib.error.HTTPError as exc:
        envelope = json.loads(exc.read() or b"{}")
    except urllib.error.URLError as exc:
        print(f"error unreachable: cannot reach {base} ({exc.reason}); is `stag serve` running?", file=sys.stderr)
        raise SystemExit(2) from exc
    if not envelope.get("ok"):
        error = envelope.get("error", {})
        print(f"error {error.get('type', 'unknown')}: {error.get('message', envelope)}", file=sys.stderr)
        raise SystemExit(1)
    return envelope["result"]


def _call(tool: str, args: dict, background: bool) -> object:
    body = json.dumps({"tool": tool, "args": args}).encode()
    return _request("POST", "/jobs" if background else "/tools/invoke", body)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Call the stag tool endpoint ($STAG_URL, $STAG_TOKEN).")
    sub = p.add_subparsers(dest="command", required=True)
    track = sub.add_parser("track", help="track_objects: GLM-V per-second JSON for a target")
    track.add_argument("target")
    track.add_argument("video", help="path in a media root, upload:<id>, or an allowed URL")
    track.add_argument("--coords", choices=["norm1000", "pixels"], default="norm1000")
    track.add_argument("--background", action="store_true", help="run as a job and print it")
    ground = sub.add_parser("ground", help="ground_query: the full result for a typed query")
    ground.add_argument("query")
    ground.add_argument("video")
    ground.add_argument("--background", action="store_true")
    upload = sub.add_parser("upload", help="upload a local video file")
    upload.add_argument("file", type=Path)
    for name in ("status", "result", "cancel"):
        sub.add_parser(name, help=f"{name} of a job").add_argument("job_id")
    sub.add_parser("delete-job", help="delete a finished job and its result").add_argument("job_id")
    sub.add_parser("delete-upload", help="delete an upload (its id, or upload:<id>)").add_argument("upload_id")
    args = p.parse_args(argv)

    if args.command == "track":
        out = _call("track_objects", {"target": args.target, "video": args.video, "coords": args.coords},
                    args.background)
    elif args.command == "ground":
        out = _call("ground_query", {"query": args.query, "video": args.video}, args.background)
    elif args.command == "upload":
        out = _request("POST", "/uploads", args.file.read_bytes(), kind="video/mp4")
    elif args.command == "status":
        out = _request("GET", f"/jobs/{args.job_id}")
    elif args.command == "result":
        out = _request("GET", f"/jobs/{args.job_id}/result")
    elif args.command == "delete-job":
        out = _request("DELETE", f"/jobs/{args.job_id}")
    elif args.command == "delete-upload":
        out = _request("DELETE", f"/uploads/{args.upload_id.removeprefix('upload:')}")
    else:
        out = _request("POST", f"/jobs/{args.job_id}/cancel", b"")
    json.dump(out, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
