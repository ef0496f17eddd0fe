#!/usr/bin/env bash
# Sets everything up and runs the API on http://127.0.0.1:8000 with the embedded defaults
# (SQLite under llm-backend/data/, local files) unless DATABASE_URL etc. say otherwise.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
bootstrap ""
bootstrap_optional "local"
cd "$BACKEND"
"$VENV/bin/python" db.py --migrate
# A fresh database gets a small approved demo curriculum; a no-op once any approved guideline exists.
"$VENV/bin/python" db.py --seed-demo
"$VENV/bin/python" -m shared.llm.local_setup
# AUTH_MODE=local (the development default without Cognito settings): print an admin and a
# student token from the local issuer (key: llm-backend/data/local_auth_key.pem).
"$VENV/bin/python" -m shared.auth.dev_token --banner
exec "$VENV/bin/python" -m uvicorn main:app --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}"
