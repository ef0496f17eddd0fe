"""study_plans owns its table: the tutor and book ingestion read and store plans through
study_plans' services, never through the `StudyPlan` entity."""

from __future__ import annotations

import ast
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[2]


def _entity_imports(package: str) -> list[str]:
    found = []
    for path in sorted((BACKEND / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "shared.models.entities":
                names = {alias.name for alias in node.names}
                if "StudyPlan" in names or "*" in names:
                    found.append(str(path.relative_to(BACKEND)))
    return found


def test_tutor_and_book_ingestion_do_not_import_the_study_plan_entity():
    assert _entity_imports("tutor") + _entity_imports("book_ingestion") == []
    assert _entity_imports("study_plans")  # the check sees the owner's own import
