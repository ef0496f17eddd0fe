"""Reading an uploaded file with a size cap, for every upload route (page images, audio)."""

from __future__ import annotations

from typing import BinaryIO

from shared.errors import BadRequestError, PayloadTooLargeError

_CHUNK = 1024 * 1024


def read_limited(stream: BinaryIO, *, name: str, limit: int) -> bytes:
    """Reads at most `limit` bytes; a larger file is a 413 before more than limit+1 are held,
    an empty one a 400."""
    parts: list[bytes] = []
    size = 0
    while True:
        chunk = stream.read(min(_CHUNK, limit + 1 - size))
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(
                f"File {name!r} is larger than the {size_text(limit)} limit.",
                code="file_too_large",
            )
        parts.append(chunk)
    data = b"".join(parts)
    if not data:
        raise BadRequestError(f"File {name!r} is empty.", code="empty_file")
    return data


def size_text(limit: int) -> str:
    """A byte limit as every 413 message writes it: whole megabytes, else bytes."""
    mb = 1024 * 1024
    return f"{limit // mb} MB" if limit % mb == 0 else f"{limit} bytes"
