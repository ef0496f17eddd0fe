#!/usr/bin/env python3
"""What a stage of template.yaml costs a month while idle, per resource.

Reads the template, the parameters each samconfig.toml environment deploys with (`default` is
staging, `production` production), and the prices in prices.toml; evaluates the template's
Conditions for those parameters and prices every resource that would be created.

    python infra/cost.py                      # a Markdown table per stage (infra/README.md)
    python infra/cost.py --stage staging --param EnableNatGateway=true

Needs Python 3.11+ and PyYAML (the backend's environment has both).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

INFRA = Path(__file__).resolve().parent
TEMPLATE = INFRA / "template.yaml"
PRICES = INFRA / "prices.toml"
SAMCONFIG = INFRA / "samconfig.toml"
# samconfig environment of each stage.
STAGES = {"staging": "default", "production": "production"}
# Parameters without a default that the deploy supplies; they do not change the price.
PLACEHOLDERS = {"AllowedOrigin": "https://tutor.example.com"}


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short forms (!Ref x, !GetAtt a.b, !If [...]) as the long
    forms ({"Ref": x}, {"Fn::GetAtt": [a, b]}, {"Fn::If": [...]})."""


def _short_form(loader: _CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    if suffix == "Condition":
        return {"Condition": value}
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _short_form)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    with path.open() as f:
        # A SafeLoader with the tags above: no arbitrary objects.
        return yaml.load(f, Loader=_CfnLoader)


def load_prices(path: Path = PRICES) -> dict[str, Any]:
    return tomllib.loads(path.read_text())


def samconfig_parameters(stage: str, path: Path = SAMCONFIG) -> dict[str, str]:
    """The parameter_overrides `sam deploy --config-env <env>` uses for a stage."""
    config = tomllib.loads(path.read_text())
    overrides = config[STAGES[stage]]["deploy"]["parameters"].get("parameter_overrides", "")
    pairs = shlex.split(overrides) if isinstance(overrides, str) else list(overrides)
    return dict(pair.split("=", 1) for pair in pairs)


def _is_intrinsic(key: str) -> bool:
    return key in ("Ref", "Condition") or key.startswith("Fn::")


_LOGIC: dict[str, Any] = {
    "Fn::Equals": lambda stack, arg: str(stack.resolve(arg[0])) == str(stack.resolve(arg[1])),
    "Fn::Not": lambda stack, arg: not stack.resolve(arg[0]),
    "Fn::And": lambda stack, arg: all(stack.resolve(v) for v in arg),
    "Fn::Or": lambda stack, arg: any(stack.resolve(v) for v in arg),
    # Rules only.
    "Fn::Contains": lambda stack, arg: stack.resolve(arg[1]) in stack.resolve(arg[0]),
}


