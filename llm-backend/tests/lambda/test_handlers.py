"""Lambda entry points driven by stored API Gateway HTTP API (payload 2.0) events."""

from __future__ import annotations

import io
import json
import logging

import pytest
from aws_lambda_powertools.metrics.provider import cold_start

import lambda_handler
from tests.support.errors import error_json
from tests.support.lambda_context import FakeLambdaContext, load_event


def _emitted(capfd) -> list[dict]:
    return [json.loads(line) for line in capfd.readouterr().out.splitlines() if line.strip()]


@pytest.fixture
def access_log_lines():
    """JSON lines Mangum's access logger writes, in the service's own format."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(lambda_handler.logger.registered_formatter)
    access_logger = logging.getLogger("mangum.http")
    access_logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    access_logger.removeHandler(handler)


def test_http_handler_answers_health_with_request_id_and_cold_start(
    capfd, monkeypatch, access_log_lines
):
    monkeypatch.setattr(cold_start, "is_cold_start", True)
    context = FakeLambdaContext()

    response = lambda_handler.handler(load_event("http_api_get_health.json"), context)

    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"status": "ok"}
    assert response["headers"]["x-request-id"] == context.aws_request_id
    assert response["headers"]["content-type"] == "application/json"
    lines = _emitted(capfd)
    access_log = next(line for line in access_log_lines() if line["message"] == "GET /health 200")
    assert access_log["request_id"] == context.aws_request_id
    assert access_log["correlation_id"] == "Kq1VfhqXIAMEMfQ="
    metrics = [line for line in lines if "_aws" in line]
    assert [m.get("ColdStart") for m in metrics] == [[1.0]]
    assert metrics[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "TutorBackend"

    lambda_handler.handler(load_event("http_api_get_health.json"), FakeLambdaContext())
    assert not any("ColdStart" in line for line in _emitted(capfd))


def test_http_handler_unknown_path_is_json_404():
    response = lambda_handler.handler(load_event("http_api_get_unknown.json"), FakeLambdaContext())

    assert response["statusCode"] == 404
    assert json.loads(response["body"]) == error_json("not_found", "Not Found")


def test_http_handler_health_db_uses_client_request_id(db):
    response = lambda_handler.handler(
        load_event("http_api_get_health_db.json"), FakeLambdaContext()
    )

    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"status": "ok", "database": "ok"}
    assert response["headers"]["x-request-id"] == "req-from-client-42"


def test_migrate_handler_returns_its_report(db):
    report = lambda_handler.migrate_handler({}, FakeLambdaContext(function_name="tutor-migrate"))

    assert report["dry_run"] is False
    assert report["changed"] is False
    assert [s["name"] for s in report["steps"]] == [
        "create_tables",
        "apply_session_columns",
        "apply_learning_modes_columns",
        "apply_book_job_columns",
        "apply_user_profile_columns",
        "apply_remaining_schema",
        "allow_jobs_without_book",
        "rename_exam_mode",
        "seed_llm_config",
        "seed_added_llm_config",
    ]
    status = lambda_handler.migrate_handler({"status": True}, FakeLambdaContext())
    assert status["dry_run"] is True and status["changed"] is False


def test_migrate_handler_connects_with_credentials_from_secrets_manager(
    db, app_database_url, monkeypatch
):
    """As in AWS: no DATABASE_URL, only the secret's ARN (moto) and DB_HOST; the credentials
    point at the test database."""
    import boto3
    from sqlalchemy.engine import make_url

    from database import get_db_manager
    from tests.support.app_database import use_database
    from tests.support.aws import REGION, mocked_aws

    target = make_url(app_database_url)
    with mocked_aws(monkeypatch):
        secret = {
            "username": target.username,
            # Under trust authentication the server ignores the password.
            "password": target.password or "unused-under-trust-auth",
            "host": "writer.cluster-abc.us-east-1.rds.amazonaws.com",
            "port": target.port or 5432,
            "dbname": target.database,
        }
        client = boto3.client("secretsmanager", region_name=REGION)
        arn = client.create_secret(Name="tutor/db", SecretString=json.dumps(secret))["ARN"]
        monkeypatch.setenv("DATABASE_SECRET_ARN", arn)
        monkeypatch.setenv("DB_HOST", target.host)
        monkeypatch.setenv("DB_SSLMODE", "disable")
        use_database(None)

        report = lambda_handler.migrate_handler({"status": True}, FakeLambdaContext())
        used = get_db_manager().engine.url

    assert (used.drivername, used.host, used.database) == (
        "postgresql+psycopg2",
        target.host,
        target.database,
    )
    assert used.query == {"sslmode": "disable"}
    assert report["dry_run"] is True and report["changed"] is False
    from db import STEPS

    assert len(report["steps"]) == len(STEPS)
