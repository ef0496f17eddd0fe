"""Blob storage: `get_blob_store()` returns the process's store (S3 or a local directory, by
`STORAGE_BACKEND`), built on first use and cached; `reset_blob_store()` forgets it (tests)."""

from __future__ import annotations

import threading

from config import get_settings
from shared.errors import ConfigurationError
from shared.storage.base import (
    BlobNotFoundError,
    BlobStore,
    StorageUnavailableError,
    StoredObject,
    check_key,
)

__all__ = [
    "BlobNotFoundError",
    "BlobStore",
    "StorageUnavailableError",
    "StoredObject",
    "check_key",
    "get_blob_store",
    "reset_blob_store",
]

_store: BlobStore | None = None
_lock = threading.Lock()


def _build() -> BlobStore:
    settings = get_settings()
    if settings.effective_storage_backend == "s3":
        if not settings.s3_bucket:
            raise ConfigurationError("STORAGE_BACKEND=s3 needs S3_BUCKET.")
        from shared.storage.s3 import S3BlobStore

        return S3BlobStore(
            bucket=settings.s3_bucket,
            region=settings.aws_region,
            presign_seconds=settings.s3_presign_seconds,
        )
    from shared.storage.local import LocalBlobStore

    return LocalBlobStore(settings.effective_local_storage_dir)


def get_blob_store() -> BlobStore:
    global _store
    if _store is None:
        with _lock:
            if _store is None:
                _store = _build()
    return _store


def reset_blob_store() -> None:
    global _store
    with _lock:
        _store = None
