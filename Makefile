# stag: every target sets itself up first (scripts/bootstrap.sh is idempotent and quick when done).
PY := .venv/bin/python
QUERY ?= the people walking
OUT ?= outputs/quickstart

.PHONY: setup ground test test-slow test-all vllm browser demo-mcp bench lint clean

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
