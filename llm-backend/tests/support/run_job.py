"""Runs one job in this process, as the local executor would: `python -m tests.support.run_job
JOB_ID JOB_TYPE`. Settings come from the environment (the kill -9 test starts it)."""

from __future__ import annotations

import sys

from shared.jobs.registry import get_handler

if __name__ == "__main__":
    get_handler(sys.argv[2])(sys.argv[1], None)
