#!/usr/bin/env bash
# System packages the test suite needs (PostgreSQL server for the store tests, Chromium and a
# Korean font for the browser tests). Idempotent.
set -euo pipefail
need=()
compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || need+=(postgresql)
command -v chromium >/dev/null || need+=(chromium chromium-driver)
# Korean glyphs (Hangul) for the browser tests and the Korean pages
fc-list :lang=ko 2>/dev/null | grep -q . || need+=(fonts-nanum)
if ((${#need[@]})); then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  elif command -v sudo >/dev/null; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "missing system packages: ${need[*]} (install them with apt-get)" >&2
    exit 1
  fi
fi
