"""`GET /config/models`: which model serves each LLM component (contract §2.2).

Public, and it reads no token at all: the frontend sends its access token here too, and any
401 from its `api.ts` redirects to the login page, so even an expired token must not fail this
call. Provider and model names only; keys and the call log stay behind the admin API.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from database import DbSession
from shared.api.route import ApiRoute
from shared.llm import admin_service

router = APIRouter(prefix="/config", tags=["config"], route_class=ApiRoute)


class ModelChoiceRead(BaseModel):
    provider: str
    model_id: str
    description: str | None


@router.get("/models", response_model=dict[str, ModelChoiceRead])
def models(session: DbSession) -> dict[str, ModelChoiceRead]:
    """Every `llm_config` row, keyed by component (`tutor`, `book_ingestion`, ...)."""
    return {
        row.component_key: ModelChoiceRead(
            provider=row.provider, model_id=row.model_id, description=row.description
        )
        for row in admin_service.list_configs(session=session)
    }
