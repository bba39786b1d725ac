#!/usr/bin/env bash
# Build (or refresh) the FLAML benchmark environment in .bench/flaml-venv.
# Idempotent: re-running only installs what changed in requirements-flaml.txt.
# FLAML is never a tunelab dependency; it lives only in this separate venv.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${FLAML_VENV:-$ROOT/.bench/flaml-venv}"
REQS="$ROOT/benchmarks/requirements-flaml.txt"

if [ ! -x "$VENV/bin/python" ]; then
    uv venv --python 3.11 "$VENV"
fi
uv pip sync --python "$VENV/bin/python" "$REQS"
"$VENV/bin/python" -c "import flaml, lightgbm, xgboost, sklearn; print('flaml', flaml.__version__, 'ready in', '$VENV')"
