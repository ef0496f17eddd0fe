#!/usr/bin/env bash
# Sets everything up and runs the API on http://127.0.0.1:8000 with the embedded defaults
# (SQLite under llm-backend/data/, local files) unless DATABASE_URL etc. say otherwise.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
bootstrap ""
cd "$BACKEND"
"$VENV/bin/python" db.py --migrate
exec "$VENV/bin/python" -m uvicorn main:app --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}"
