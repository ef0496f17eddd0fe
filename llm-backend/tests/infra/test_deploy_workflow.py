"""The deploy workflow: tag or manual trigger, tests first, OIDC (no stored keys), then build,
deploy, migrate through MigrateFunction and a smoke call to /health/db."""

from __future__ import annotations

import pytest
import yaml

from tests.infra.conftest import REPO_ROOT

WORKFLOW_PATH = REPO_ROOT / ".github" / "workflows" / "deploy.yml"


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW_PATH.read_text())


def _runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_triggers_on_version_tags_and_manually(workflow):
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as a boolean

    assert triggers["push"] == {"tags": ["v*"]}
    assert triggers["workflow_dispatch"]["inputs"]["stage"]["options"] == [
        "staging",
        "production",
    ]


def test_tests_run_before_deploying(workflow):
    jobs = workflow["jobs"]

    assert ".ci/run" in _runs(jobs["test"])
    assert jobs["test"]["env"]["TEST_DATABASE_URL"].startswith("postgresql://")
    assert jobs["deploy"]["needs"] == "test"


def test_aws_access_is_oidc_without_stored_keys(workflow):
    deploy = workflow["jobs"]["deploy"]
    credentials = next(
        s for s in deploy["steps"] if s.get("uses", "").startswith("aws-actions/configure-aws")
    )

    assert workflow["permissions"] == {"contents": "read"}
    assert deploy["permissions"] == {"contents": "read", "id-token": "write"}
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    assert "aws-access-key-id" not in credentials["with"]
    assert "secrets." not in WORKFLOW_PATH.read_text()


def test_build_deploy_migrate_then_smoke_test_in_that_order(workflow, cfn_template):
    script = _runs(workflow["jobs"]["deploy"])
    order = [
        "sam build",
        "sam deploy",
        'aws lambda invoke --function-name "$MIGRATE_FUNCTION"',
        '"$API_URL/health/db"',
    ]

    positions = [script.index(marker) for marker in order]
    assert positions == sorted(positions)
    # The outputs the workflow reads exist in the template.
    for output in ("ApiUrl", "MigrateFunctionName"):
        assert f"$(output {output})" in script
        assert output in cfn_template["Outputs"]


def test_deploy_always_passes_the_stage_cost_settings(workflow, sam_template):
    """sam deploy keeps an existing stack's previous value for a parameter it is not given, so
    the settings whose defaults depend on the stage are always passed ("auto" unless the
    environment's variable says otherwise)."""
    deploy = next(s for s in workflow["jobs"]["deploy"]["steps"] if s.get("name") == "sam deploy")
    for parameter, variable in (
        ("DbMinCapacity", "DB_MIN_CAPACITY"),
        ("EnableRdsProxy", "ENABLE_RDS_PROXY"),
        ("EnableNatGateway", "ENABLE_NAT_GATEWAY"),
    ):
        assert f'"{parameter}=${{{variable}:-auto}}"' in deploy["run"], parameter
        assert deploy["env"][variable] == f"${{{{ vars.{variable} }}}}"
        assert sam_template["Parameters"][parameter]["Default"] == "auto"
