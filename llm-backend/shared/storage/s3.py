"""Blob store in an S3 bucket: server-side encryption on every write, presigned GET URLs."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from shared.storage.base import (
    BlobNotFoundError,
    StorageUnavailableError,
    StoredObject,
    check_key,
    check_prefix,
)

_MISSING = {"NoSuchKey", "404", "NotFound"}
PUT_THREADS = 8  # put_many's PUTs in flight at once


class S3BlobStore:
    backend = "s3"

    def __init__(self, *, bucket: str, region: str, presign_seconds: int = 900) -> None:
        self.bucket = bucket
        self.region = region
        self.presign_seconds = presign_seconds
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    import boto3

                    self._client = boto3.client("s3", region_name=self.region)
        return self._client

    def _call(self, what: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        try:
            return fn(Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                raise BlobNotFoundError(kwargs.get("Key", "")) from None
            raise StorageUnavailableError(f"File storage failed to {what}.") from exc
        except BotoCoreError as exc:
            raise StorageUnavailableError(f"File storage failed to {what}.") from exc

    def put(self, key: str, data: bytes, *, content_type: str) -> None:
        self._call(
            "store a file",
            self.client.put_object,
            Key=check_key(key),
            Body=data,
            ContentType=content_type,
            ServerSideEncryption="AES256",
        )

    def put_many(self, objects: Sequence[StoredObject]) -> None:
        """The PUTs at once (the client is thread-safe): one after another, a checkpoint of
        many pages waited a network round trip per file."""
        for key, _data, _content_type in objects:
            check_key(key)
        if len(objects) <= 1:
            for key, data, content_type in objects:
                self.put(key, data, content_type=content_type)
            return
        with ThreadPoolExecutor(min(PUT_THREADS, len(objects))) as pool:
            for _ in pool.map(lambda o: self.put(o[0], o[1], content_type=o[2]), objects):
                pass

    def get(self, key: str) -> bytes:
        response = self._call("read a file", self.client.get_object, Key=check_key(key))
        body: bytes = response["Body"].read()
        return body

    def exists(self, key: str) -> bool:
        try:
            self._call("read a file", self.client.head_object, Key=check_key(key))
        except BlobNotFoundError:
            return False
        return True

    def delete(self, key: str) -> None:
        self._call("delete a file", self.client.delete_object, Key=check_key(key))

    def delete_prefix(self, prefix: str) -> int:
        keys = self.list_keys(prefix)
        for start in range(0, len(keys), 1000):
            chunk = keys[start : start + 1000]
            self._call(
                "delete files",
                self.client.delete_objects,
                Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True},
            )
        return len(keys)

    def list_keys(self, prefix: str) -> list[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        keys: list[str] = []
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=check_prefix(prefix)):
                keys.extend(item["Key"] for item in page.get("Contents", []))
        except (ClientError, BotoCoreError) as exc:
            raise StorageUnavailableError("File storage failed to list files.") from exc
        return sorted(keys)

    def url(self, key: str) -> str:
        url: str = self.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": check_key(key)},
            ExpiresIn=self.presign_seconds,
        )
        return url
