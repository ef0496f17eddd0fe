#!/usr/bin/env bash
# Sets everything up and runs the API on http://127.0.0.1:8000 with the embedded defaults
# (SQLite under llm-backend/data/, local files) unless DATABASE_URL etc. say otherwise.
# Without OPENAI_API_KEY the offline model (llama.cpp, built from source: minutes) is prepared
# in the background while the API already answers; GET /health/local-model says when it is
# ready, and its log is llm-backend/data/local-model.log. LOCAL_MODEL=off skips it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
preflight_python
bootstrap ""
cd "$BACKEND"
mkdir -p data
"$VENV/bin/python" db.py --migrate
# A fresh database gets a small approved demo curriculum; a no-op once any approved guideline exists.
"$VENV/bin/python" db.py --seed-demo
if local_model_ready; then
  "$VENV/bin/python" -m shared.llm.local_setup
elif [ -z "${OPENAI_API_KEY:-}" ] && [ "${LOCAL_MODEL:-on}" != "off" ]; then
  echo "Preparing the offline model in the background (GET /health/local-model; log:" \
    "llm-backend/data/local-model.log)." >&2
  # The status file is what /health/local-model reads while the build runs or after it failed.
  (
    echo "preparing $BASHPID" >data/local-model.status
    if bootstrap_local_model && "$VENV/bin/python" -m shared.llm.local_setup; then
      rm -f data/local-model.status
    else
      echo failed >data/local-model.status
    fi
  ) >data/local-model.log 2>&1 </dev/null &
fi
# AUTH_MODE=local (the development default without Cognito settings): print an admin and a
# student token from the local issuer (key: llm-backend/data/local_auth_key.pem).
"$VENV/bin/python" -m shared.auth.dev_token --banner
exec "$VENV/bin/python" -m uvicorn main:app --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}"
