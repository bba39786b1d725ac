# tunelab developer commands. Everything runs through uv and the locked environment.
SHELL := /bin/bash
UV ?= uv
PYTEST_WORKERS ?= 2
TORCH_WHEELS ?= /opt/wheels
TORCH_CPU ?= torch==2.13.0+cpu

.PHONY: setup system-deps run run-cli test lint format typecheck importlint test-fast clean

## setup: install the locked environment (.venv) with the dev tools
setup:
	@command -v $(UV) >/dev/null 2>&1 || python3 -m pip install --quiet "uv==0.13.8"
	$(UV) sync --frozen --inexact
	@# PyTorch (torch_mlp family, `tunelab demo orders`): the CPU build from the local wheel
	@# folder, never the multi-GB CUDA build from PyPI. `uv run` syncs inexactly, so it stays.
	@.venv/bin/python -c "import importlib.util as u, sys; sys.exit(not u.find_spec('torch'))" || \
		{ [ -d $(TORCH_WHEELS) ] && $(UV) pip install --python .venv/bin/python \
			--find-links $(TORCH_WHEELS) "$(TORCH_CPU)"; } || \
		echo "PyTorch not installed (no $(TORCH_WHEELS)): torch_mlp tests are skipped"
	@# Bytecode for every installed package and for src/: with PYTHONDONTWRITEBYTECODE set (as
	@# on the CI machine) Python never caches it, and each process start recompiled sklearn,
	@# pandas, torch... (measured: 9.0 s -> 2.2 s to import the engine). Up-to-date files are
	@# skipped, so a second `make setup` spends a few seconds here.
	@.venv/bin/python -m compileall -q -j0 .venv/lib/python3.*/site-packages src >/dev/null 2>&1 || true

## system-deps: Debian packages the tests need (PostgreSQL, Chromium, a Hangul font); idempotent
system-deps:
	bash scripts/system-deps.sh

## run: the web app at http://127.0.0.1:8000 with 2 workers and a sample experiment ready
run: setup
	@fc-list :lang=ko 2>/dev/null | grep -q . || echo "warning: no Hangul font installed: Korean pages show boxes; run 'make system-deps'"
	$(UV) run tunelab serve --host 127.0.0.1 --port 8000 --workers 2 --home runs/home

## run-cli: AutoML on a bundled example from the command line; leaderboard + model in runs/
run-cli: setup
	$(UV) run tunelab automl examples/data/credit-g.csv --target class --time-budget 60 \
		--n-jobs 2 --seed 0 --out runs/credit-g
	$(UV) run tunelab predict runs/credit-g examples/data/credit-g.csv --out runs/credit-g/predictions.csv --proba

## lint: ruff (lint + format check), mypy and the import-layer contracts
lint: setup
	$(UV) run ruff check src tests benchmarks
	$(UV) run ruff format --check src tests benchmarks
	$(UV) run mypy
	$(UV) run lint-imports

## test: system packages, lint, then every test not marked slow (slow ones run in `make bench`)
test: system-deps lint
	$(UV) run pytest -m "not slow" -n $(PYTEST_WORKERS) -q -p no:cacheprovider

format: setup
	$(UV) run ruff check --fix src tests benchmarks
	$(UV) run ruff format src tests benchmarks

clean:
	rm -rf .venv .bench runs .mypy_cache .ruff_cache

include benchmarks/Makefile.inc
