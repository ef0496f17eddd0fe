"""Liveness and database readiness probes (public)."""

from __future__ import annotations

from fastapi import APIRouter

from database import health_check
from shared.errors import DatabaseUnavailableError

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> dict:
    return {"status": "ok"}


@router.get("/health/db")
def health_db() -> dict:
    if not health_check():
        raise DatabaseUnavailableError("The database is not reachable; try again shortly.")
    return {"status": "ok", "database": "ok"}
