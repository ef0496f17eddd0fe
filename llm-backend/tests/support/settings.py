"""Settings for one test: environment variables through monkeypatch, then a fresh read."""

from __future__ import annotations

import pytest

from config import reset_settings


def use_settings(monkeypatch: pytest.MonkeyPatch, **values) -> None:
    """Sets each `NAME=value` in the environment (undone after the test) and makes the next
    get_settings() read them."""
    for key, value in values.items():
        monkeypatch.setenv(key, str(value))
    reset_settings()
