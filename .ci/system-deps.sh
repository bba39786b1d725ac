#!/usr/bin/env bash
# System packages the test suite needs (PostgreSQL server for the store tests, Chromium and a
# Korean font for the browser tests). Idempotent.
set -euo pipefail
need=()
compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || need+=(postgresql)
command -v chromium >/dev/null || need+=(chromium chromium-driver)
# Korean glyphs for the browser tests' screenshots of the Korean pages
fc-list :lang=ko 2>/dev/null | grep -q . || need+=(fonts-noto-cjk)
if ((${#need[@]})); then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "missing system packages: ${need[*]} (install them with apt-get)" >&2
    exit 1
  fi
fi
