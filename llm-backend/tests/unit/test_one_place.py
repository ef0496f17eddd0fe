"""Each shared thing is defined in one place: test modules share helpers through
tests/support (never by importing one another), and the request's database session
dependency is defined once, next to get_db."""

from __future__ import annotations

import ast
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[2]
TESTS = BACKEND / "tests"
SKIP = {".venv", "node_modules", "__pycache__"}


def _python_files(root: Path):
    for path in sorted(root.rglob("*.py")):
        if not SKIP & set(path.relative_to(BACKEND).parts):
            yield path


def _imported_modules(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def _is_test_module_or_conftest(module: str) -> bool:
    leaf = module.rsplit(".", 1)[-1]
    return module.startswith("tests.") and (leaf.startswith("test_") or leaf == "conftest")


def test_test_modules_import_no_other_test_module_or_conftest():
    offenders = []
    for path in _python_files(TESTS):
        tree = ast.parse(path.read_text())
        offenders += [
            f"{path.relative_to(BACKEND)} imports {module}"
            for module in _imported_modules(tree)
            if _is_test_module_or_conftest(module)
        ]

    # tests/infra/conftest.py's template paths and resources_of_type are shared on purpose.
    assert [o for o in offenders if not o.endswith("imports tests.infra.conftest")] == []


def _assigned_names(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            yield from (t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            yield node.target.id
        elif isinstance(node, ast.ClassDef | ast.FunctionDef):
            yield node.name


def _defined_in(name: str, root: Path) -> list[str]:
    return [
        str(path.relative_to(BACKEND))
        for path in _python_files(root)
        if name in set(_assigned_names(ast.parse(path.read_text())))
    ]


def test_db_session_dependency_is_defined_once():
    assert [p for p in _defined_in("DbSession", BACKEND) if not p.startswith("tests/")] == [
        "database.py"
    ]


def test_held_dispatcher_is_defined_once():
    assert _defined_in("HeldDispatcher", TESTS) == ["tests/support/book_jobs.py"]


APP = [BACKEND / d for d in ("shared", "tutor", "book_ingestion", "study_plans")]


def _app_files_containing(text: str) -> list[str]:
    return [
        str(path.relative_to(BACKEND))
        for root in APP
        for path in _python_files(root)
        if text in path.read_text()
    ]


def test_the_language_literal_is_written_once():
    assert _app_files_containing('Literal["en", "hi", "hinglish"]') == ["shared/models/enums.py"]


def test_the_study_plan_step_kind_is_written_once():
    written = _app_files_containing('Literal["explain", "check", "practice"]')
    assert [p for p in written if p.startswith("study_plans/")] == [
        "study_plans/models/plan_format.py"
    ]


def test_retry_after_is_set_by_one_mechanism():
    # CORS names it among the headers a browser may read; only AppError sets it.
    assert _app_files_containing('"Retry-After"') == ["shared/api/cors.py", "shared/errors.py"]


def test_the_dialect_specific_insert_is_chosen_in_one_place():
    assert _app_files_containing("sqlalchemy.dialects") == ["shared/sql.py"]
