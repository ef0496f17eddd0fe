"""The template's wiring, read from what CloudFormation receives after the SAM transform."""

from __future__ import annotations

import importlib
import re

import pytest

from config import Settings
from shared.api import cors
from tests.infra.conftest import resources_of_type
from tests.support.cfn_functions import (
    SETTINGS_VARIABLES,
    function_environment,
    function_properties,
)

FUNCTIONS = {
    "ApiFunction": "lambda_handler.handler",
    "WorkerFunction": "lambda_handler.worker_handler",
    "MigrateFunction": "lambda_handler.migrate_handler",
}
# Variables a function may get that are not Settings fields: read by Powertools, not config.py.
PLATFORM_VARIABLES = {
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_METRICS_NAMESPACE",
    "POWERTOOLS_LOG_LEVEL",
    "POWERTOOLS_TRACE_DISABLED",
}
SHARED_VARIABLES = {
    "ENVIRONMENT": {"Ref": "Stage"},
    "LOG_LEVEL": {"Ref": "LogLevel"},
    "DATABASE_SECRET_ARN": {"Ref": "DatabaseSecret"},
    "DB_SSLMODE": "require",
    "DB_POOL_SIZE": "1",
    "DB_MAX_OVERFLOW": "2",
    "DB_POOL_TIMEOUT": "10",
    "DB_IDLE_SESSION_TIMEOUT_MS": {"Fn::If": ["DbCanPause", "300000", "0"]},
}
CLUSTER_ENDPOINT = {"Fn::GetAtt": ["DatabaseCluster", "Endpoint.Address"]}
PROXY_ENDPOINT = {"Fn::GetAtt": ["DatabaseProxy", "Endpoint"]}
PRIVATE_SUBNETS = {
    "Fn::If": [
        "CreateVpc",
        [{"Ref": "PrivateSubnetA"}, {"Ref": "PrivateSubnetB"}],
        {"Ref": "PrivateSubnetIds"},
    ]
}
# The only IAM actions AWS offers no resource-level permissions for that the functions use.
WILDCARD_RESOURCE_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
VPC_ACCESS_POLICY = {
    "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
}


def _statements(cfn_template, role_name) -> dict[str, dict]:
    role = cfn_template["Resources"][role_name]["Properties"]
    return {
        s["Sid"]: s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]
    }


def _as_list(value):
    return value if isinstance(value, list) else [value]


def test_each_function_handler_imports_and_is_callable(cfn_template):
    functions = resources_of_type(cfn_template, "AWS::Lambda::Function")
    assert {name: f["Properties"]["Handler"] for name, f in functions.items()} == FUNCTIONS

    for handler in FUNCTIONS.values():
        module_name, attribute = handler.rsplit(".", 1)
        assert callable(getattr(importlib.import_module(module_name), attribute)), handler
    for props in (f["Properties"] for f in functions.values()):
        assert props["Runtime"] == "python3.12"
        assert props["Architectures"] == ["arm64"]
        assert props["TracingConfig"] == {"Mode": "Active"}


def test_every_environment_variable_is_a_known_setting(cfn_template):
    for name in FUNCTIONS:
        unknown = (
            set(function_environment(cfn_template, name)) - SETTINGS_VARIABLES - PLATFORM_VARIABLES
        )
        assert unknown == set(), name


