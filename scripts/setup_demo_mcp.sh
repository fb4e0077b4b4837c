#!/usr/bin/env bash
# Let `stag demo --mcp` run: Gradio 6's MCP server is written against mcp<2 (the gradio[mcp]
# extra), while the main venv has mcp 2.x for `stag serve`. This puts mcp 1.x and the two small
# packages it adds into an overlay folder (.venv-demo-mcp) that only the demo process puts first
# on its path; the main venv is left as it is. Idempotent: a second run returns at once.
#
#   scripts/setup_demo_mcp.sh
#   PYTHONPATH=.venv-demo-mcp .venv/bin/stag demo --mcp
set -euo pipefail
cd "$(dirname "$0")/.."

OVERLAY=${STAG_DEMO_MCP:-.venv-demo-mcp}
PACKAGES=("mcp>=1.21,<2" "httpx-sse>=0.4" "pydantic-settings>=2.5.2")
stamp="$OVERLAY/.stag-setup-demo-mcp"
want=$(sha256sum scripts/setup_demo_mcp.sh | cut -c1-16)

if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[setup-demo-mcp] installing ${PACKAGES[*]} into $OVERLAY ..."
  rm -rf "$OVERLAY"
  # --no-deps: everything else mcp 1.x needs is already in the main venv (gradio, starlette, ...).
  .venv/bin/python -m pip --disable-pip-version-check install -q --no-deps --target "$OVERLAY" "${PACKAGES[@]}"
  echo "$want" > "$stamp"
fi
PYTHONPATH="$OVERLAY" .venv/bin/python -c "from demo.cli import mcp_missing; import sys; why = mcp_missing(); sys.exit(why)"
echo "[setup-demo-mcp] ok: PYTHONPATH=$OVERLAY stag demo --mcp"
