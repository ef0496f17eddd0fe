"""Admin API for per-component model choice and the LLM call log (the page: admin_pages)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from annotated_types import Ge, Le
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, StringConstraints

from database import DbSession
from shared.api.params import Hours
from shared.api.responses import errors
from shared.api.route import ApiRoute
from shared.auth.dependencies import AdminUser
from shared.llm import admin_service
from shared.models.entities import LLMConfig

router = APIRouter(prefix="/api/admin", tags=["admin: llm config"], route_class=ApiRoute)
CallsLimit = Annotated[int, Ge(1), Le(500)]


class LLMConfigRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    component_key: str
    provider: str
    model_id: str
    description: str | None
    updated_at: datetime
    updated_by: str | None


class LLMConfigUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Checked against the offered models (400, as the client contract has it), not here.
    provider: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
    model_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


# `{provider: [model ids]}`: the keys fill the provider list, the values its model list.
LLMConfigOptions = dict[str, list[str]]


class LLMCallRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    component: str
    provider: str
    model: str
    started_at: datetime
    latency_ms: int
    input_tokens: int | None
    output_tokens: int | None
    audio_seconds: float | None
    input_characters: int | None
    attempts: int
    outcome: str
    error_message: str | None
    session_id: str | None
    job_id: str | None


class ComponentTotals(BaseModel):
    component: str
    calls: int
    errors: int
    error_rate: float
    p50_latency_ms: int
    p95_latency_ms: int
    input_tokens: int
    output_tokens: int


class LLMCallsReport(BaseModel):
    since_hours: int
    calls: list[LLMCallRead]
    totals: list[ComponentTotals]


@router.get("/llm-config", response_model=list[LLMConfigRead])
def list_llm_config(_admin: AdminUser, session: DbSession) -> list[LLMConfig]:
    return admin_service.list_configs(session=session)


@router.get("/llm-config/options", response_model=LLMConfigOptions)
def llm_config_options(_admin: AdminUser) -> dict[str, list[str]]:
    return admin_service.options()


@router.put("/llm-config/{component_key}", response_model=LLMConfigRead, responses=errors(400, 404))
def update_llm_config(
    component_key: str, body: LLMConfigUpdate, admin: AdminUser, session: DbSession
) -> LLMConfig:
    return admin_service.update_config(
        session=session,
        component_key=component_key,
        provider=body.provider,
        model_id=body.model_id,
        updated_by=admin.email or admin.cognito_sub,
    )


CallOutcome = Literal[
    "ok", "retried", "abandoned", "unavailable", "timeout", "deadline", "output_error", "error"
]


@router.get("/llm-calls", response_model=LLMCallsReport)
def llm_calls(
    _admin: AdminUser,
    session: DbSession,
    component: str | None = None,
    # A typo in the filter is a 422, not an empty list that looks like "no failures".
    outcome: CallOutcome | None = None,
    limit: CallsLimit = 50,
    since_hours: Hours = 24,
) -> dict[str, Any]:
    return {
        "since_hours": since_hours,
        "calls": admin_service.recent_calls(
            session=session, component=component, outcome=outcome, limit=limit
        ),
        "totals": admin_service.call_totals(session=session, since_hours=since_hours),
    }
