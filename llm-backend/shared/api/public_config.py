"""`GET /config/models`: which model serves each LLM component (contract §2.2); `GET /config/auth`:
how the web pages sign in.

Public, and it reads no token at all: the frontend sends its access token here too, and any
401 from its `api.ts` redirects to the login page, so even an expired token must not fail this
call. Provider and model names only; keys and the call log stay behind the admin API.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from config import get_settings
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


class AuthConfigRead(BaseModel):
    """What a page needs to sign in: `local` mode offers the local sign-in route; `cognito`
    mode sends the browser to the pool's managed login (authorization code with PKCE) when
    `cognito_domain` is set. Public values only (a browser app has no client secret)."""

    mode: str
    local_sign_in: bool
    cognito_domain: str | None
    client_id: str | None
    scopes: list[str]


@router.get("/auth", response_model=AuthConfigRead)
def auth() -> AuthConfigRead:
    """The sign-in settings of this server, for the web pages (public, reads no token)."""
    settings = get_settings()
    cognito = settings.effective_auth_mode == "cognito"
    return AuthConfigRead(
        mode=settings.effective_auth_mode.value,
        local_sign_in=settings.local_sign_in,
        cognito_domain=settings.cognito_domain if cognito else None,
        client_id=settings.cognito_app_client_id if cognito else None,
        scopes=["openid", "email", "profile"] if cognito else [],
    )
