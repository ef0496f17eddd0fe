#!/usr/bin/env bash
# Compiles the hashed dependency locks in llm-backend/ from pyproject.toml with uv:
#   requirements.txt        the runtime (serve.sh, and `sam build` for the Lambda package)
#   requirements-dev.txt    runtime + the `dev` extra (test.sh, CI)
#   requirements-local.txt  runtime + the `local` extra (the offline model, on top of either)
# The runtime and local locks take the dev lock's versions, so the three never disagree.
# Usage: scripts/lock.sh                      add/remove what pyproject.toml changed, keep pins
#        scripts/lock.sh --upgrade            move every pin to the newest allowed release
#        scripts/lock.sh --upgrade-package X  move X only
set -euo pipefail

BACKEND="$(cd "$(dirname "${BASH_SOURCE[0]}")/../llm-backend" && pwd)"
UV="${UV:-$BACKEND/.venv/bin/uv}"
if [ ! -x "$UV" ]; then
  UV="$(command -v uv || true)"
  if [ -z "$UV" ]; then
    echo "uv is not installed: run ./scripts/test.sh once (the dev lock installs it)" >&2
    exit 1
  fi
fi
cd "$BACKEND"
# Universal: one lock for Linux, macOS and the Lambda's arm64 python3.12 (markers, all hashes).
compile=("$UV" pip compile pyproject.toml --quiet --universal --python-version 3.11
  --generate-hashes --custom-compile-command "scripts/lock.sh")
"${compile[@]}" --extra dev "$@" -o requirements-dev.txt
"${compile[@]}" -c requirements-dev.txt -o requirements.txt
"${compile[@]}" --extra local -c requirements-dev.txt "$@" -o requirements-local.txt
