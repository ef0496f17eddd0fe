"""One way to reach the database from a request: a route takes the request's session
(`session: DbSession`) and hands it to services as `session=`; the service commits. Routes never
open a transaction of their own (`session_scope`, `run_transaction`): a service that needs a
retried unit of work runs it itself."""

from __future__ import annotations

import ast
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[2]
SKIP = {".venv", "tests", "bench", "__pycache__"}


def _production_files():
    for path in sorted(BACKEND.rglob("*.py")):
        if not SKIP & set(path.relative_to(BACKEND).parts):
            yield path


def _route_modules():
    return [p for p in _production_files() if "api" in p.relative_to(BACKEND).parts[:-1]]


def test_routes_open_no_transaction_of_their_own():
    offenders = [
        f"{path.relative_to(BACKEND)}: {alias.name}"
        for path in _route_modules()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and node.module == "database"
        for alias in node.names
        if alias.name in {"session_scope", "run_transaction"}
    ]
    assert offenders == []


def test_the_request_session_is_always_called_session():
    offenders = []
    for path in _production_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                offenders += [
                    f"{path.relative_to(BACKEND)}:{node.lineno} db="
                    for kw in node.keywords
                    if kw.arg == "db"
                ]
            elif isinstance(node, ast.FunctionDef):
                params = node.args.args + node.args.kwonlyargs
                offenders += [
                    f"{path.relative_to(BACKEND)}:{node.lineno} {node.name}({a.arg}: DbSession)"
                    for a in params
                    if isinstance(a.annotation, ast.Name)
                    and a.annotation.id == "DbSession"
                    and a.arg != "session"
                ]
    assert offenders == []