def test_functions_get_exactly_their_settings_and_no_secret_values(cfn_template):
    api, worker, migrate = (function_environment(cfn_template, name) for name in FUNCTIONS)

    assert api == {
        **SHARED_VARIABLES,
        "DB_HOST": {"Fn::If": ["UseRdsProxy", PROXY_ENDPOINT, CLUSTER_ENDPOINT]},
        "STORAGE_BACKEND": "s3",
        "S3_BUCKET": {"Ref": "BookAssetsBucket"},
        "JOB_DISPATCH": "sqs",
        "SQS_QUEUE_URL": {"Ref": "JobQueue"},
        "MAX_UPLOAD_BYTES": "4194304",
        "CORS_ALLOWED_ORIGINS": {"Ref": "AllowedOrigin"},
        "COGNITO_REGION": {"Ref": "AWS::Region"},
        "COGNITO_USER_POOL_ID": {"Ref": "UserPool"},
        "COGNITO_APP_CLIENT_ID": {"Ref": "UserPoolClient"},
        "COGNITO_JWKS_URL": {
            "Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"
            "/.well-known/jwks.json"
        },
        "COGNITO_DOMAIN": {
            "Fn::Sub": "https://${UserPoolDomain}.auth.${AWS::Region}.amazoncognito.com"
        },
        "LLM_API_KEYS_SECRET_ARN": {"Ref": "LlmApiKeysSecret"},
    }
    assert worker == {
        **SHARED_VARIABLES,
        "DB_HOST": CLUSTER_ENDPOINT,
        "DB_CONNECT_TIMEOUT": "30",
        "STORAGE_BACKEND": "s3",
        "S3_BUCKET": {"Ref": "BookAssetsBucket"},
        "JOB_DISPATCH": "sqs",
        "SQS_QUEUE_URL": {"Ref": "JobQueue"},
        "LLM_API_KEYS_SECRET_ARN": {"Ref": "LlmApiKeysSecret"},
    }
    assert migrate == {**SHARED_VARIABLES, "DB_HOST": CLUSTER_ENDPOINT, "DB_CONNECT_TIMEOUT": "30"}
    # Secrets travel as ARNs only: no URL with a password, no provider key.
    for env in (api, worker, migrate):
        assert "DATABASE_URL" not in env
        assert not [key for key in env if key.endswith("_API_KEY")]


def test_function_environment_parses_as_settings(cfn_template, monkeypatch):
    """With placeholder values for what CloudFormation resolves, each function's variables
    load into Settings as the types config.py expects."""
    placeholders = {
        # The laxest stage: development would fall back to local auth without a Cognito pool.
        "ENVIRONMENT": "development",
        "LOG_LEVEL": "INFO",
        "DATABASE_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
        "DB_HOST": "tutor-proxy.proxy-abc.us-east-1.rds.amazonaws.com",
        "S3_BUCKET": "tutor-assets",
        "SQS_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/tutor-jobs",
        "COGNITO_REGION": "us-east-1",
        "CORS_ALLOWED_ORIGINS": "https://tutor.example.com",
        "COGNITO_USER_POOL_ID": "us-east-1_AbC123",
        "COGNITO_APP_CLIENT_ID": "4abcdefghijklmnop",
        "COGNITO_JWKS_URL": "https://cognito-idp.us-east-1.amazonaws.com/x/.well-known/jwks.json",
        "COGNITO_DOMAIN": "https://tutor-1a2b3c4d.auth.us-east-1.amazoncognito.com",
        "LLM_API_KEYS_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:llm",
        "DB_IDLE_SESSION_TIMEOUT_MS": "300000",
    }
    loaded = {}
    for name in FUNCTIONS:
        env = {
            key: value if isinstance(value, str) else placeholders[key]
            for key, value in function_environment(cfn_template, name).items()
        }
        with monkeypatch.context() as mp:
            # The test run's own settings are in the environment; Lambda has none of them.
            for key in SETTINGS_VARIABLES:
                mp.delenv(key, raising=False)
            for key, value in env.items():
                mp.setenv(key, value)
            settings = Settings(_env_file=None)
        assert settings.db_pool_size == 1 and settings.db_max_overflow == 2
        assert settings.db_pool_timeout == 10 and settings.db_sslmode == "require"
        assert settings.db_idle_session_timeout_ms == 300_000
        assert settings.database_url is None
        assert settings.database_secret_arn == placeholders["DATABASE_SECRET_ARN"]
        loaded[name] = settings

    # What the storage and job code reads: the API and the worker keep book files in the
    # bucket and send jobs (and continuations) to the queue; nothing falls back to the
    # container's local disk or an in-process executor.
    for name in ("ApiFunction", "WorkerFunction"):
        settings = loaded[name]
        assert settings.effective_storage_backend == "s3", name
        assert settings.s3_bucket == placeholders["S3_BUCKET"], name
        assert settings.effective_job_dispatch == "sqs", name
        assert settings.sqs_queue_url == placeholders["SQS_QUEUE_URL"], name
    # The API verifies the pool's tokens, never the local development issuer.
    api = loaded["ApiFunction"]
    # Lambda's 6 MB request limit applies to the base64-encoded body: an image the API accepts
    # must fit, with room left for the rest of the multipart body and the event.
    assert api.max_upload_bytes * 4 / 3 < 6 * 1000 * 1000 - 256 * 1024
    assert api.effective_auth_mode == "cognito"
    assert api.cognito_issuer == "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123"
    # A worker stops taking items while enough of its invocation is left to finish them.
    worker_timeout = function_properties(cfn_template, "WorkerFunction")["Timeout"]
    assert 0 < loaded["WorkerFunction"].job_time_margin_seconds < worker_timeout / 2


