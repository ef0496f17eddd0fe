"""Blob store in a local directory (the embedded default). Writes go to a temporary file that is
renamed into place, so a reader never sees half an object."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from shared.storage.base import BlobNotFoundError, StoredObject, check_key, check_prefix

FILES_ROUTE = "/admin/files"

# Errors that mean "no object under this key": nothing there, a file where the key needs a
# directory (`metadata.json/x`), a directory where it needs a file, or a name the file system
# cannot even hold (a segment over 255 bytes, a path over PATH_MAX).
_NO_OBJECT = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.ENAMETOOLONG})


def _names_no_object(exc: OSError) -> bool:
    return exc.errno in _NO_OBJECT


def _write(directory: Path, name: str, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, directory / name)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class LocalBlobStore:
    backend = "local"

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if self.root not in path.parents:
            raise ValueError(f"key {key!r} escapes the storage root")
        return path

    def put(self, key: str, data: bytes, *, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        _write(path.parent, path.name, data)

    def put_many(self, objects: Sequence[StoredObject]) -> None:
        """Each directory is resolved, checked and made once, not once per file: a put costs
        a dozen system calls (each one a GIL hand-off to the job's other threads), most of them
        resolving the same directory again. The file's own name needs no resolving: it is one
        checked segment, and the rename replaces whatever is there without following it."""
        directories: dict[str, Path] = {}
        for key, data, _content_type in objects:
            parent, _, name = check_key(key).rpartition("/")
            directory = directories.get(parent)
            if directory is None:
                directory = directories[parent] = self._path(parent) if parent else self.root
                directory.mkdir(parents=True, exist_ok=True)
            _write(directory, name, data)

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except OSError as exc:
            if _names_no_object(exc):
                raise BlobNotFoundError(key) from None
            raise

    def exists(self, key: str) -> bool:
        try:
            return self._path(key).is_file()
        except OSError as exc:
            if _names_no_object(exc):
                return False
            raise

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink()
        except OSError as exc:
            if not _names_no_object(exc):
                raise

    def delete_prefix(self, prefix: str) -> int:
        keys = self.list_keys(prefix)
        directory = self._path(check_prefix(prefix)[:-1])
        if directory.is_dir():
            shutil.rmtree(directory)
        return len(keys)

    def list_keys(self, prefix: str) -> list[str]:
        directory = self._path(check_prefix(prefix)[:-1])
        if not directory.is_dir():
            return []
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in directory.rglob("*")
            if p.is_file() and not p.name.startswith(".tmp-")
        )

    def url(self, key: str) -> str:
        return f"{FILES_ROUTE}/{check_key(key)}"
