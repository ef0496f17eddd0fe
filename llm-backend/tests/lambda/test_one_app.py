"""A process builds one FastAPI app: Lambda's handler and uvicorn's `main:app` serve the same
one, and importing main builds none (tests import it for create_app())."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[2]

# A fresh interpreter is a cold start: every FastAPI constructed in it is counted.
PROBE = r"""
import json
import fastapi

built = []
real_init = fastapi.FastAPI.__init__

def counting_init(self, *args, **kwargs):
    built.append(self)
    real_init(self, *args, **kwargs)

fastapi.FastAPI.__init__ = counting_init

import main
import lambda_handler
from tests.support.lambda_context import FakeLambdaContext, load_event
from uvicorn.importer import import_from_string

import gc

after_import = len(built)
frozen_at_import = gc.get_freeze_count()
statuses = [
    lambda_handler.handler(load_event("http_api_get_health.json"), FakeLambdaContext())[
        "statusCode"
    ]
    for _ in range(2)
]
served_by_uvicorn = import_from_string("main:app")
print(json.dumps({
    "after_import": after_import,
    "built": len(built),
    "statuses": statuses,
    "same_app": served_by_uvicorn is lambda_handler._adapter().app is built[0],
    "frozen_at_import": frozen_at_import,
    "frozen_after_request": gc.get_freeze_count() > 10_000,
}))
"""


def test_a_cold_start_builds_one_app_shared_by_lambda_and_uvicorn():
    env = {
        "PATH": "/usr/bin:/bin",
        "ENVIRONMENT": "development",
        "DATABASE_URL": "postgresql://nobody:secret@127.0.0.1:1/none",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_METRICS_NAMESPACE": "TutorBackendTests",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=BACKEND, env=env, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    # Start-up's objects are frozen once the app is built (shared.heap), not at import.
    assert report == {
        "after_import": 0,
        "built": 1,
        "statuses": [200, 200],
        "same_app": True,
        "frozen_at_import": 0,
        "frozen_after_request": True,
    }
