"""The blob store seam: S3 in AWS, a local directory otherwise. Keys are `/`-separated paths
such as `books/{book_id}/pages/{page_id}.png`; every key is checked, so user input can never
reach outside the store (no `..`, no absolute paths, only `[A-Za-z0-9._-]` in each segment)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from shared.errors import BadRequestError, ServiceUnavailableError

_SEGMENT = re.compile(r"^[A-Za-z0-9._-]+$")


class StorageUnavailableError(ServiceUnavailableError):
    code = "storage_unavailable"


class BlobNotFoundError(LookupError):
    """No object is stored under the key."""


def check_key(key: str) -> str:
    segments = key.split("/")
    if not key or any(s in ("", ".", "..") or not _SEGMENT.match(s) for s in segments):
        raise BadRequestError(f"Invalid storage key {key!r}.", code="invalid_storage_key")
    return key


def check_prefix(prefix: str) -> str:
    if not prefix.endswith("/"):
        raise BadRequestError(f"Invalid storage prefix {prefix!r}.", code="invalid_storage_key")
    check_key(prefix[:-1])
    return prefix


# (key, data, content_type)
StoredObject = tuple[str, bytes, str]


class BlobStore(Protocol):
    backend: str

    def put(self, key: str, data: bytes, *, content_type: str) -> None: ...

    def put_many(self, objects: Sequence[StoredObject]) -> None:
        """Stores each (key, bytes, content type), as `put` would: for many objects written
        together (a job's checkpoint), in one call the store can make cheaper than one `put`
        each. Raises on the first failure; objects already stored stay."""

    def get(self, key: str) -> bytes:
        """The object's bytes; BlobNotFoundError when there is none."""

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Removes the object; a missing object is not an error."""

    def delete_prefix(self, prefix: str) -> int:
        """Removes every object under `prefix` (which ends with `/`); returns how many."""

    def list_keys(self, prefix: str) -> list[str]:
        """Every key under `prefix`, sorted."""

    def url(self, key: str) -> str:
        """Where an admin's browser can fetch the object: a presigned GET URL (S3) or the
        authenticated `/admin/files/{key}` route (local)."""
