"""The Lambda functions of the CloudFormation template (after the SAM transform) and the
environment variables config.py reads."""

from __future__ import annotations

from config import Settings

# Every environment variable that sets a Settings field.
SETTINGS_VARIABLES = {name.upper() for name in Settings.model_fields}


def function_properties(cfn_template: dict, name: str) -> dict:
    resource = cfn_template["Resources"][name]
    assert resource["Type"] == "AWS::Lambda::Function"
    return resource["Properties"]


def function_environment(cfn_template: dict, name: str) -> dict:
    return function_properties(cfn_template, name)["Environment"]["Variables"]
