"""The whole OpenAPI document, fuzzed with schemathesis as an admin and as a student, against
the real app on PostgreSQL with the fake model server: no answer is a 5xx, every status is one
the document declares for the operation, and every body matches the schema declared for its
status (the error answers included).

Half of the generated requests get the ids of real rows (a book with a page and a finished
job, an approved guideline with a study plan, a student's session, a content row), so the
fuzzer reaches past "not found" into the routes' real work; the other half keep the generated
ids. Deletes always keep them, so one example cannot empty the data the others use.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from config import reset_settings
from database import get_db_manager
from db import TABLES, default_llm_config_rows
from main import create_app
from shared.auth.cognito_admin import reset_cognito_client
from shared.auth.verifier import reset_verifier
from shared.jobs.dispatch import reset_dispatcher
from shared.llm import config_store
from shared.llm.providers.registry import reset_providers
from shared.storage import reset_blob_store
from tests.fakes.fixtures import fake_llm_env
from tests.support.app_database import empty_all_tables, use_database
from tests.support.auth import CLIENT_ID, KEY, POOL_ID, REGION, JwksServer, jwks
from tests.support.books import ADMIN, BOOK, image_bytes, wait_jobs_idle
from tests.support.cognito import unreachable_endpoint
from tests.support.tutor import STUDENT_A, add_guideline, session_body

# Examples per operation and role in the fuzzing phase; with the other phases (the schema's own
# examples, coverage of boundaries) this keeps the run near a minute and a half on 2 cores.
MAX_EXAMPLES = 8
TURN = itertools.count()
# No 5xx; the body matches the schema declared for its status; and the status is declared.
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
APP = create_app()  # builds routes only: nothing here reads settings or opens a connection
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


def _seed(client: TestClient) -> dict[str, object]:
    book = client.post("/admin/books", json=BOOK, headers=ADMIN)
    assert book.status_code == 201, book.text
    book_id = book.json()["id"]
    png = ("page.png", image_bytes(), "image/png")
    page = client.post(f"/admin/books/{book_id}/pages", files={"image": png}, headers=ADMIN)
    assert page.status_code == 202, page.text  # OCR runs as a one-page job
    wait_jobs_idle()
    job = client.post(f"/admin/books/{book_id}/pages/bulk", files={"images": png}, headers=ADMIN)
    assert job.status_code == 202, job.text
    wait_jobs_idle()
    guideline_id = add_guideline()
    session = client.post("/sessions", json=session_body(guideline_id), headers=STUDENT_A)
    assert session.status_code == 200, session.text
    content = client.post(
        "/admin/contents",
        json={"topic": "Fractions", "grade": 5, "text": "1/2 = 2/4"},
        headers=ADMIN,
    )
    assert content.status_code == 201, content.text
    return {
        "book_id": book_id,
        "number": 1,
        "job_id": job.json()["job_id"],
        "guideline_id": guideline_id,
        "session_id": session.json()["session_id"],
        "content_id": content.json()["id"],
        "component_key": "tutor",
        "key": f"books/{book_id}/metadata.json",
    }


@pytest.fixture(scope="module")
def seeded(app_database_url, fake_llm_server, tmp_path_factory) -> Iterator[dict]:
    """One app environment for the whole module (real PostgreSQL, a Cognito pool whose keys a
    local JWKS server publishes, the fake model server, local storage and jobs), seeded once:
    seeding per operation would cost more than the fuzzing itself."""
    jwks_server = JwksServer(jwks(KEY)).start()
    with pytest.MonkeyPatch.context() as env:
        for name, value in {
            **fake_llm_env(fake_llm_server.url),
            "AUTH_MODE": "cognito",
            "COGNITO_REGION": REGION,
            "COGNITO_USER_POOL_ID": POOL_ID,
            "COGNITO_APP_CLIENT_ID": CLIENT_ID,
            "COGNITO_JWKS_URL": jwks_server.url,
            "JOB_DISPATCH": "local",
            "STORAGE_BACKEND": "local",
            "LOCAL_STORAGE_DIR": str(tmp_path_factory.mktemp("contract_storage")),
            # The fuzzer may switch a component to the in-process model; running that model is
            # test_llm_local's job, and here a missing file answers at once (503) instead.
            "LOCAL_MODEL_PATH": str(tmp_path_factory.getbasetemp() / "no-such-model.gguf"),
            # POST /auth/phone/provision reaches no AWS: Cognito "is down" (503).
            "COGNITO_ENDPOINT_URL": unreachable_endpoint(),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }.items():
            env.setenv(name, value)
        _reset_all()
        use_database(app_database_url)
        with TestClient(APP) as client:
            ids = _seed(client)
        yield ids
        wait_jobs_idle()
        empty_all_tables(get_db_manager().engine)
    jwks_server.stop()
    _reset_all()


def _reset_all() -> None:
    reset_settings()
    reset_cognito_client()
    reset_verifier()
    reset_providers()
    config_store.invalidate()
    reset_blob_store()
    reset_dispatcher()


def _fuzz(case, seeded: dict, headers: dict) -> None:
    if case.method != "DELETE" and next(TURN) % 2 == 0:
        for name in case.path_parameters or {}:
            if name in seeded:
                case.path_parameters[name] = seeded[name]
    try:
        case.call_and_validate(headers=headers, checks=CHECKS)
    finally:
        if case.method == "PUT" and case.path == "/api/admin/llm-config/{component_key}":
            _restore_model_choices()


def _restore_model_choices() -> None:
    """An admin who points a component at a model that does not exist gets exactly that: every
    later call of the component answers 503 llm_request_rejected. That is the honest answer, not
    a server fault, so each example starts again from models that answer."""
    with get_db_manager().engine.begin() as conn:
        conn.execute(TABLES["llm_config"].delete())
        conn.execute(TABLES["llm_config"].insert(), default_llm_config_rows())
    config_store.invalidate()


FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@FUZZ
def test_as_an_admin(case, seeded):
    _fuzz(case, seeded, ADMIN)


@schema.parametrize()
@FUZZ
def test_as_a_student(case, seeded):
    _fuzz(case, seeded, STUDENT_A)
