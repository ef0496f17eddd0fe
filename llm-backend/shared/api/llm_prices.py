"""Admin API for model prices (`llm_prices`), which turn recorded tokens into dollars."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from database import DbSession
from shared.api.responses import errors
from shared.api.route import ApiRoute
from shared.auth.dependencies import AdminUser
from shared.llm import prices
from shared.models.entities import LLMPrice

router = APIRouter(prefix="/api/admin", tags=["admin: llm prices"], route_class=ApiRoute)

# No real model costs more than this per million tokens; a larger number is a typo (cents
# typed as dollars per token), refused before it makes every cost report absurd.
MAX_PRICE = 10_000.0
Price = Annotated[float, Field(ge=0, le=MAX_PRICE, allow_inf_nan=False)]


class LLMPriceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    provider: str
    model: str
    input_per_million_usd: float = Field(description="US dollars per million input tokens")
    output_per_million_usd: float = Field(description="US dollars per million output tokens")
    updated_at: datetime = Field(
        description="When an admin last set it; for a seeded price, the day it was read"
    )
    updated_by: str | None


class LLMPriceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The provider is checked against the known ones (400, like llm-config); the model is free
    # text, so models used before (still in llm_calls) or not yet offered can be priced.
    provider: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
    model: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    input_per_million_usd: Price
    output_per_million_usd: Price


@router.get("/llm-prices", response_model=list[LLMPriceRead])
def list_llm_prices(_admin: AdminUser, session: DbSession) -> list[LLMPrice]:
    return prices.list_prices(session=session)


@router.put("/llm-prices", response_model=LLMPriceRead, responses=errors(400))
def set_llm_price(body: LLMPriceUpdate, admin: AdminUser, session: DbSession) -> LLMPrice:
    """Create or replace one model's price."""
    return prices.set_price(
        session=session,
        provider=body.provider,
        model=body.model,
        input_per_million_usd=body.input_per_million_usd,
        output_per_million_usd=body.output_per_million_usd,
        updated_by=admin.email or admin.cognito_sub,
    )