class Stack:
    """The template as CloudFormation would create it for one set of parameter values."""

    def __init__(self, template: dict[str, Any], parameters: dict[str, str]):
        self.template = template
        declared = template.get("Parameters", {})
        unknown = set(parameters) - set(declared)
        if unknown:
            raise ValueError(f"unknown parameters: {sorted(unknown)}")
        self.parameters: dict[str, Any] = {}
        for name, spec in declared.items():
            value = parameters.get(name, PLACEHOLDERS.get(name, spec.get("Default")))
            if value is None:
                raise ValueError(f"parameter {name} has no default: give it with --param")
            if spec["Type"] == "CommaDelimitedList" and isinstance(value, str):
                value = value.split(",")
            elif not isinstance(value, list):
                value = str(value)
            self.parameters[name] = value
        self._conditions: dict[str, bool] = {}

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            self._conditions[name] = bool(self.resolve(self.template["Conditions"][name]))
        return self._conditions[name]

    def resolve(self, value: Any) -> Any:
        """Ref to parameters, Fn::If and the condition functions, through nested properties;
        other intrinsic functions (GetAtt, Sub, Refs to resources) stay as written."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) != 1 or not _is_intrinsic(next(iter(value))):
            return {key: self.resolve(v) for key, v in value.items()}
        ((key, arg),) = value.items()
        if key == "Ref":
            return self.parameters.get(arg, value)
        if key == "Condition":
            return self.condition(arg)
        if key == "Fn::If":
            name, if_true, if_false = arg
            return self.resolve(if_true if self.condition(name) else if_false)
        logic = _LOGIC.get(key)
        return logic(self, arg) if logic else value

    def rule_failures(self) -> list[str]:
        """The AssertDescriptions of the template's Rules these parameters break: CloudFormation
        would refuse to deploy them."""
        failures = []
        for rule in self.template.get("Rules", {}).values():
            if "RuleCondition" in rule and not self.resolve(rule["RuleCondition"]):
                continue
            failures += [
                assertion["AssertDescription"]
                for assertion in rule["Assertions"]
                if not self.resolve(assertion["Assert"])
            ]
        return failures

    def resources(self) -> dict[str, dict[str, Any]]:
        """The resources whose Condition holds."""
        return {
            name: resource
            for name, resource in self.template["Resources"].items()
            if "Condition" not in resource or self.condition(resource["Condition"])
        }

    def properties(self, name: str) -> dict[str, Any]:
        props = self.template["Resources"][name].get("Properties", {})
        return dict(self.resolve(props))


@dataclass(frozen=True)
class Line:
    resource: str
    type: str
    quantity: str
    monthly: float


def _units(stack: Stack, name: str, type_: str, prices: dict[str, Any]) -> tuple[float, str]:
    """How many price units a resource bills in an idle month, and a note saying which."""
    hours = prices["meta"]["hours_per_month"]
    row = prices["types"][type_]
    if type_ == "AWS::RDS::DBInstance":
        cluster = stack.template["Resources"][name]["Properties"]["DBClusterIdentifier"]["Ref"]
        scaling = stack.properties(cluster)["ServerlessV2ScalingConfiguration"]
        acus = float(stack.resolve(scaling["MinCapacity"]))
        if acus == 0:
            return 0.0, "paused (0 ACU)"
        return acus * hours, f"{acus:g} ACU x {hours} h"
    if type_ == "AWS::RDS::DBCluster":
        gb = prices["assumptions"]["aurora_storage_gb"]
        return gb, f"{gb:g} GB"
    if type_ == "AWS::RDS::DBProxy":
        acus = row["minimum_units"]
        return acus * hours, f"minimum {acus} ACU x {hours} h"
    if type_ == "AWS::EC2::VPCEndpoint":
        props = stack.properties(name)
        if props.get("VpcEndpointType") != "Interface":
            return 0.0, "gateway endpoint"
        azs = len(props["SubnetIds"])
        return azs * hours, f"{azs} AZ x {hours} h"
    if row.get("unit") == "hour":
        return hours, f"{hours} h"
    if row["price"]:
        return 1.0, f"1 {row['unit']}"
    return 0.0, "per use"


def idle_cost(stack: Stack, prices: dict[str, Any]) -> list[Line]:
    lines = []
    for name, resource in stack.resources().items():
        type_ = resource["Type"]
        if type_ not in prices["types"]:
            raise KeyError(f"{type_} ({name}) has no row in {PRICES.name}")
        units, quantity = _units(stack, name, type_, prices)
        lines.append(Line(name, type_, quantity, units * prices["types"][type_]["price"]))
    return lines


def stage_cost(stage: str, extra: dict[str, str] | None = None) -> list[Line]:
    parameters = {**samconfig_parameters(stage), **(extra or {})}
    stack = Stack(load_template(), parameters)
    failures = stack.rule_failures()
    if failures:
        raise ValueError(f"CloudFormation would refuse these parameters: {'; '.join(failures)}")
    return idle_cost(stack, load_prices())


def render(stage: str, lines: list[Line], prices: dict[str, Any]) -> str:
    meta = prices["meta"]
    billed = sorted((line for line in lines if line.monthly), key=lambda line: -line.monthly)
    free = len(lines) - len(billed)
    out = [
        f"{stage}: idle month, {meta['region']} list prices of {meta['checked']}"
        f" ({meta['currency']})",
        "",
        "| resource | type | idle quantity | per month |",
        "|---|---|---|---:|",
    ]
    out += [
        f"| {line.resource} | {line.type} | {line.quantity} | {line.monthly:.2f} |"
        for line in billed
    ]
    out.append(f"| {free} other resources | | free or per use | 0.00 |")
    out.append(f"| **total** | | | **{total(lines):.2f}** |")
    return "\n".join(out)


def total(lines: list[Line]) -> float:
    return round(sum(line.monthly for line in lines), 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", choices=sorted(STAGES), action="append")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    extra = dict(p.split("=", 1) for p in args.param)
    prices = load_prices()
    stages = args.stage or list(STAGES)
    try:
        tables = [render(stage, stage_cost(stage, extra), prices) for stage in stages]
    except ValueError as error:
        print(f"cost.py: {error}", file=sys.stderr)
        return 2
    print("\n\n".join(tables))
    return 0


if __name__ == "__main__":
    sys.exit(main())
