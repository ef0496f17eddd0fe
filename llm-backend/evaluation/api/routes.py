"""/api/evaluation: upstream §3.1's routes and shapes, admin only, plus personas, repeats,
intervals, the comparison of two runs and the cost of a run.

Unlike upstream, runs are jobs: any number may run at once (no 409 "Evaluation already
running"), they survive a restart, and a missing session is a 404 at once instead of a failed
run later. Every route needs an admin token (upstream's have no auth).
"""

from __future__ import annotations

from typing import Annotated, Any

from annotated_types import Ge, Le
from fastapi import APIRouter, Query

from database import DbSession
from evaluation.api import mapping
from evaluation.api.schemas import (
    ComparisonRead,
    ConversationRead,
    EvaluateSessionRequest,
    EvaluateSessionResponse,
    PersonaRead,
    RunDetailRead,
    RunStarted,
    RunSummaryRead,
    StartRequest,
    StartResponse,
    StatusResponse,
)
from evaluation.models.persona import DEFAULT_PERSONA_ID, PERSONA_IDS, load_personas
from evaluation.services import reports, runs
from shared.api.responses import errors
from shared.api.route import ApiRoute
from shared.auth.dependencies import AdminUser
from shared.errors import BadRequestError

router = APIRouter(prefix="/api/evaluation", tags=["admin: evaluation"], route_class=ApiRoute)
Item = Annotated[int, Ge(1), Le(10_000)]
RunId = Annotated[str, Query(min_length=1, max_length=200)]


def _persona_ids(body: StartRequest) -> list[str]:
    if body.personas == "all":
        return list(PERSONA_IDS)
    if body.personas is not None:
        return list(body.personas)  # an empty list is the service's 400
    if body.persona_file:
        return [body.persona_file.removesuffix(".json")]
    return [DEFAULT_PERSONA_ID]


@router.post("/start", response_model=StartResponse, responses=errors(400, 404))
def start(body: StartRequest, admin: AdminUser, session: DbSession) -> dict[str, Any]:
    """Start a simulated run: one conversation per persona x repeat, each judged k times."""
    run = runs.start_run(
        session=session,
        admin=admin,
        guideline_id=body.topic_id,
        persona_ids=_persona_ids(body),
        repeats=body.repeats,
        judge_repeats=body.judge_repeats,
        mode=body.mode.value,
        max_turns=body.max_turns,
        seed=body.seed,
    )
    return {
        "status": "started",
        "topic_id": run.guideline_id,
        "max_turns": run.max_turns,
        "run_id": run.id,
        "personas": list(run.persona_ids),
        "repeats": run.repeats,
        "judge_repeats": run.judge_repeats,
        "mode": run.mode,
        "seed": run.seed,
    }


@router.post("/evaluate-session", response_model=EvaluateSessionResponse, responses=errors(400))
def evaluate_session(
    body: EvaluateSessionRequest, admin: AdminUser, session: DbSession
) -> dict[str, Any]:
    """Judge a stored tutoring session (no persona). 404 at once for an unknown session."""
    session_id = (body.session_id or "").strip()
    if not session_id:
        raise BadRequestError("session_id is required", code="session_id_required")
    run = runs.start_session_evaluation(
        session=session, admin=admin, session_id=session_id, judge_repeats=body.judge_repeats
    )
    return {"status": "started", "session_id": session_id, "run_id": run.id}


@router.get("/status", response_model=StatusResponse)
def status(_admin: AdminUser, session: DbSession) -> StatusResponse:
    """The most recent active run, else the latest run's end state, else idle."""
    return StatusResponse.model_validate(runs.current_status(session=session), from_attributes=True)


@router.get("/runs", response_model=list[RunSummaryRead])
def list_runs(_admin: AdminUser, session: DbSession) -> list[RunSummaryRead]:
    """A bare array, newest first."""
    return [mapping.run_summary(row) for row in runs.list_runs(session=session)]


@router.get("/runs/{run_id}", response_model=RunDetailRead, response_model_exclude_unset=True)
def get_run(run_id: str, _admin: AdminUser, session: DbSession) -> RunDetailRead:
    detail = runs.get_run(session=session, run_id=run_id)
    return mapping.run_detail(detail, reports.run_cost(session=session, run_id=run_id))


@router.get("/runs/{run_id}/conversations/{item}", response_model=ConversationRead)
def get_conversation(
    run_id: str, item: Item, _admin: AdminUser, session: DbSession
) -> ConversationRead:
    """One conversation's transcript, the simulator's draws and every judgment."""
    detail = runs.get_conversation(session=session, run_id=run_id, item=item)
    return mapping.conversation(run_id, detail)


@router.post(
    "/runs/{run_id}/retry-evaluation", response_model=RunStarted, responses=errors(400, 409)
)
def retry_evaluation(run_id: str, _admin: AdminUser, session: DbSession) -> dict[str, str]:
    """Judge the stored transcripts again (a new job); 409 while the run is active."""
    run = runs.retry_evaluation(session=session, run_id=run_id)
    return {"status": "started", "run_id": run.id}


@router.post("/runs/{run_id}/resume", response_model=RunStarted, responses=errors(409))
def resume(run_id: str, _admin: AdminUser, session: DbSession) -> dict[str, str]:
    """Continue a failed run; finished conversations are not repeated. 409 unless failed."""
    run = runs.resume_run(session=session, run_id=run_id)
    return {"status": "started", "run_id": run.id}


@router.get("/compare", response_model=ComparisonRead, responses=errors(400, 404))
def compare(a: RunId, b: RunId, _admin: AdminUser, session: DbSession) -> ComparisonRead:
    """Run b against run a, per dimension and overall: both intervals, the difference b - a
    with its 95% Welch interval, and a verdict."""
    comparison = reports.compare_runs(session=session, run_a=a, run_b=b)
    return ComparisonRead.model_validate(comparison, from_attributes=True)


@router.get("/personas", response_model=list[PersonaRead])
def personas(_admin: AdminUser) -> list[PersonaRead]:
    return [PersonaRead.model_validate(p, from_attributes=True) for p in load_personas().values()]
