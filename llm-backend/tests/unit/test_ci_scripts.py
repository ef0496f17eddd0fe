"""The README's test command and `.ci/run` fail when a test fails and when no test ran.

pytest exits 1 on a failure and 5 when it collected nothing; `test.sh` must hand that code on
(`exec`), and `.ci/run` must stop on it (`set -e`) instead of going on to the lint step and
reporting success.

Both run in a copy of the repository's layout whose virtualenv is already installed (its
stamps match pyproject.toml) and whose `python` hands over to this test's interpreter, so the
scripts run as written without installing anything or building the local model.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def _run(command: list[str], cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, cwd=cwd, env=env or os.environ.copy(), capture_output=True, text=True, timeout=300
    )


def _installed_checkout(root: Path) -> Path:
    """The scripts and pyproject.toml under `root`, with a virtualenv that bootstrap.sh finds
    up to date (main and optional extras) and a `python` that runs this interpreter."""
    shutil.copytree(REPO / "scripts", root / "scripts")
    backend = root / "llm-backend"
    backend.mkdir()
    for name in ("pyproject.toml", "requirements-dev.txt", "requirements-local.txt"):
        shutil.copy(REPO / "llm-backend" / name, backend / name)
    venv = backend / ".venv"
    _executable(venv / "bin" / "python", f'exec "{sys.executable}" "$@"')
    pyproject = (backend / "pyproject.toml").read_bytes()
    for stamp, lock in (
        (".installed-dev", "requirements-dev.txt"),
        (".optional-local", "requirements-local.txt"),
    ):
        digest = hashlib.sha256(pyproject + (backend / lock).read_bytes()).hexdigest()
        (venv / stamp).write_text(digest + "\n")
    return root


def _test_command(tmp_path: Path, test_file: str, body: str) -> subprocess.CompletedProcess:
    checkout = _installed_checkout(tmp_path / "checkout")
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / test_file).write_text(body)
    # A database URL, so the script starts no PostgreSQL of its own (these tests use none).
    env = {**os.environ, "TEST_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/unused"}
    return _run(["bash", "scripts/test.sh", "-p", "no:cacheprovider", str(tests)], checkout, env)


def test_test_command_fails_on_a_failing_test(tmp_path):
    result = _test_command(tmp_path, "test_fails.py", "def test_fails():\n    assert 1 == 2\n")

    assert result.returncode == 1, result.stdout[-2000:]
    assert "1 failed" in result.stdout


def test_test_command_fails_when_no_test_ran(tmp_path):
    result = _test_command(tmp_path, "test_nothing.py", "VALUE = 1\n")

    assert result.returncode == 5, result.stdout[-2000:]
    assert "no tests ran" in result.stdout


def _executable(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/usr/bin/env bash\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@pytest.mark.parametrize("pytest_exit", [0, 1, 5])
def test_ci_run_passes_only_when_the_test_command_passes(tmp_path, pytest_exit):
    # A copy of the repository's layout where the test command just exits with pytest's code.
    shutil.copytree(REPO / ".ci", tmp_path / ".ci")
    _executable(tmp_path / "scripts" / "test.sh", f"echo tests ran >> ran.log; exit {pytest_exit}")
    for tool in ("ruff", "lint-imports", "mypy"):
        log = f'echo "{tool} $*" >> "$(dirname "$0")/../../../ran.log"'
        _executable(tmp_path / "llm-backend" / ".venv" / "bin" / tool, log)
    _executable(tmp_path / "bin" / "chromium", "exit 0")
    env = {
        **os.environ,
        "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}",
        "TEST_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/postgres",
    }

    result = _run(["bash", ".ci/run"], tmp_path, env)

    assert result.returncode == pytest_exit, result.stderr
    ran = (tmp_path / "ran.log").read_text().splitlines()
    if pytest_exit == 0:
        assert ran == [
            "tests ran",
            "ruff check llm-backend",
            "ruff format --check llm-backend",
            "lint-imports .importlinter",
            "mypy ",
        ]
    else:
        assert ran == ["tests ran"]  # stopped before linting
