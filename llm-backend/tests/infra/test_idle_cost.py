"""An idle stage is cheap by default and production keeps its safer settings: the template's
Conditions evaluated (by infra/cost.py) for the parameters each samconfig.toml environment
deploys with, and the cost script's own output."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from types import ModuleType

import pytest

from tests.infra.conftest import REPO_ROOT, TEMPLATE_PATH

COST_SCRIPT = REPO_ROOT / "infra" / "cost.py"
STAGING_BUDGET_USD = 20.0
NAT_RESOURCES = {
    "InternetGateway",
    "InternetGatewayAttachment",
    "PublicSubnetA",
    "PublicRouteTable",
    "PublicDefaultRoute",
    "PublicSubnetARouteTable",
    "NatAddress",
    "NatGateway",
    "PrivateDefaultRoute",
}
PROXY_RESOURCES = {
    "DatabaseProxy",
    "DatabaseProxyRole",
    "DatabaseProxyTargetGroup",
    "DatabaseProxySecurityGroup",
    "DatabaseFromProxyIngress",
}
FUNCTIONS = ("ApiFunction", "WorkerFunction", "MigrateFunction")


@pytest.fixture(scope="module")
def cost() -> ModuleType:
    spec = importlib.util.spec_from_file_location("infra_cost", COST_SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    # dataclasses resolve the module's annotations through sys.modules.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _stack(cost, stage: str, **extra: str):
    return cost.Stack(cost.load_template(), {**cost.samconfig_parameters(stage), **extra})


def _min_capacity(stack) -> float:
    scaling = stack.properties("DatabaseCluster")["ServerlessV2ScalingConfiguration"]
    return float(scaling["MinCapacity"])


def test_the_cost_script_reads_the_same_template_as_the_other_checks(cost):
    assert cost.TEMPLATE == TEMPLATE_PATH
    # The cost settings are named: sam deploy would keep an existing stack's previous values.
    auto = {"DbMinCapacity": "auto", "EnableRdsProxy": "auto", "EnableNatGateway": "auto"}
    assert cost.samconfig_parameters("staging") == {"Stage": "staging", **auto}
    assert cost.samconfig_parameters("production") == {"Stage": "production", **auto}


def test_staging_has_no_nat_gateway_no_proxy_and_a_pausing_database(cost):
    stack = _stack(cost, "staging")
    resources = stack.resources()

    assert NAT_RESOURCES & set(resources) == set()
    assert PROXY_RESOURCES & set(resources) == set()
    assert not [r for r in resources.values() if r["Type"] == "AWS::EC2::NatGateway"]
    assert _min_capacity(stack) == 0
    scaling = stack.properties("DatabaseCluster")["ServerlessV2ScalingConfiguration"]
    assert scaling["SecondsUntilAutoPause"] == "600"
    # Warm containers' idle connections would keep it awake: the server ends them.
    shared_env = stack.resolve(cost.load_template()["Globals"]["Function"]["Environment"])
    assert shared_env["Variables"]["DB_IDLE_SESSION_TIMEOUT_MS"] == "300000"
    pause_after_ms = int(stack.parameters["DbSecondsUntilAutoPause"]) * 1000
    assert int(shared_env["Variables"]["DB_IDLE_SESSION_TIMEOUT_MS"]) < pause_after_ms
    # Without a proxy the API connects to the writer itself, which lets it in.
    api_env = stack.properties("ApiFunction")["Environment"]["Variables"]
    assert api_env["DB_HOST"] == {"Fn::GetAtt": ["DatabaseCluster", "Endpoint.Address"]}
    assert "DatabaseFromApiIngress" in resources


def test_staging_functions_go_out_over_ipv6_and_reach_s3_and_cognito_privately(cost):
    stack = _stack(cost, "staging")
    resources = stack.resources()

    routes = {
        name: stack.properties(name)
        for name, r in resources.items()
        if r["Type"] == "AWS::EC2::Route"
    }
    # The only way out of the private subnets is IPv6 through the egress-only gateway.
    assert routes == {
        "PrivateIpv6DefaultRoute": {
            "RouteTableId": {"Ref": "PrivateRouteTable"},
            "DestinationIpv6CidrBlock": "::/0",
            "EgressOnlyInternetGatewayId": {"Ref": "EgressOnlyInternetGateway"},
        }
    }
    for subnet in ("PrivateSubnetA", "PrivateSubnetB"):
        assert "Ipv6CidrBlock" in stack.properties(subnet), subnet
    for name in FUNCTIONS:
        assert stack.properties(name)["VpcConfig"]["Ipv6AllowedForDualStack"] is True, name
        group = stack.properties(name)["VpcConfig"]["SecurityGroupIds"][0]["Ref"]
        egress = stack.properties(group)["SecurityGroupEgress"]
        assert {rule.get("CidrIpv6") for rule in egress} >= {"::/0"}, name

    s3 = stack.properties("S3GatewayEndpoint")
    assert (s3["VpcEndpointType"], s3["RouteTableIds"]) == (
        "Gateway",
        [{"Ref": "PrivateRouteTable"}],
    )
    cognito = stack.properties("CognitoEndpoint")
    assert cognito["ServiceName"] == {"Fn::Sub": "com.amazonaws.${AWS::Region}.cognito-idp"}
    assert cognito["VpcEndpointType"] == "Interface" and cognito["PrivateDnsEnabled"] is True
    # Interface endpoints are billed per AZ-hour: SQS and Secrets Manager answer over IPv6
    # instead, for free, so the Cognito endpoint is the only one.
    interface = [
        name
        for name, r in resources.items()
        if r["Type"] == "AWS::EC2::VPCEndpoint"
        and stack.properties(name)["VpcEndpointType"] == "Interface"
    ]
    assert interface == ["CognitoEndpoint"]


def test_production_keeps_nat_gateway_proxy_and_a_warm_database(cost):
    stack = _stack(cost, "production")
    resources = stack.resources()

    assert set(resources) >= NAT_RESOURCES
    assert set(resources) >= PROXY_RESOURCES
    assert "CognitoEndpoint" not in resources  # the NAT gateway reaches Cognito
    assert _min_capacity(stack) == 0.5
    scaling = stack.properties("DatabaseCluster")["ServerlessV2ScalingConfiguration"]
    assert scaling["SecondsUntilAutoPause"] == {"Ref": "AWS::NoValue"}
    api_env = stack.properties("ApiFunction")["Environment"]["Variables"]
    assert api_env["DB_HOST"] == {"Fn::GetAtt": ["DatabaseProxy", "Endpoint"]}
    shared_env = stack.resolve(cost.load_template()["Globals"]["Function"]["Environment"])
    assert shared_env["Variables"]["DB_IDLE_SESSION_TIMEOUT_MS"] == "0"


@pytest.mark.parametrize("stage", ["development", "staging", "production"])
def test_no_stage_default_puts_a_pausing_database_behind_the_proxy(cost, stage):
    """A proxy keeps its connections open, so the cluster would never pause (the template's
    Rules refuse the explicit combination)."""
    stack = _stack(cost, "staging", Stage=stage)

    assert not (stack.condition("UseRdsProxy") and stack.condition("DbCanPause"))
    assert stack.condition("DbCanPause") == (_min_capacity(stack) == 0)


def test_parameters_override_the_stage_defaults(cost):
    nat = _stack(cost, "staging", EnableNatGateway="true", EnableRdsProxy="true", DbMinCapacity="1")
    assert set(nat.resources()) >= NAT_RESOURCES | PROXY_RESOURCES
    assert "CognitoEndpoint" not in nat.resources()
    assert _min_capacity(nat) == 1

    cheap = _stack(cost, "production", EnableNatGateway="false", EnableRdsProxy="false")
    assert (NAT_RESOURCES | PROXY_RESOURCES) & set(cheap.resources()) == set()

    existing = _stack(cost, "staging", VpcId="vpc-0abc", PrivateSubnetIds="subnet-1,subnet-2")
    created = {"Vpc", "EgressOnlyInternetGateway", "CognitoEndpoint", "S3GatewayEndpoint"}
    assert created & set(existing.resources()) == set()
    for name in FUNCTIONS:
        assert existing.properties(name)["VpcConfig"]["Ipv6AllowedForDualStack"] is False


def test_every_resource_type_of_the_template_has_a_price_row(cost):
    template_types = {r["Type"] for r in cost.load_template()["Resources"].values()}
    price_rows = cost.load_prices()["types"]

    assert template_types - set(price_rows) == set()
    # No stale rows either: the table describes this template.
    assert set(price_rows) - template_types == set()
    for type_, row in price_rows.items():
        assert row["item"], type_
        assert row["price"] == 0 or row["unit"], type_
    meta = cost.load_prices()["meta"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", meta["checked"])
    assert meta["region"] == "us-east-1"


def _script_total(stdout: str, stage: str) -> float:
    section = stdout.split(f"{stage}: idle month", 1)[1]
    match = re.search(r"\| \*\*total\*\* \| \| \| \*\*([0-9.]+)\*\* \|", section)
    assert match, stdout
    return float(match.group(1))


def test_cost_script_prints_staging_within_budget_and_production_dearer():
    result = subprocess.run(
        [sys.executable, str(COST_SCRIPT)], capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    staging = _script_total(result.stdout, "staging")
    production = _script_total(result.stdout, "production")
    assert 0 < staging <= STAGING_BUDGET_USD
    # The proxy's 8-ACU floor alone is 87.60 a month.
    assert production > staging + 87.6
    assert "| CognitoEndpoint | AWS::EC2::VPCEndpoint | 2 AZ x 730 h | 14.60 |" in result.stdout
    assert "| NatGateway | AWS::EC2::NatGateway | 730 h | 32.85 |" in result.stdout


def test_cost_script_lines_add_up_to_its_total(cost):
    for stage in ("staging", "production"):
        lines = cost.stage_cost(stage)
        assert cost.total(lines) == round(sum(line.monthly for line in lines), 2)
        assert all(line.monthly >= 0 for line in lines)
        by_resource = {line.resource: line.monthly for line in lines}
        assert by_resource["DatabaseSecret"] == pytest.approx(0.40)
    staging = {line.resource: line for line in cost.stage_cost("staging")}
    assert staging["DatabaseInstance"].monthly == 0
    assert staging["DatabaseInstance"].quantity == "paused (0 ACU)"


def test_readme_shows_the_scripts_current_output():
    readme = (REPO_ROOT / "infra" / "README.md").read_text()
    result = subprocess.run(
        [sys.executable, str(COST_SCRIPT)], capture_output=True, text=True, timeout=60, check=True
    )

    assert result.stdout.strip() in readme


@pytest.mark.parametrize(
    ("stage", "parameters", "refusal"),
    [
        ("production", {"DbMinCapacity": "0"}, "does not work with RDS Proxy"),
        ("staging", {"EnableRdsProxy": "true"}, "does not work with RDS Proxy"),
        ("staging", {"DbEngineVersion": "15.4"}, "needs Aurora PostgreSQL 15.7"),
        ("production", {"DbMinCapacity": "0.0", "EnableRdsProxy": "false"}, None),
        ("production", {"DbEngineVersion": "15.4"}, None),
        ("staging", {"VpcId": "vpc-0abc"}, "PrivateSubnetIds"),
        ("staging", {}, None),
        ("production", {}, None),
    ],
)
def test_template_rules_refuse_a_pausing_database_behind_a_proxy_or_on_old_engines(
    cost, stage, parameters, refusal
):
    failures = _stack(cost, stage, **parameters).rule_failures()

    if refusal is None:
        assert failures == []
    else:
        assert len(failures) == 1 and refusal in failures[0], failures


def test_cost_script_refuses_parameters_cloudformation_would_refuse():
    result = subprocess.run(
        [sys.executable, str(COST_SCRIPT), "--stage", "production", "--param", "DbMinCapacity=0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert result.stdout == ""
    assert "does not work with RDS Proxy" in result.stderr
