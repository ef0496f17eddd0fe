"""GET /health/local-model: what scripts/serve.sh's background preparation of the offline
model has reached, read from its status file (and the installed extra once it is there)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from shared.api import health


@pytest.fixture
def no_local_extra(monkeypatch):
    monkeypatch.setattr(health, "local_extra_installed", lambda: False)


def test_ready_once_the_extra_and_model_file_are_installed(monkeypatch, tmp_path):
    monkeypatch.setattr(health, "local_extra_installed", lambda: True)
    monkeypatch.setattr(health, "default_model_path", lambda: tmp_path / "model.gguf")

    assert health.local_model_status(tmp_path / "absent.status") == "ready"


def test_preparing_while_the_build_process_runs(no_local_extra, tmp_path):
    status = tmp_path / "local-model.status"
    status.write_text(f"preparing {os.getpid()}\n")

    assert health.local_model_status(status) == "preparing"


def test_not_installed_when_the_build_process_is_gone(no_local_extra, tmp_path):
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    status = tmp_path / "local-model.status"
    status.write_text(f"preparing {finished.stdout.strip()}\n")

    assert health.local_model_status(status) == "not installed"


def test_failed_and_absent_status(no_local_extra, tmp_path):
    status = tmp_path / "local-model.status"
    assert health.local_model_status(status) == "not installed"
    status.write_text("failed\n")
    assert health.local_model_status(status) == "failed"


def test_endpoint_answers_with_the_status(no_local_extra, monkeypatch):
    from fastapi.testclient import TestClient

    from main import create_app

    monkeypatch.setattr(health, "local_model_status", lambda: "preparing")
    with TestClient(create_app()) as client:
        response = client.get("/health/local-model")

    assert response.status_code == 200
    assert response.json() == {"status": "preparing"}
