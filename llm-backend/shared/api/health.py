"""Liveness and database readiness probes (public)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from config import DATA_DIR
from database import health_check
from shared.api.responses import errors
from shared.api.route import ApiRoute
from shared.errors import DatabaseUnavailableError
from shared.llm.providers.local_provider import default_model_path, local_extra_installed

router = APIRouter(tags=["health"], route_class=ApiRoute)


class HealthRead(BaseModel):
    status: Literal["ok"]


class DatabaseHealthRead(HealthRead):
    database: Literal["ok"]


@router.get("/health")
def health() -> HealthRead:
    return HealthRead(status="ok")


@router.get("/health/db", responses=errors(503))
def health_db() -> DatabaseHealthRead:
    if not health_check():
        raise DatabaseUnavailableError("The database is not reachable; try again shortly.")
    return DatabaseHealthRead(status="ok", database="ok")


class LocalModelHealthRead(BaseModel):
    status: Literal["ready", "preparing", "failed", "not installed"]


@router.get("/health/local-model")
def health_local_model() -> LocalModelHealthRead:
    """Whether the offline model (the `local` extra) can answer; scripts/serve.sh prepares it
    in the background on a first run and says so in data/local-model.status meanwhile."""
    return LocalModelHealthRead(status=local_model_status())


def local_model_status(
    status_file: Path = DATA_DIR / "local-model.status",
) -> Literal["ready", "preparing", "failed", "not installed"]:
    if local_extra_installed() and default_model_path() is not None:
        return "ready"
    try:
        words = status_file.read_text().split()
    except OSError:
        return "not installed"
    if words[:1] == ["failed"]:
        return "failed"
    if words[:1] == ["preparing"] and len(words) == 2 and _process_alive(words[1]):
        return "preparing"
    return "not installed"  # no build running (e.g. serve.sh was stopped during it)


def _process_alive(pid: str) -> bool:
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True