def test_job_queue_visibility_dead_letter_queue_and_worker_trigger(cfn_template):
    resources = cfn_template["Resources"]
    queue = resources["JobQueue"]["Properties"]
    worker = function_properties(cfn_template, "WorkerFunction")

    assert worker["Timeout"] == 900
    assert queue["VisibilityTimeout"] == 5400 == 6 * worker["Timeout"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["JobDeadLetterQueue", "Arn"]},
        "maxReceiveCount": 3,
    }
    assert resources["JobDeadLetterQueue"]["Properties"]["MessageRetentionPeriod"] == 1209600
    assert worker["RecursiveLoop"] == "Allow"
    mappings = resources_of_type(cfn_template, "AWS::Lambda::EventSourceMapping")
    assert list(mappings) == ["WorkerFunctionJobs"]
    assert mappings["WorkerFunctionJobs"]["Properties"] == {
        "EventSourceArn": {"Fn::GetAtt": ["JobQueue", "Arn"]},
        "FunctionName": {"Ref": "WorkerFunction"},
        "BatchSize": 1,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "ScalingConfig": {"MaximumConcurrency": {"Ref": "WorkerMaxConcurrency"}},
    }


def test_bucket_is_private_encrypted_versioned_and_tls_only(cfn_template):
    bucket = cfn_template["Resources"]["BookAssetsBucket"]
    props = bucket["Properties"]

    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
        ]
    }
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert bucket["DeletionPolicy"] == "Retain"
    policy = cfn_template["Resources"]["BookAssetsBucketPolicy"]["Properties"]
    assert policy["Bucket"] == {"Ref": "BookAssetsBucket"}
    assert policy["PolicyDocument"]["Statement"] == [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [
                {"Fn::GetAtt": ["BookAssetsBucket", "Arn"]},
                {"Fn::Sub": "${BookAssetsBucket.Arn}/*"},
            ],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]


def test_api_function_reaches_the_database_through_the_proxy(cfn_template):
    resources = cfn_template["Resources"]
    api = function_properties(cfn_template, "ApiFunction")
    proxy = resources["DatabaseProxy"]

    assert api["VpcConfig"] == {
        "SecurityGroupIds": [{"Ref": "ApiFunctionSecurityGroup"}],
        "SubnetIds": PRIVATE_SUBNETS,
        "Ipv6AllowedForDualStack": {"Fn::If": ["CreateVpc", True, False]},
    }
    assert api["Environment"]["Variables"]["DB_HOST"]["Fn::If"][1] == PROXY_ENDPOINT
    assert proxy["Condition"] == "UseRdsProxy"
    assert proxy["Properties"]["RequireTLS"] is True
    assert proxy["Properties"]["Auth"] == [
        {
            "AuthScheme": "SECRETS",
            "SecretArn": {"Ref": "DatabaseSecret"},
            "IAMAuth": "DISABLED",
            "ClientPasswordAuthType": "POSTGRES_SCRAM_SHA_256",
        }
    ]
    # The proxy's only client is the API function's security group.
    assert resources["DatabaseProxySecurityGroup"]["Properties"]["SecurityGroupIngress"] == [
        {
            "Description": "API function",
            "IpProtocol": "tcp",
            "FromPort": 5432,
            "ToPort": 5432,
            "SourceSecurityGroupId": {"Ref": "ApiFunctionSecurityGroup"},
        }
    ]
    # The API signs in to the proxy with the secret the proxy authenticates against.
    assert _statements(cfn_template, "ApiFunctionRole")["ReadSecrets"]["Resource"] == [
        {"Ref": "DatabaseSecret"},
        {"Ref": "LlmApiKeysSecret"},
    ]
    target = resources["DatabaseProxyTargetGroup"]
    assert target["DependsOn"] == "DatabaseInstance"
    assert target["Properties"]["DBClusterIdentifiers"] == [{"Ref": "DatabaseCluster"}]


