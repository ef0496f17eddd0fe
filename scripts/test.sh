#!/usr/bin/env bash
# Sets everything up and runs the whole test suite (extra arguments go to pytest).
# PostgreSQL: TEST_DATABASE_URL when set, otherwise a throwaway cluster from the local binaries.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
bootstrap "dev"
bootstrap_optional "local"
cd "$BACKEND"
exec "$VENV/bin/python" -m pytest "$@"
