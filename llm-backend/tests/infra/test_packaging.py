"""`sam build` packages llm-backend/ with requirements.txt, the hashed runtime lock
(tests/infra/test_locks.py checks it against pyproject.toml): no test tools, no local model."""

from __future__ import annotations

from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from config import BACKEND_DIR
from tests.infra.conftest import TEMPLATE_PATH


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