def test_only_the_functions_and_the_proxy_reach_the_database(cfn_template):
    resources = cfn_template["Resources"]
    rules = resources_of_type(cfn_template, "AWS::EC2::SecurityGroupIngress")

    assert "SecurityGroupIngress" not in resources["DatabaseSecurityGroup"]["Properties"]
    assert {
        name: (rule.get("Condition"), rule["Properties"]["SourceSecurityGroupId"]["Ref"])
        for name, rule in rules.items()
    } == {
        "DatabaseFromWorkerIngress": (None, "WorkerFunctionSecurityGroup"),
        "DatabaseFromMigrateIngress": (None, "MigrateFunctionSecurityGroup"),
        "DatabaseFromProxyIngress": ("UseRdsProxy", "DatabaseProxySecurityGroup"),
        "DatabaseFromApiIngress": ("NoRdsProxy", "ApiFunctionSecurityGroup"),
    }
    for rule in (r["Properties"] for r in rules.values()):
        assert rule["GroupId"] == {"Ref": "DatabaseSecurityGroup"}
        assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 5432, 5432)
        assert "CidrIp" not in rule and "CidrIpv6" not in rule
    cluster = resources["DatabaseCluster"]["Properties"]
    assert cluster["VpcSecurityGroupIds"] == [{"Ref": "DatabaseSecurityGroup"}]
    assert resources["DatabaseInstance"]["Properties"]["PubliclyAccessible"] is False


def test_database_cluster_is_encrypted_serverless_v2_postgres_15_with_generated_secret(
    cfn_template,
):
    resources = cfn_template["Resources"]
    cluster = resources["DatabaseCluster"]
    props = cluster["Properties"]

    assert props["Engine"] == "aurora-postgresql"
    assert props["EngineVersion"] == {"Ref": "DbEngineVersion"}
    assert cfn_template["Parameters"]["DbEngineVersion"]["Default"].startswith("15.")
    assert props["StorageEncrypted"] is True
    assert props["ServerlessV2ScalingConfiguration"] == {
        "MinCapacity": {
            "Fn::If": [
                "DbMinCapacityAuto",
                {"Fn::If": ["IsProduction", 0.5, 0]},
                {"Ref": "DbMinCapacity"},
            ]
        },
        "MaxCapacity": {"Ref": "DbMaxCapacity"},
        "SecondsUntilAutoPause": {
            "Fn::If": ["DbCanPause", {"Ref": "DbSecondsUntilAutoPause"}, {"Ref": "AWS::NoValue"}]
        },
    }
    assert props["MasterUserPassword"] == {
        "Fn::Sub": "{{resolve:secretsmanager:${DatabaseSecret}:SecretString:password}}"
    }
    assert (cluster["DeletionPolicy"], cluster["UpdateReplacePolicy"]) == ("Snapshot", "Snapshot")
    assert resources["DatabaseInstance"]["Properties"]["DBInstanceClass"] == "db.serverless"
    generated = resources["DatabaseSecret"]["Properties"]["GenerateSecretString"]
    assert generated["GenerateStringKey"] == "password"
    assert generated["SecretStringTemplate"] == '{"username": "tutor_admin", "dbname": "tutor"}'


