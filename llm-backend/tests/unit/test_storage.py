"""The blob stores behave the same on a local directory and on (moto) S3; keys are checked."""

from __future__ import annotations

import os

import boto3
import pytest

from config import reset_settings
from shared.errors import BadRequestError
from shared.jobs.messages import JobMessage
from shared.storage import BlobNotFoundError, get_blob_store, reset_blob_store
from shared.storage.local import LocalBlobStore
from tests.support.aws import REGION, mocked_aws


@pytest.fixture(params=["local", "s3"])
def store(request, monkeypatch, tmp_path):
    if request.param == "local":
        monkeypatch.setenv("LOCAL_STORAGE_DIR", str(tmp_path))
        monkeypatch.delenv("S3_BUCKET", raising=False)
        reset_settings()
        reset_blob_store()
        yield get_blob_store()
    else:
        with mocked_aws(monkeypatch):
            monkeypatch.setenv("S3_BUCKET", "unit-bucket")
            reset_settings()
            reset_blob_store()
            boto3.client("s3", region_name=REGION).create_bucket(Bucket="unit-bucket")
            yield get_blob_store()
    reset_blob_store()


def test_backend_defaults_follow_the_bucket_setting(store):
    assert store.backend == ("s3" if os.environ.get("S3_BUCKET") else "local")


def test_put_get_list_delete(store):
    store.put("books/b1/pages/1.txt", b"one", content_type="text/plain")
    store.put("books/b1/pages/2.txt", b"two", content_type="text/plain")
    store.put("books/b1/pages/3.txt", b"three", content_type="text/plain")
    store.put("books/b10/metadata.json", b"{}", content_type="application/json")

    assert store.get("books/b1/pages/3.txt") == b"three"
    assert store.exists("books/b1/pages/1.txt") is True
    assert store.list_keys("books/b1/") == [
        "books/b1/pages/1.txt",
        "books/b1/pages/2.txt",
        "books/b1/pages/3.txt",
    ]
    assert store.delete_prefix("books/b1/") == 3
    assert store.list_keys("books/") == ["books/b10/metadata.json"]
    with pytest.raises(BlobNotFoundError):
        store.get("books/b1/pages/1.txt")
    store.delete("books/b1/pages/1.txt")  # missing is fine


def test_put_many_stores_each_object_as_put_would(store):
    store.put("books/b1/pages/1.txt", b"old", content_type="text/plain")
    store.put_many(
        [
            ("books/b1/pages/1.txt", b"one", "text/plain"),  # replaced
            ("books/b1/pages/1.png", b"png", "image/png"),
            ("books/b2/pages/1.txt", b"other book", "text/plain"),
            ("top.txt", b"no directory", "text/plain"),
        ]
    )
    store.put_many([])

    assert store.list_keys("books/") == [
        "books/b1/pages/1.png",
        "books/b1/pages/1.txt",
        "books/b2/pages/1.txt",
    ]
    assert [store.get(k) for k in ("books/b1/pages/1.txt", "books/b2/pages/1.txt", "top.txt")] == [
        b"one",
        b"other book",
        b"no directory",
    ]


@pytest.mark.parametrize("key", ["../etc/passwd", "books/x/..", "/abs/key"])
def test_put_many_refuses_bad_keys(store, key):
    with pytest.raises(BadRequestError) as caught:
        store.put_many([(key, b"x", "text/plain")])
    assert caught.value.code == "invalid_storage_key"


@pytest.mark.parametrize(
    "key",
    [
        "books/b1/metadata.json/x",  # a file where the key needs a directory
        "books/b1",  # a directory
        "books/" + "a" * 256,  # a segment longer than a file name may be
        "/".join(["books", *["d" * 200] * 25]),  # a path longer than PATH_MAX
    ],
)
def test_keys_that_name_no_object_read_as_missing(store, key):
    store.put("books/b1/metadata.json", b"{}", content_type="application/json")

    with pytest.raises(BlobNotFoundError):
        store.get(key)
    assert store.exists(key) is False
    store.delete(key)  # nothing to delete is fine
    assert store.get("books/b1/metadata.json") == b"{}"


@pytest.mark.parametrize(
    "key", ["../etc/passwd", "/abs/key", "books//x", "books/./x", "books/a b", "books/x/..", ""]
)
def test_bad_keys_are_refused(store, key):
    with pytest.raises(BadRequestError) as caught:
        store.put(key, b"x", content_type="text/plain")
    assert caught.value.code == "invalid_storage_key"


def test_s3_writes_are_encrypted(monkeypatch):
    with mocked_aws(monkeypatch):
        monkeypatch.setenv("S3_BUCKET", "enc-bucket")
        reset_settings()
        reset_blob_store()
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="enc-bucket")
        get_blob_store().put("books/x/metadata.json", b"{}", content_type="application/json")
        head = s3.head_object(Bucket="enc-bucket", Key="books/x/metadata.json")
        assert (head["ServerSideEncryption"], head["ContentType"]) == ("AES256", "application/json")
    reset_blob_store()
    reset_settings()


def test_local_url_points_at_the_admin_files_route(tmp_path):
    assert LocalBlobStore(tmp_path).url("books/b/pages/1.png") == "/admin/files/books/b/pages/1.png"


def test_job_message_carries_a_handoff_only_when_set():
    plain = JobMessage(job_id="j", job_type="ocr_batch")
    handed = JobMessage(job_id="j", job_type="ocr_batch", handoff="t-1")

    assert plain.to_body() == '{"job_id":"j","job_type":"ocr_batch"}'
    assert JobMessage.parse(handed.to_body()) == handed
