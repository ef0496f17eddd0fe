#!/usr/bin/env bash
# Sourced by serve.sh and test.sh: finds Python >= 3.11, creates llm-backend/.venv and installs
# the project into it (again only when pyproject.toml changed). Usage: bootstrap "" | "dev"
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

bootstrap() {
  local extras="${1:-}"
  local spec="."
  [ -n "$extras" ] && spec=".[$extras]"
  if [ ! -x "$VENV/bin/python" ]; then
    local python
    python="$(find_python)"
    echo "Creating virtual environment in llm-backend/.venv with $("$python" --version)" >&2
    "$python" -m venv "$VENV"
  fi
  local stamp="$VENV/.installed-${extras:-runtime}"
  local digest
  digest="$("$VENV/bin/python" -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$BACKEND/pyproject.toml")"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
    echo "Installing dependencies ($spec)..." >&2
    "$VENV/bin/python" -m pip install --quiet --upgrade pip >&2
    (cd "$BACKEND" && "$VENV/bin/python" -m pip install --quiet -e "$spec" >&2)
    echo "$digest" >"$stamp"
  fi
}

# Installs an optional extra on top, without failing the command when it cannot be built
# (the `local` model needs a C compiler). Tried again only when pyproject.toml changes.
bootstrap_optional() {
  local extra="$1"
  local stamp="$VENV/.optional-$extra"
  local digest
  digest="$(sha256sum "$BACKEND/pyproject.toml" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$digest" ]; then
    return 0
  fi
  echo "Installing the optional '$extra' extra (the first build can take a few minutes)..." >&2
  # llama.cpp's default native build compiles for every instruction set the CPU reports
  # (AVX-512, AMX); on a VM that reports AMX without enabling it, and on any other machine that
  # shares pip's wheel cache, that wheel dies with SIGILL. A portable build (AVX2/FMA on x86)
  # runs everywhere; set CMAKE_ARGS yourself to build differently.
  if (cd "$BACKEND" && CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}" \
    "$VENV/bin/python" -m pip install --quiet -e ".[$extra]" >&2); then
    :
  else
    echo "WARNING: the '$extra' extra could not be installed; continuing without it." >&2
  fi
  echo "$digest" >"$stamp"
}
