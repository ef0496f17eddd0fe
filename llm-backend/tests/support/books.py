"""Book ingestion test support: images, storage/dispatch fixtures, admin headers, polling."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator

import boto3
import pytest
from PIL import Image

from config import reset_settings
from shared.jobs.dispatch import LocalDispatcher, get_dispatcher, reset_dispatcher
from shared.storage import reset_blob_store
from tests.support.auth import KEY, bearer, claims, sign
from tests.support.aws import mocked_aws

BUCKET = "tutor-books-test"
ADMIN = bearer(sign(claims(sub="admin-1", groups=["admin"]), KEY))
BOOK = {
    "title": "Mathematics Grade 5",
    "author": "R. S. Aggarwal",
    "edition": "2nd",
    "edition_year": 2023,
    "country": "India",
    "board": "CBSE",
    "grade": 5,
    "subject": "Mathematics",
}


def image_bytes(fmt: str = "PNG", *, color=(200, 30, 30), size=(40, 30), mode="RGB") -> bytes:
    out = io.BytesIO()
    options = {"lossless": True} if fmt == "WEBP" else {}
    Image.new(mode, size, color).save(out, format=fmt, **options)
    return out.getvalue()


def post_book(client) -> str:
    """A book made through POST /admin/books as an admin; its id."""
    response = client.post("/admin/books", json=BOOK, headers=ADMIN)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def wait_for(check: Callable[[], object], *, timeout: float = 30.0, every: float = 0.05):
    """Polls until `check()` is truthy (returned) or the deadline passes (AssertionError)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s (last: {value!r})")
        time.sleep(every)


class DeferredDispatcher:
    """Keeps started jobs until `release()`, then runs them in this process: a started job
    cannot finish (nor even start) while the test's concurrent requests are answered. Install
    it with `shared.jobs.dispatch.set_dispatcher`."""

    def __init__(self) -> None:
        self.messages = []
        self.local = LocalDispatcher()

    def dispatch(self, message) -> None:
        self.messages.append(message)

    def release(self) -> None:
        for message in self.messages:
            self.local.dispatch(message)
        assert self.local.wait_idle(60)


def wait_jobs_idle() -> None:
    dispatcher = get_dispatcher()
    if isinstance(dispatcher, LocalDispatcher):
        assert dispatcher.wait_idle(60)


def _reset() -> None:
    reset_settings()
    reset_blob_store()
    reset_dispatcher()


@pytest.fixture(params=["local", "s3"])
def storage(request, monkeypatch, tmp_path) -> Iterator[str]:
    """The blob store under test: a temporary directory, or a moto S3 bucket."""
    monkeypatch.setenv("JOB_DISPATCH", "local")
    if request.param == "local":
        monkeypatch.setenv("STORAGE_BACKEND", "local")
        monkeypatch.setenv("LOCAL_STORAGE_DIR", str(tmp_path / "storage"))
        _reset()
        yield "local"
    else:
        with mocked_aws(monkeypatch):
            monkeypatch.setenv("STORAGE_BACKEND", "s3")
            monkeypatch.setenv("S3_BUCKET", BUCKET)
            _reset()
            boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
            yield "s3"
            wait_jobs_idle()
    wait_jobs_idle()
    _reset()


@pytest.fixture
def local_storage(monkeypatch, tmp_path) -> Iterator[str]:
    monkeypatch.setenv("JOB_DISPATCH", "local")
    monkeypatch.setenv("STORAGE_BACKEND", "local")
    monkeypatch.setenv("LOCAL_STORAGE_DIR", str(tmp_path / "storage"))
    _reset()
    yield "local"
    wait_jobs_idle()
    _reset()


def stored_keys(prefix: str = "books/") -> list[str]:
    from shared.storage import get_blob_store

    return get_blob_store().list_keys(prefix)
