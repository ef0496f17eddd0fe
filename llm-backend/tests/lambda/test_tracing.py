"""X-Ray tracing: on in Lambda (the template's `Tracing: Active`), where each invocation sends
its `## handler` subsegment to the X-Ray daemon; off elsewhere, where the X-Ray SDK (and the
botocore it imports) is never loaded, so it costs no cold-start time. Nor do the imports only
some routes need (botocore for Cognito, Pillow for page images): a request that needs neither
loads neither."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[2]

# Untraced, none of these is loaded by building the app or serving a request that needs none.
DEFERRED = ("aws_xray_sdk", "botocore.config", "botocore.exceptions", "PIL.Image")

PROBE = (
    f"DEFERRED = {DEFERRED!r}\n"
    + r"""
import json, sys
import lambda_handler
from tests.support.lambda_context import FakeLambdaContext, load_event

status = lambda_handler.handler(load_event("http_api_get_health.json"), FakeLambdaContext())[
    "statusCode"
]
print(json.dumps({"status": status, "loaded": [m for m in DEFERRED if m in sys.modules]}))
"""
)

BASE_ENV = {
    "PATH": "/usr/bin:/bin",
    "ENVIRONMENT": "development",
    "DATABASE_URL": "postgresql://nobody:secret@127.0.0.1:1/none",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_METRICS_NAMESPACE": "TutorBackendTests",
}


def _run(env: dict[str, str], home: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=BACKEND,
        env={**BASE_ENV, "HOME": str(home), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _segments(daemon: socket.socket) -> list[dict]:
    """The segment documents the daemon received: `{"format": "json", ...}\\n{document}`."""
    documents = []
    daemon.settimeout(0)
    while True:
        try:
            datagram = daemon.recv(65536)
        except BlockingIOError:
            return documents
        documents.append(json.loads(datagram.decode().split("\n", 1)[1]))


def test_in_lambda_each_invocation_is_traced_to_the_xray_daemon(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as daemon:
        daemon.bind(("127.0.0.1", 0))
        port = daemon.getsockname()[1]
        lambda_env = {
            "LAMBDA_TASK_ROOT": str(BACKEND),
            "AWS_LAMBDA_FUNCTION_NAME": "tutor-api",
            "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{port}",
            "_X_AMZN_TRACE_ID": (
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
            ),
        }

        report = _run(lambda_env, tmp_path)

        # The subprocess has exited: every datagram it sent is in the socket's buffer.
        segments = _segments(daemon)
    assert report["status"] == 200
    assert "aws_xray_sdk" in report["loaded"]
    (handler,) = [s for s in segments if s.get("name") == "## handler"]
    assert handler["trace_id"] == "1-5759e988-bd862e3fe1be46a994272793"
    assert handler["parent_id"] == "53995c3f42cd8ad8"
    assert handler["annotations"] == {"ColdStart": True, "Service": "tutor-backend"}


def test_untraced_cold_start_and_request_load_no_xray_botocore_or_pillow(tmp_path):
    disabled_in_lambda = {"LAMBDA_TASK_ROOT": str(BACKEND), "POWERTOOLS_TRACE_DISABLED": "true"}

    assert _run(disabled_in_lambda, tmp_path) == {"status": 200, "loaded": []}
    assert _run({}, tmp_path) == {"status": 200, "loaded": []}
