"""`GET /sessions/{session_id}/agent-logs`: the devtools panel's per-turn agent logs
(contract §2.4.7), read from the session's stored events and model calls."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from annotated_types import Ge, Le
from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from database import DbSession
from shared.api.route import ApiRoute
from shared.auth.dependencies import OwnedSession
from tutor.services import agent_log_service

router = APIRouter(prefix="/sessions", tags=["sessions"], route_class=ApiRoute)

LogLimit = Annotated[int, Ge(1), Le(500)]


class AgentLogRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    timestamp: datetime
    turn_id: str = Field(description="`turn_0` is the opening, `turn_N` the N-th student message")
    agent_name: str = Field(
        description="`orchestrator` (events), `safety` (a safety redirect), or the model "
        "call's llm_config component (`tutor`)"
    )
    event_type: str = Field(description="The event's node (`Present`, `Check`, ...) or `llm_call`")
    input_summary: str | None
    output: dict[str, Any] | None = Field(
        description="The event's payload (an unfinished exam's marks left out), or the call's "
        "provider, outcome, attempts and tokens"
    )
    reasoning: str | None
    duration_ms: int | None = Field(description="A model call's latency")
    prompt: str | None = Field(description="Always null: prompts are never stored")
    model: str | None = Field(description="The model that served a call")


class AgentLogsRead(BaseModel):
    session_id: str
    turn_id: str | None
    logs: list[AgentLogRead]
    total_count: int = Field(description="Logs matching the filters, before any bound")


@router.get("/{session_id}/agent-logs", response_model=AgentLogsRead)
def agent_logs(
    row: OwnedSession,
    session: DbSession,
    turn_id: Annotated[str | None, Query(pattern=r"^turn_\d{1,9}$")] = None,
    agent_name: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    limit: LogLimit = 100,
):
    """Oldest first: with `turn_id` and/or `agent_name`, every log that matches (at most the
    last 2000); without either, the last `limit`."""
    return agent_log_service.agent_logs(
        session=session, row=row, turn_id=turn_id, agent_name=agent_name, limit=limit
    )
