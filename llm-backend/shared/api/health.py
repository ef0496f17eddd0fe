"""Liveness and database readiness probes (public)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from database import health_check
from shared.api.responses import errors
from shared.api.route import ApiRoute
from shared.errors import DatabaseUnavailableError

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
