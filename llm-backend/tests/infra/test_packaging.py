"""`sam build` packages llm-backend/ with requirements.txt, which must be exactly the runtime
dependencies of pyproject.toml: no test tools and no local-model extra."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement

from config import BACKEND_DIR
from tests.infra.conftest import TEMPLATE_PATH


def _requirements_txt() -> list[str]:
    lines = (BACKEND_DIR / "requirements.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _pyproject() -> dict:
    return tomllib.loads((BACKEND_DIR / "pyproject.toml").read_text())


def _normalized(requirements: list[str]) -> list[str]:
    return sorted(str(Requirement(r)) for r in requirements)


def test_requirements_txt_equals_pyproject_runtime_dependencies():
    assert _normalized(_requirements_txt()) == _normalized(_pyproject()["project"]["dependencies"])


def test_requirements_txt_has_no_optional_or_dev_dependency():
    packaged = {Requirement(r).name for r in _requirements_txt()}
    optional = {
        Requirement(r).name
        for extra in _pyproject()["project"]["optional-dependencies"].values()
        for r in extra
    }

    assert {"pytest", "moto", "ruff", "cfn-lint", "llama-cpp-python"} <= optional
    assert packaged & optional == set()


def test_every_function_is_built_from_llm_backend(sam_template):
    code_uri = sam_template["Globals"]["Function"]["CodeUri"]

    assert code_uri == "../llm-backend"
    assert (TEMPLATE_PATH.parent / code_uri).resolve() == Path(BACKEND_DIR)
    for name, resource in sam_template["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            assert "CodeUri" not in resource["Properties"], name