def test_iam_statements_never_use_wildcards_except_where_aws_requires(cfn_template):
    roles = resources_of_type(cfn_template, "AWS::IAM::Role")
    assert set(roles) == {
        "ApiFunctionRole",
        "WorkerFunctionRole",
        "MigrateFunctionRole",
        "DatabaseProxyRole",
    }
    for name, role in roles.items():
        props = role["Properties"]
        assert props.get("ManagedPolicyArns", [VPC_ACCESS_POLICY]) == [VPC_ACCESS_POLICY], name
        for policy in props["Policies"]:
            for statement in policy["PolicyDocument"]["Statement"]:
                actions = set(_as_list(statement["Action"]))
                assert statement["Effect"] == "Allow"
                assert not [a for a in actions if "*" in a], (name, statement["Sid"])
                if "*" in _as_list(statement["Resource"]):
                    assert actions <= WILDCARD_RESOURCE_ACTIONS, (name, statement["Sid"])


def test_each_function_role_grants_only_what_it_uses(cfn_template):
    def grants(role_name):
        return {
            sid: (sorted(_as_list(s["Action"])), s["Resource"])
            for sid, s in _statements(cfn_template, role_name).items()
        }

    bucket_objects = {"Fn::Sub": "${BookAssetsBucket.Arn}/*"}
    bucket = {"Fn::GetAtt": ["BookAssetsBucket", "Arn"]}
    queue = {"Fn::GetAtt": ["JobQueue", "Arn"]}
    secrets = [{"Ref": "DatabaseSecret"}, {"Ref": "LlmApiKeysSecret"}]
    tracing = (["xray:PutTelemetryRecords", "xray:PutTraceSegments"], "*")
    objects = (["s3:DeleteObject", "s3:GetObject", "s3:PutObject"], bucket_objects)

    assert grants("ApiFunctionRole") == {
        "ReadSecrets": (["secretsmanager:GetSecretValue"], secrets),
        "BookAssetObjects": objects,
        "BookAssetListing": (["s3:ListBucket"], bucket),
        "EnqueueJobs": (["sqs:SendMessage"], queue),
        "ProvisionPhoneUsers": (
            [
                "cognito-idp:AdminCreateUser",
                "cognito-idp:AdminGetUser",
                "cognito-idp:AdminSetUserPassword",
            ],
            {"Fn::GetAtt": ["UserPool", "Arn"]},
        ),
        "Tracing": tracing,
    }
    assert grants("WorkerFunctionRole") == {
        "ReadSecrets": (["secretsmanager:GetSecretValue"], secrets),
        "BookAssetObjects": objects,
        "BookAssetListing": (["s3:ListBucket"], bucket),
        "ConsumeJobs": (
            [
                "sqs:ChangeMessageVisibility",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:ReceiveMessage",
            ],
            queue,
        ),
        "EnqueueJobs": (["sqs:SendMessage"], queue),
        "Tracing": tracing,
    }
    assert grants("MigrateFunctionRole") == {
        "ReadDatabaseSecret": (["secretsmanager:GetSecretValue"], {"Ref": "DatabaseSecret"}),
        "Tracing": tracing,
    }
    assert grants("DatabaseProxyRole") == {
        "ReadDatabaseSecret": (["secretsmanager:GetSecretValue"], {"Ref": "DatabaseSecret"}),
    }
    for name in FUNCTIONS:
        role = function_properties(cfn_template, name)["Role"]
        assert role == {"Fn::GetAtt": [f"{name}Role", "Arn"]}


