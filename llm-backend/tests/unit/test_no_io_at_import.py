"""Importing the application does no I/O: no socket is opened, no file is written.

Lambda imports the handler module on every cold start; a connection or file made at import
time would slow every cold start and fail in ways no request can report.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[2]

PROBE = r"""
import builtins, importlib, os, pkgutil, socket, sys

def refuse_connect(self, address):
    raise AssertionError(f"network connection at import time: {address!r}")

real_open = builtins.open
def guarded_open(file, mode="r", *args, **kwargs):
    if any(flag in mode for flag in "wax+"):
        raise AssertionError(f"file opened for writing at import time: {file!r}")
    return real_open(file, mode, *args, **kwargs)

socket.socket.connect = refuse_connect
socket.socket.connect_ex = refuse_connect
builtins.open = guarded_open

modules = ["config", "database", "db", "main", "lambda_handler"]
for package in ("shared", "tutor", "book_ingestion", "study_plans", "evaluation"):
    if not os.path.isdir(package):
        continue
    pkg = importlib.import_module(package)
    modules += [m.name for m in pkgutil.walk_packages(pkg.__path__, package + ".")]
for name in modules:
    if name.endswith("__main__"):
        continue
    importlib.import_module(name)
print(len(modules))
"""


def test_importing_every_module_does_no_io(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": "postgresql://nobody:secret@127.0.0.1:1/none",
        "S3_BUCKET": "no-such-bucket",
        "SQS_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/none",
        "AWS_DEFAULT_REGION": "us-east-1",
        "HOME": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=BACKEND, env=env, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout.strip().splitlines()[-1]) > 40
