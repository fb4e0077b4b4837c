# stag: every target sets itself up first (scripts/bootstrap.sh is idempotent and quick when done).
PY := .venv/bin/python
QUERY ?= the people walking
OUT ?= outputs/quickstart

.PHONY: setup ground test test-slow test-all vllm browser demo-mcp bench lint clean rl-smoke rl-ablation

setup:
	@scripts/bootstrap.sh

ground: setup
	$(PY) -m agent.cli ground --example "$(QUERY)" --out $(OUT)

test: setup
	$(PY) -m pytest -m "not slow" -q

test-slow: setup vllm browser demo-mcp
	$(PY) -m pytest -m slow -q

test-all: setup vllm browser demo-mcp
	$(PY) -m pytest -q

vllm:
	@scripts/setup_vllm.sh

browser:
	@STAG_BROWSER=1 scripts/bootstrap.sh

demo-mcp: setup
	@scripts/setup_demo_mcp.sh

lint: setup
	$(PY) -m ruff check agent tools verifier serving demo bench tests

clean:
	rm -rf outputs .pytest_cache

# Proof on CPU that SFT then GRPO with the verifier's reward learns (training/smoke.py); exits 1 if
# the reward does not rise by 0.1 or the format rate ends below 0.9.
rl-smoke: setup
	OMP_NUM_THREADS=1 $(PY) -m training.smoke --out outputs/rl-smoke

# Paper 002's reward ablation at toy scale: tIoU+mvIoU against mvIoU only, same seed and SFT model
# (rl-smoke's SFT model when it is there, else trained once and kept for both runs).
rl-ablation: setup
	OMP_NUM_THREADS=1 $(PY) -m training.smoke --out outputs/rl-ablation --ablation --sft-model outputs/rl-smoke/sft-model
