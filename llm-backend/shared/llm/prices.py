"""Model prices (`llm_prices`) and what a set of `llm_calls` cost.

Prices are US dollars per million tokens, input and output, per (provider, model). The
migration seeds SEEDED_PRICES for the models the `llm_config` seed uses (and the other offered
models whose price we could read); an admin edits them with PUT /api/admin/llm-prices, and a
later migration never overwrites an edited row. A model without a row is priced as unknown
(null dollars, named in `missing_prices`), never as free.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from shared.errors import BadRequestError
from shared.llm.providers.local_provider import LOCAL_MODEL_ID
from shared.llm.providers.registry import PROVIDERS
from shared.models.base import utcnow
from shared.models.entities import LLMCall, LLMPrice
from shared.sql import conflict_insert


@dataclass(frozen=True)
class SeedPrice:
    provider: str
    model: str
    input_per_million_usd: float
    output_per_million_usd: float
    source: str


# Read on PRICES_READ_ON from copies of the providers' price pages (standard tier, no caching
# or batch discount); each row says which dated copy. The audio models bill audio as tokens:
# transcription's input is mostly audio tokens, speech's output is audio tokens.
PRICES_READ_ON = date(2026, 11, 30)
SEEDED_PRICES: tuple[SeedPrice, ...] = (
    SeedPrice("openai", "gpt-5.2", 1.75, 14.00, "OpenAI API pricing as quoted in March 2026"),
    SeedPrice(
        "openai",
        "gpt-4o-mini-transcribe",
        3.00,
        5.00,
        "OpenAI: $3/M audio input tokens, $5/M text output tokens (as quoted in 2025-2026)",
    ),
    SeedPrice(
        "openai",
        "gpt-4o-mini-tts",
        0.60,
        12.00,
        "OpenAI: $0.60/M text input tokens, $12/M audio output tokens (as quoted April 2026)",
    ),
    SeedPrice("anthropic", "claude-opus-4-6", 5.00, 25.00, "Anthropic pricing, 21 March 2026"),
    SeedPrice("anthropic", "claude-sonnet-4-6", 3.00, 15.00, "Anthropic pricing, 21 March 2026"),
    SeedPrice("anthropic", "claude-haiku-4-5", 1.00, 5.00, "Anthropic pricing, 21 March 2026"),
    # Runs in this process: no charge per token (the machine's cost is not a model price).
    SeedPrice("local", LOCAL_MODEL_ID, 0.0, 0.0, "in-process model, no per-token charge"),
)


def seeded_price_rows() -> list[dict[str, Any]]:
    """The rows the migration adds where missing; `updated_at` is the day they were read."""
    read_on = datetime(PRICES_READ_ON.year, PRICES_READ_ON.month, PRICES_READ_ON.day, tzinfo=UTC)
    return [
        {
            "provider": p.provider,
            "model": p.model,
            "input_per_million_usd": p.input_per_million_usd,
            "output_per_million_usd": p.output_per_million_usd,
            "updated_at": read_on,
            "updated_by": "migration",
        }
        for p in SEEDED_PRICES
    ]


def list_prices(*, session: Session) -> list[LLMPrice]:
    return list(session.scalars(select(LLMPrice).order_by(LLMPrice.provider, LLMPrice.model)))


def set_price(
    *,
    session: Session,
    provider: str,
    model: str,
    input_per_million_usd: float,
    output_per_million_usd: float,
    updated_by: str,
) -> LLMPrice:
    """Create or replace the price of (provider, model). Two admins saving the same new model
    at once both succeed (the last write wins) instead of one hitting a duplicate key."""
    if provider not in PROVIDERS:
        raise BadRequestError(
            f"Unknown provider '{provider}'; choose one of {', '.join(PROVIDERS)}.",
            code="unknown_provider",
        )
    for name, value in (
        ("input_per_million_usd", input_per_million_usd),
        ("output_per_million_usd", output_per_million_usd),
    ):
        if not 0 <= value < float("inf"):  # also refuses NaN
            raise BadRequestError(f"{name} must be a non-negative number.", code="invalid_price")
    values = {
        "provider": provider,
        "model": model,
        "input_per_million_usd": input_per_million_usd,
        "output_per_million_usd": output_per_million_usd,
        "updated_at": utcnow(),
        "updated_by": updated_by,
    }
    stmt = conflict_insert(session, LLMPrice).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[LLMPrice.provider, LLMPrice.model],
        set_={k: v for k, v in values.items() if k not in ("provider", "model")},
    )
    session.execute(stmt)
    session.commit()
    row = session.get(LLMPrice, (provider, model), populate_existing=True)
    assert row is not None  # just written in this transaction's successor
    return row


class ModelRef(BaseModel):
    provider: str
    model: str


class Usage(BaseModel):
    """Calls and tokens of one (component, provider, model)."""

    component: str
    provider: str
    model: str
    calls: int
    input_tokens: int
    output_tokens: int


class PricedUsage(Usage):
    # Null when the model has no price (then it is in Cost.missing_prices).
    input_usd: float | None
    output_usd: float | None
    total_usd: float | None


class Cost(BaseModel):
    rows: list[PricedUsage]
    # The sum over the priced rows: a lower bound while `missing_prices` is not empty.
    total_usd: float
    missing_prices: list[ModelRef]


def calls_usage(
    *, session: Session, job_ids: Collection[str], session_ids: Collection[str]
) -> list[Usage]:
    """Usage of the calls made by any of these jobs or in any of these tutoring sessions, per
    (component, provider, model). A call matching both is counted once."""
    matches = []
    if job_ids:
        matches.append(LLMCall.job_id.in_(list(job_ids)))
    if session_ids:
        matches.append(LLMCall.session_id.in_(list(session_ids)))
    if not matches:
        return []
    key = (LLMCall.component, LLMCall.provider, LLMCall.model)
    rows = session.execute(
        select(
            *key,
            func.count(),
            func.coalesce(func.sum(LLMCall.input_tokens), 0),
            func.coalesce(func.sum(LLMCall.output_tokens), 0),
        )
        .where(or_(*matches))
        .group_by(*key)
        .order_by(*key)
    ).all()
    return [
        Usage(
            component=component,
            provider=provider,
            model=model,
            calls=calls,
            input_tokens=int(tokens_in or 0),
            output_tokens=int(tokens_out or 0),
        )
        for component, provider, model, calls, tokens_in, tokens_out in rows
    ]


def price_usage(*, session: Session, usage: Sequence[Usage]) -> Cost:
    """Tokens to dollars with the current `llm_prices`, rounded to a millionth of a dollar."""
    prices = {(p.provider, p.model): p for p in list_prices(session=session)}
    rows, missing, total = [], [], 0.0
    for item in usage:
        price = prices.get((item.provider, item.model))
        if price is None:
            ref = ModelRef(provider=item.provider, model=item.model)
            if ref not in missing:
                missing.append(ref)
            rows.append(
                PricedUsage(**item.model_dump(), input_usd=None, output_usd=None, total_usd=None)
            )
            continue
        cost_in = item.input_tokens * price.input_per_million_usd / 1_000_000
        cost_out = item.output_tokens * price.output_per_million_usd / 1_000_000
        total += cost_in + cost_out
        rows.append(
            PricedUsage(
                **item.model_dump(),
                input_usd=round(cost_in, 6),
                output_usd=round(cost_out, 6),
                total_usd=round(cost_in + cost_out, 6),
            )
        )
    return Cost(rows=rows, total_usd=round(total, 6), missing_prices=missing)
