"""The SAM template as written (`sam_template`) and as CloudFormation receives it after the
SAM transform (`cfn_template`), both read offline."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
TEMPLATE_PATH = REPO_ROOT / "infra" / "template.yaml"


class _NoManagedPolicyLookups:
    """The transform asks for managed policy ARNs only for policies named by short name; the
    template uses full ARNs, so nothing is looked up (and no AWS call is made)."""

    def load(self) -> dict[str, str]:
        return {}


def load_sam_template() -> dict[str, Any]:
    from cfnlint.decode import decode

    template, problems = decode(str(TEMPLATE_PATH))
    assert not problems, [str(p) for p in problems]
    # Plain dicts and lists, without the decoder's line-number wrappers.
    return json.loads(json.dumps(template))


def transform_to_cloudformation(sam_template: dict[str, Any]) -> dict[str, Any]:
    from samtranslator.translator.transform import transform

    template = copy.deepcopy(sam_template)
    # What `sam package` does: a local CodeUri becomes the uploaded artifact's S3 location.
    template["Globals"]["Function"]["CodeUri"] = "s3://artifacts-bucket/llm-backend.zip"
    with pytest.MonkeyPatch.context() as mp:
        # The transform resolves AWS::Region and the partition from boto3's default region.
        mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
        return transform(template, {}, _NoManagedPolicyLookups())


@pytest.fixture(scope="session")
def sam_template() -> dict[str, Any]:
    return load_sam_template()


@pytest.fixture(scope="session")
def cfn_template(sam_template) -> dict[str, Any]:
    return transform_to_cloudformation(sam_template)


def resources_of_type(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}
