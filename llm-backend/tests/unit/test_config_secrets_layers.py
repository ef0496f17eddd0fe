"""`config` and `shared.secrets` do not import each other in a cycle: config imports secrets
at its top (for the database URL), and secrets never imports config, not even inside a
function, so neither depends on the other being half-initialised."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[2]
CONFIG, SECRETS = "config", "shared.secrets"


def _runtime_imports(module: str) -> list[tuple[str, bool]]:
    """(imported module, at the module's top level) for every import the file can run;
    imports under `if TYPE_CHECKING:` never run and are left out."""
    path = BACKEND / (module.replace(".", "/") + ".py")
    tree = ast.parse(path.read_text())
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                visit(ast.Module(body=child.orelse, type_ignores=[]), top)
                continue
            if isinstance(child, ast.Import):
                found.extend((alias.name, top) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module:
                found.append((child.module, top))
                found.extend((f"{child.module}.{alias.name}", top) for alias in child.names)
            nested = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            visit(child, top and not nested)

    visit(tree, True)
    return found


def _imports_of(module: str, target: str) -> list[tuple[str, bool]]:
    return [(name, top) for name, top in _runtime_imports(module) if name == target]


def test_secrets_never_imports_config():
    assert _imports_of(SECRETS, CONFIG) == []


def test_config_imports_secrets_only_at_its_top():
    assert _imports_of(CONFIG, SECRETS) == [(SECRETS, True)]


def test_each_imports_first_in_a_fresh_interpreter_without_loading_a_cycle():
    probe = (
        "import importlib, json, sys\n"
        "importlib.import_module(sys.argv[1])\n"
        "print(json.dumps(sorted(m for m in ('config', 'shared.secrets') if m in sys.modules)))"
    )
    loaded = {}
    for module in (CONFIG, SECRETS):
        result = subprocess.run(
            [sys.executable, "-c", probe, module],
            cwd=BACKEND,
            env={"PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        loaded[module] = result.stdout.strip().splitlines()[-1]

    assert loaded == {CONFIG: '["config", "shared.secrets"]', SECRETS: '["shared.secrets"]'}