def test_every_function_logs_to_a_log_group_with_retention(cfn_template):
    groups = resources_of_type(cfn_template, "AWS::Logs::LogGroup")
    names = {name: g["Properties"]["LogGroupName"] for name, g in groups.items()}

    assert names == {
        "ApiLogGroup": {"Fn::Sub": "/aws/lambda/${ApiFunction}"},
        "WorkerLogGroup": {"Fn::Sub": "/aws/lambda/${WorkerFunction}"},
        "MigrateLogGroup": {"Fn::Sub": "/aws/lambda/${MigrateFunction}"},
        "ApiAccessLogGroup": {"Fn::Sub": "/tutor/${AWS::StackName}/api-access"},
    }
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_http_api_sends_every_route_to_the_api_function(cfn_template):
    resources = cfn_template["Resources"]
    body = resources["HttpApi"]["Properties"]["Body"]

    assert list(body["paths"]) == ["$default"]
    integration = body["paths"]["$default"]["x-amazon-apigateway-any-method"][
        "x-amazon-apigateway-integration"
    ]
    assert integration["type"] == "aws_proxy"
    assert integration["payloadFormatVersion"] == "2.0"
    assert "${ApiFunction.Arn}" in integration["uri"]["Fn::Sub"]
    # The 5xx alarm's Stage dimension names this stage.
    assert resources["HttpApiApiGatewayDefaultStage"]["Properties"]["StageName"] == "$default"


def test_cors_allows_only_the_parameterised_origin(cfn_template):
    api = cfn_template["Resources"]["HttpApi"]["Properties"]
    bucket = cfn_template["Resources"]["BookAssetsBucket"]["Properties"]
    pattern = re.compile(cfn_template["Parameters"]["AllowedOrigin"]["AllowedPattern"])

    assert api["Body"]["x-amazon-apigateway-cors"]["allowOrigins"] == [{"Ref": "AllowedOrigin"}]
    # The app allows the same origin (it answers preflights off AWS, and behind API Gateway
    # its headers must not disagree with the gateway's).
    assert function_environment(cfn_template, "ApiFunction")["CORS_ALLOWED_ORIGINS"] == {
        "Ref": "AllowedOrigin"
    }
    assert bucket["CorsConfiguration"]["CorsRules"][0]["AllowedOrigins"] == [
        {"Ref": "AllowedOrigin"}
    ]
    assert pattern.fullmatch("https://tutor.example.com")
    assert pattern.fullmatch("http://localhost:5173")
    for rejected in ("*", "https://*.example.com", "https://tutor.example.com/app", ""):
        assert not pattern.fullmatch(rejected), rejected


def test_api_gateway_cors_matches_the_apps(cfn_template):
    gateway = cfn_template["Resources"]["HttpApi"]["Properties"]["Body"]["x-amazon-apigateway-cors"]

    def lower(names) -> list[str]:
        return sorted(name.lower() for name in names)

    assert gateway["allowMethods"] == list(cors.ALLOW_METHODS)
    assert lower(gateway["allowHeaders"]) == lower(cors.ALLOW_HEADERS)
    assert lower(gateway["exposeHeaders"]) == lower(cors.EXPOSE_HEADERS)
    assert gateway["maxAge"] == cors.MAX_AGE_SECONDS
    # Tokens travel in Authorization: neither side allows credentials (cookies).
    assert "allowCredentials" not in gateway or gateway["allowCredentials"] is False


def test_every_allowed_origin_passes_the_apps_setting(cfn_template):
    """What the parameter's pattern lets through, CORS_ALLOWED_ORIGINS accepts, so a deploy
    never ships an API function that refuses its own settings."""
    pattern = re.compile(cfn_template["Parameters"]["AllowedOrigin"]["AllowedPattern"])
    for origin in ("https://tutor.example.com", "http://localhost:5173", "https://a.b:8443"):
        assert pattern.fullmatch(origin)
        assert Settings(cors_allowed_origins=origin).effective_cors_allowed_origins == (origin,)


