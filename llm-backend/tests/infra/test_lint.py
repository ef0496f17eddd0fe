"""cfn-lint, with AWS's serverless rules, finds nothing in the template: no errors, no warnings
and no informational findings. Rules the template opts out of are listed, with the reason, in
its `Metadata: cfn-lint` blocks (infra/README.md, "Lint"). The backend's layering contracts
(import-linter) hold too; `.ci/run` checks them, and types with mypy, after the tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.infra.conftest import TEMPLATE_PATH

SERVERLESS_RULES = "cfn_lint_serverless.rules"


def _cfn_lint(template: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-c",
        "import sys; from cfnlint.runner import main; sys.exit(main())",
        "--format",
        "parseable",
        "--include-checks",
        "I",
        "--append-rules",
        SERVERLESS_RULES,
        *extra,
        "--",
        str(template),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


def test_sam_template_passes_cfn_lint_with_serverless_rules():
    result = _cfn_lint(TEMPLATE_PATH)

    assert result.stdout == ""
    assert result.stderr == ""
    assert result.returncode == 0


def test_transformed_template_passes_cfn_lint(sam_template, cfn_template, tmp_path):
    """What CloudFormation receives after the SAM transform also lints clean. ES1001 asks for
    an on-failure destination on the event source mapping, which Lambda supports only for
    stream sources; for SQS the queue's redrive policy (maxReceiveCount 3) is the DLQ.
    (`--ignore-checks` replaces the template's own list, so that list is passed too.)"""
    transformed = tmp_path / "transformed.json"
    transformed.write_text(json.dumps(cfn_template))
    template_ignores = sam_template["Metadata"]["cfn-lint"]["config"]["ignore_checks"]
    assert template_ignores == ["W1030"]

    result = _cfn_lint(transformed, "--ignore-checks", *template_ignores, "ES1001")

    assert result.stdout == ""
    assert result.returncode == 0


BACKEND = Path(__file__).resolve().parents[2]


def test_layering_contracts_hold():
    """The import-linter contracts in `.importlinter` (entry points above domains above shared;
    domains reach each other through services only; services never import an api package)
    are all kept."""
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--no-cache", ".importlinter"],
        cwd=BACKEND,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert "Contracts: 3 kept, 0 broken." in result.stdout, result.stdout[-3000:]
    assert result.returncode == 0
