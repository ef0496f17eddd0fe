"""`sam build` packages llm-backend/ with requirements.txt, the hashed runtime lock
(tests/infra/test_locks.py checks it against pyproject.toml): no test tools, no local model."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import lambda_package
from config import BACKEND_DIR
from tests.infra.conftest import TEMPLATE_PATH

FUNCTION_HANDLERS = (
    "lambda_handler.handler",
    "lambda_handler.worker_handler",
    "lambda_handler.migrate_handler",
)


def _locked_names(lock: str) -> set[str]:
    lines = (BACKEND_DIR / lock).read_text().splitlines()
    return {
        canonicalize_name(Requirement(line.rstrip(" \\")).name)
        for line in lines
        if line and not line.startswith((" ", "#"))
    }


def test_runtime_lock_has_no_test_tool_or_local_model():
    packaged = _locked_names("requirements.txt")
    development_only = {"pytest", "moto", "ruff", "cfn-lint", "mypy", "llama-cpp-python", "uv"}

    assert {"fastapi", "sqlalchemy", "mangum"} <= packaged
    assert packaged & development_only == set()


def test_every_function_is_built_from_llm_backend(sam_template):
    code_uri = sam_template["Globals"]["Function"]["CodeUri"]

    assert code_uri == "../llm-backend"
    assert (TEMPLATE_PATH.parent / code_uri).resolve() == Path(BACKEND_DIR)
    for name, resource in sam_template["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            assert "CodeUri" not in resource["Properties"], name


# --- what `sam build` ships (lambda_package.py through the Makefile) -------------------------

FUNCTION_NAMES = ("ApiFunction", "WorkerFunction", "MigrateFunction")
# Never in the package: local data (the embedded SQLite database), virtualenvs, tests, keys.
FORBIDDEN = re.compile(
    r"(^|/)(data|\.venv|venv|tests|bench|__pycache__)(/|$)"
    r"|(^|/)\.env"
    r"|\.(pem|key|p12|pfx|sqlite3?|db|db-journal|db-wal|pyc)$"
    r"|(^|/)id_(rsa|ed25519)"
)
PLANTED = {
    "data/tutor.db": "SQLite format 3",
    "data/tutor.sqlite3": "SQLite format 3",
    ".venv/lib/python3.12/site-packages/pytest/__init__.py": "",
    "venv/bin/python": "",
    ".env": "OPENAI_API_KEY=sk-test",
    "keys/deploy.pem": "-----BEGIN PRIVATE KEY-----",
    "shared/local.key": "secret",
    "shared/.env.local": "ANTHROPIC_API_KEY=sk-ant-test",
    "tutor/id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----",
    "tutor/cache.sqlite": "SQLite format 3",
    "tests/secret_fixture.py": "TOKEN = 'x'",
    "shared/__pycache__/errors.cpython-312.pyc": "",
}


def _template_functions(sam_template) -> dict[str, dict]:
    return {
        name: resource
        for name, resource in sam_template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def _source_with_planted_files(tmp_path: Path) -> Path:
    """A copy of llm-backend/ (as a developer's checkout may look) with local data, a
    virtualenv, keys and caches added."""
    source = tmp_path / "llm-backend"
    shutil.copytree(
        BACKEND_DIR,
        source,
        ignore=shutil.ignore_patterns(".venv", "__pycache__", "*.egg-info", ".*_cache", "data"),
    )
    for relative, text in PLANTED.items():
        path = source / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return source


def test_every_function_is_built_by_the_makefile_that_runs_lambda_package(sam_template):
    """SAM's Python builder copies the whole CodeUri directory and has no exclusions (no
    .samignore); with BuildMethod makefile only what the target puts into ARTIFACTS_DIR ships."""
    functions = _template_functions(sam_template)
    makefile = (BACKEND_DIR / "Makefile").read_text()

    assert set(functions) == set(FUNCTION_NAMES)
    for name, resource in functions.items():
        assert resource["Metadata"] == {"BuildMethod": "makefile"}, name
        target = re.search(rf"^([^\n]*\bbuild-{name}\b[^\n]*):\n\t([^\n]+)", makefile, re.M)
        assert target, name
        assert target.group(2) == '$(PYTHON) lambda_package.py "$(ARTIFACTS_DIR)"'
    # The wheels lambda_package installs are for the functions' runtime and architecture.
    globals_ = sam_template["Globals"]["Function"]
    assert globals_["Runtime"] == f"python{lambda_package.PYTHON_VERSION}"
    assert globals_["Architectures"] == ["arm64"]
    assert lambda_package.PLATFORM.endswith("_aarch64")


def test_package_leaves_out_data_venv_tests_keys_and_databases(tmp_path):
    source = _source_with_planted_files(tmp_path)
    build = tmp_path / "build"

    copied = lambda_package.copy_code(build, source=source)
    built = sorted(p.relative_to(build).as_posix() for p in build.rglob("*") if p.is_file())

    assert built == sorted(p.as_posix() for p in copied)
    assert [path for path in built if FORBIDDEN.search(path)] == []
    for relative in PLANTED:
        assert not (build / relative).exists(), relative
    # What runs is there: the entry points and every domain package with its non-Python files.
    top_level = {path.split("/")[0] for path in built}
    assert top_level == {
        "config.py",
        "database.py",
        "db.py",
        "lambda_handler.py",
        "main.py",
        "shared",
        "tutor",
        "book_ingestion",
        "study_plans",
        "evaluation",
    }
    assert {path for path in built if not path.endswith(".py")} == {
        p.relative_to(source).as_posix()
        for package in ("shared", "tutor", "book_ingestion", "study_plans", "evaluation")
        for p in (source / package).rglob("*")
        if p.is_file() and not p.name.endswith(".py") and not FORBIDDEN.search(p.as_posix())
    }


def test_packaged_handlers_import_from_the_package_alone(tmp_path):
    """The package is complete: the handlers and the app (every router, every domain) import
    with the package directory first on the path, and every project module comes from it, not
    from the checkout (the dependencies come from the test environment)."""
    build = tmp_path / "build"
    lambda_package.copy_code(build)
    top_level = sorted(
        {p.split("/")[0].removesuffix(".py") for p in map(str, lambda_package.shipped_files())}
    )
    script = (
        "import importlib, json, sys\n"
        f"top = set({top_level!r})\n"
        f"for spec in {[h for h in FUNCTION_HANDLERS]!r}:\n"
        "    module, attr = spec.rsplit('.', 1)\n"
        "    assert callable(getattr(importlib.import_module(module), attr)), spec\n"
        # The handlers import the app lazily; main and db are what they load on first call.
        "import main, db\n"
        "main.create_app()\n"
        "loaded = {n: m.__file__ for n, m in sys.modules.items()\n"
        "          if n.split('.')[0] in top and getattr(m, '__file__', None)}\n"
        "print(json.dumps(loaded))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=build,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    loaded = json.loads(result.stdout)
    assert {name.split(".")[0] for name in loaded} == set(top_level)
    outside = {name: path for name, path in loaded.items() if not path.startswith(str(build))}
    assert outside == {}


def test_makefile_build_installs_requirements_for_the_lambda_runtime(tmp_path, monkeypatch):
    """Without the network the test checks the pip command lambda_package runs: the runtime
    requirements only, as wheels for python3.12 on arm64, into the artifacts directory."""
    calls = []
    monkeypatch.setattr(
        lambda_package.subprocess, "run", lambda cmd, check: calls.append((cmd, check))
    )
    (tmp_path / "bin").mkdir()

    assert lambda_package.main([str(tmp_path)]) == 0

    ((command, check),) = calls
    assert check is True
    assert command[:4] == [sys.executable, "-m", "pip", "install"]
    option = dict(itertools.pairwise(command))
    assert option["--requirement"] == str(BACKEND_DIR / "requirements.txt")
    assert option["--target"] == str(tmp_path)
    assert option["--platform"] == "manylinux2014_aarch64"
    assert option["--python-version"] == "3.12"
    assert "--only-binary=:all:" in command
    assert not (tmp_path / "bin").exists()
    assert (tmp_path / "lambda_handler.py").is_file()