@pytest.mark.parametrize(
    ("alarm", "namespace", "metric", "dimensions", "threshold"),
    [
        (
            "ApiServerErrorsAlarm",
            "AWS/ApiGateway",
            "5xx",
            [
                {"Name": "ApiId", "Value": {"Ref": "HttpApi"}},
                {"Name": "Stage", "Value": "$default"},
            ],
            5,
        ),
        (
            "WorkerErrorsAlarm",
            "AWS/Lambda",
            "Errors",
            [{"Name": "FunctionName", "Value": {"Ref": "WorkerFunction"}}],
            1,
        ),
        (
            "DeadLetterQueueAlarm",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["JobDeadLetterQueue", "QueueName"]}}],
            1,
        ),
    ],
)
def test_alarms(cfn_template, alarm, namespace, metric, dimensions, threshold):
    props = cfn_template["Resources"][alarm]["Properties"]

    assert (props["Namespace"], props["MetricName"]) == (namespace, metric)
    assert props["Dimensions"] == dimensions
    assert props["Threshold"] == threshold
    assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_cognito_pool_client_and_admin_group(cfn_template):
    resources = cfn_template["Resources"]
    client = resources["UserPoolClient"]["Properties"]

    assert resources["AdminGroup"]["Properties"] == {
        "UserPoolId": {"Ref": "UserPool"},
        "GroupName": "admin",
        "Description": "Admins (book ingestion, LLM configuration, evaluations)",
    }
    assert client["GenerateSecret"] is False
    assert client["UserPoolId"] == {"Ref": "UserPool"}
    assert resources["UserPool"]["Properties"]["UsernameAttributes"] == ["email"]


def test_managed_login_redirects_to_the_console_with_the_code_flow(cfn_template):
    """The pages sign in with the authorization code flow (PKCE in the browser) and come back
    to <ConsoleUrl>/signin/callback; without a ConsoleUrl the client has no OAuth flow."""
    resources = cfn_template["Resources"]
    client = resources["UserPoolClient"]["Properties"]
    no_value = {"Ref": "AWS::NoValue"}

    assert client["AllowedOAuthFlowsUserPoolClient"] == {
        "Fn::If": ["HasConsoleUrl", True, no_value]
    }
    assert client["AllowedOAuthFlows"] == {"Fn::If": ["HasConsoleUrl", ["code"], no_value]}
    assert client["AllowedOAuthScopes"] == {
        "Fn::If": ["HasConsoleUrl", ["openid", "email", "profile"], no_value]
    }
    assert client["CallbackURLs"] == {
        "Fn::If": ["HasConsoleUrl", [{"Fn::Sub": "${ConsoleUrl}/signin/callback"}], no_value]
    }
    assert client["LogoutURLs"] == {
        "Fn::If": ["HasConsoleUrl", [{"Fn::Sub": "${ConsoleUrl}/signin"}], no_value]
    }
    assert client["SupportedIdentityProviders"] == ["COGNITO"]
    assert cfn_template["Conditions"]["HasConsoleUrl"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "ConsoleUrl"}, ""]}]
    }
    pattern = re.compile(cfn_template["Parameters"]["ConsoleUrl"]["AllowedPattern"])
    for good in (
        "",
        "https://abc123.execute-api.us-east-1.amazonaws.com",
        "https://tutor.example.com",
    ):
        assert pattern.fullmatch(good), good
    for bad in ("http://tutor.example.com", "https://tutor.example.com/", "https://x.com/app"):
        assert not pattern.fullmatch(bad), bad
    assert resources["UserPoolDomain"]["Properties"]["UserPoolId"] == {"Ref": "UserPool"}


def test_outputs_name_everything_a_deployer_needs(cfn_template):
    outputs = cfn_template["Outputs"]

    assert set(outputs) == {
        "ApiUrl",
        "BookAssetsBucketName",
        "JobQueueUrl",
        "JobDeadLetterQueueUrl",
        "UserPoolId",
        "UserPoolClientId",
        "MigrateFunctionName",
        "DatabaseSecretArn",
        "LlmApiKeysSecretArn",
        "DatabaseClusterEndpoint",
        "DatabaseProxyEndpoint",
        "AlarmTopicArn",
    }
    assert outputs["ApiUrl"]["Value"] == {
        "Fn::Sub": "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
    }
    assert outputs["UserPoolClientId"]["Value"] == {"Ref": "UserPoolClient"}
    assert outputs["MigrateFunctionName"]["Value"] == {"Ref": "MigrateFunction"}
