"""Liveness and database readiness probes (public)."""

from __future__ import annotations

from fastapi import APIRouter

from database import health_check
from shared.api.responses import errors
from shared.api.route import ApiRoute
from shared.errors import DatabaseUnavailableError

router = APIRouter(tags=["health"], route_class=ApiRoute)


@router.get("/health")
def health() -> dict:
    return {"status": "ok"}


@router.get("/health/db", responses=errors(503))
def health_db() -> dict:
    if not health_check():
        raise DatabaseUnavailableError("The database is not reachable; try again shortly.")
    return {"status": "ok", "database": "ok"}
