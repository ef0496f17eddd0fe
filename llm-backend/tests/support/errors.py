"""The error body the API sends (shared.errors.error_body), for exact assertions in tests."""

from __future__ import annotations

from typing import Any


def error_json(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """`detail` repeats the message (what the frontend shows); `extra` adds `errors` etc."""
    return {"error": {"code": code, "message": message}, "detail": message, **extra}
