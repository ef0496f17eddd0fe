"""Evaluation runs: start one (simulated students, or a stored real session judged), re-judge,
resume, and read them (`run_reads`, re-exported here).

A run is stored rows (`eval_runs`, one `eval_conversations` row per persona x repeat) worked
by an `evaluation` job on the shared engine (`run_job`), a job that belongs to no book: any
number of runs may be active at once. Each start, re-judging and resume takes the run's row
FOR UPDATE, so two requests for one run cannot start two jobs over the same conversations.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from evaluation.models.job_detail import (
    EVALUATION_JOB,
    JUDGE_ONLY,
    SIMULATE_AND_JUDGE,
    EvaluationDetail,
    Phase,
)
from evaluation.models.persona import get_persona
from evaluation.models.tables import (
    JUDGED,
    PENDING,
    SIMULATED,
    SOURCE_EXISTING_SESSION,
    SOURCE_SIMULATED,
    EvalConversation,
    EvalJudgment,
    EvalRun,
)
from evaluation.models.transcript import number_turns
from evaluation.services.run_reads import (  # noqa: F401  (the service's read half)
    current_status,
    get_conversation,
    get_run,
    get_run_row,
    jobs_of,
    list_runs,
)
from shared.errors import BadRequestError, ConflictError, NotFoundError
from shared.jobs import lifecycle
from shared.jobs.items import error_text
from shared.jobs.messages import JobMessage
from shared.llm import config_store
from shared.models.base import utcnow
from shared.models.entities import User
from shared.models.enums import ACTIVE_JOB_STATUSES, JobStatus, SessionMode
from tutor.services import curriculum_service, session_reads

DEFAULT_PERSONAS = ("average_student",)  # upstream's API default
MAX_TURNS = 40
MAX_REPEATS = 20
MAX_JUDGE_REPEATS = 5
MAX_CONVERSATIONS = 100
MAX_SEED = 2**31 - 1  # item seeds are seed * 1000 + item
COMPONENTS = {"tutor": "tutor", "simulator": "eval_simulator", "evaluator": "eval_evaluator"}


@dataclass(frozen=True)
class RunOptions:
    persona_ids: list[str]
    repeats: int
    judge_repeats: int
    mode: SessionMode
    max_turns: int
    seed: int


def new_run_id() -> str:
    return f"run_{utcnow():%Y%m%d_%H%M%S}_{secrets.token_hex(3)}"


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise BadRequestError(f"{name} must be between {low} and {high} (got {value}).")


def validate_options(
    *,
    persona_ids: list[str] | None,
    repeats: int,
    judge_repeats: int,
    mode: str,
    max_turns: int,
    seed: int | None,
) -> RunOptions:
    personas = list(DEFAULT_PERSONAS) if persona_ids is None else list(persona_ids)
    if not personas:
        raise BadRequestError("Choose at least one persona.")
    repeated = sorted({p for p in personas if personas.count(p) > 1})
    if repeated:
        raise BadRequestError(f"Personas listed twice: {', '.join(repeated)}; use repeats.")
    for persona_id in personas:
        get_persona(persona_id)  # an unknown id is a 400 naming the known ones
    _check_range("repeats", repeats, 1, MAX_REPEATS)
    _check_range("judge_repeats", judge_repeats, 1, MAX_JUDGE_REPEATS)
    _check_range("max_turns", max_turns, 1, MAX_TURNS)
    if len(personas) * repeats > MAX_CONVERSATIONS:
        raise BadRequestError(
            f"A run holds at most {MAX_CONVERSATIONS} conversations "
            f"({len(personas)} personas x {repeats} repeats asked for)."
        )
    modes = [m.value for m in SessionMode]
    if mode not in modes:
        raise BadRequestError(f"Unknown mode '{mode}'. Modes: {', '.join(modes)}.")
    if seed is None:
        seed = secrets.randbelow(MAX_SEED + 1)
    _check_range("seed", seed, 0, MAX_SEED)
    return RunOptions(personas, repeats, judge_repeats, SessionMode(mode), max_turns, seed)


def models_config(parts: tuple[str, ...] = tuple(COMPONENTS)) -> dict[str, dict[str, str]]:
    """The models the run's parts use now (a missing llm_config row fails the start, 503)."""
    resolved = {part: config_store.resolve(COMPONENTS[part]) for part in parts}
    return {part: {"provider": m.provider, "model": m.model_id} for part, m in resolved.items()}


def _begin_job(session: Session, run: EvalRun, *, phase: Phase, items: list[int]) -> str:
    detail = EvaluationDetail(errors=[], items_key="items", run_id=run.id, phase=phase, items=items)
    job = lifecycle.acquire(
        session,
        book_id=None,
        job_type=EVALUATION_JOB,
        total_items=len(items),
        detail=detail,
    )
    run.job_id = job.id
    run.job_ids = [*run.job_ids, job.id]
    return job.id


def _dispatch(session: Session, run: EvalRun, job_id: str) -> EvalRun:
    """After the commit: hands the job to the dispatcher. If that fails the job is failed at
    once (lifecycle.start) and the run keeps why."""
    try:
        lifecycle.start(JobMessage(job_id=job_id, job_type=EVALUATION_JOB))
    except Exception as exc:
        run.error = error_text(exc)
        session.commit()
        raise
    return run


def start_run(
    *,
    session: Session,
    admin: User | None,
    guideline_id: str,
    persona_ids: list[str] | None = None,
    repeats: int = 1,
    judge_repeats: int = 1,
    mode: str = SessionMode.TEACH_ME,
    max_turns: int = 20,
    seed: int | None = None,
) -> EvalRun:
    """A simulated run: one conversation per persona x repeat (item = persona index x repeats
    + repeat, personas in the order given; its seed = run seed x 1000 + item). 400 for bad
    options, 404 for a guideline that is not approved."""
    options = validate_options(
        persona_ids=persona_ids,
        repeats=repeats,
        judge_repeats=judge_repeats,
        mode=mode,
        max_turns=max_turns,
        seed=seed,
    )
    try:
        guideline = curriculum_service.get_approved_guideline(
            session=session, guideline_id=guideline_id
        )
    except NotFoundError:
        raise NotFoundError(
            f"Guideline not found: {guideline_id}", code="guideline_not_found"
        ) from None
    topic = (
        f"{curriculum_service.subtopic_of(guideline)} ({curriculum_service.topic_of(guideline)})"
    )
    run = EvalRun(
        id=new_run_id(),
        created_by=admin.id if admin else None,
        source=SOURCE_SIMULATED,
        guideline_id=guideline.id,
        topic_name=topic,
        mode=options.mode.value,
        max_turns=options.max_turns,
        persona_ids=options.persona_ids,
        repeats=options.repeats,
        judge_repeats=options.judge_repeats,
        seed=options.seed,
        job_ids=[],
        config={
            "models": models_config(),
            "topic_id": guideline.id,
            "topic": topic,
            "grade": guideline.grade,
            "subject": guideline.subject,
            "seed": options.seed,
        },
    )
    session.add(run)
    session.flush()  # the run's row before its conversations' (no ORM relationship)
    items = []
    for index, persona_id in enumerate(options.persona_ids):
        for repeat in range(1, options.repeats + 1):
            item = index * options.repeats + repeat
            items.append(item)
            session.add(_conversation(run.id, item, persona_id, repeat, options.seed))
    session.flush()
    job_id = _begin_job(session, run, phase=SIMULATE_AND_JUDGE, items=items)
    session.commit()
    return _dispatch(session, run, job_id)


def _conversation(
    run_id: str, item: int, persona_id: str | None, repeat: int, seed: int
) -> EvalConversation:
    return EvalConversation(
        run_id=run_id,
        item=item,
        persona_id=persona_id,
        repeat=repeat,
        seed=seed * 1000 + item,
        status=PENDING,
        messages=[],
        decisions=[],
    )


def start_session_evaluation(
    *, session: Session, admin: User | None, session_id: str, judge_repeats: int = 1
) -> EvalRun:
    """Judges a stored tutor session (no persona) in a judge_only run of one conversation.
    404 for an unknown session, 400 when it has no student message to judge."""
    _check_range("judge_repeats", judge_repeats, 1, MAX_JUDGE_REPEATS)
    stored = session_reads.transcript(session=session, session_id=session_id)
    messages = number_turns((t.role, t.text, t.at) for t in stored.turns)
    student_turns = sum(1 for m in messages if m.role == "student")
    if not student_turns:
        raise BadRequestError(f"Session {session_id} has no student message to judge.")
    topic = f"{stored.subtopic} ({stored.topic})"
    run = EvalRun(
        id=new_run_id(),
        created_by=admin.id if admin else None,
        source=SOURCE_EXISTING_SESSION,
        guideline_id=stored.guideline_id,
        topic_name=topic,
        source_session_id=session_id,
        mode=stored.mode,
        max_turns=student_turns,
        persona_ids=[],
        repeats=1,
        judge_repeats=judge_repeats,
        seed=0,
        job_ids=[],
        config={
            "models": models_config(("evaluator",)),
            "topic_id": topic,
            "topic": topic,
            "grade": stored.grade,
            "source_session_id": session_id,
        },
    )
    session.add(run)
    session.flush()  # the run's row before its conversations' (no ORM relationship)
    conversation = _conversation(run.id, 1, None, 1, 0)
    conversation.session_id = session_id
    conversation.status = SIMULATED
    conversation.messages = [m.model_dump(mode="json") for m in messages]
    conversation.ended_reason = SOURCE_EXISTING_SESSION
    session.add(conversation)
    session.flush()
    job_id = _begin_job(session, run, phase=JUDGE_ONLY, items=[1])
    session.commit()
    return _dispatch(session, run, job_id)


def _locked_idle_run(session: Session, run_id: str) -> tuple[EvalRun, str | None]:
    """The run's row FOR UPDATE and its current job's status; 409 while that job is active."""
    run = get_run_row(session, run_id, lock=True)
    job = jobs_of(session, [run]).get(run.job_id or "")
    if job is not None and job.status in ACTIVE_JOB_STATUSES:
        raise ConflictError(
            f"Run {run_id} is still {job.status}; wait for it to finish.", code="run_active"
        )
    return run, job.status if job is not None else None


def _judgment_counts(session: Session, run_id: str) -> dict[str, int]:
    rows = session.execute(
        select(EvalJudgment.conversation_id, func.count())
        .join(EvalConversation, EvalJudgment.conversation_id == EvalConversation.id)
        .where(EvalConversation.run_id == run_id)
        .group_by(EvalJudgment.conversation_id)
    )
    return {conversation_id: n for conversation_id, n in rows}


def _conversations(session: Session, run_id: str) -> list[EvalConversation]:
    return list(
        session.scalars(
            select(EvalConversation)
            .where(EvalConversation.run_id == run_id)
            .order_by(EvalConversation.item)
        )
    )


def retry_evaluation(*, session: Session, run_id: str) -> EvalRun:
    """A judge_only job over the stored transcripts that lack their judgments (the judge failed
    or never ran); the attempts stored already are kept. 404 unknown run, 409 while it is
    active or when every transcript is judged, 400 when no transcript is stored."""
    run, _status = _locked_idle_run(session, run_id)
    rows = _conversations(session, run.id)
    with_transcript = [c for c in rows if c.ended_reason is not None]
    if not with_transcript:
        raise BadRequestError(f"Run {run_id} has no stored transcript to judge.")
    counts = _judgment_counts(session, run.id)
    todo = [c for c in with_transcript if counts.get(c.id, 0) < run.judge_repeats]
    if not todo:
        raise ConflictError(
            f"Every transcript of run {run_id} is judged already; nothing to retry.",
            code="nothing_to_retry",
        )
    session.execute(
        update(EvalConversation)
        .where(EvalConversation.id.in_([c.id for c in todo]))
        .values(status=SIMULATED, error=None)
    )
    job_id = _begin_job(session, run, phase=JUDGE_ONLY, items=[c.item for c in todo])
    run.error = None
    session.commit()
    return _dispatch(session, run, job_id)


def resume_run(*, session: Session, run_id: str) -> EvalRun:
    """A run that stopped short continues in a new job over the conversations not yet judged:
    a failed run (its job crashed or was swept as stale), or a completed one with failed
    conversations (a model that kept failing, a conversation cut off by the invocation's
    deadline). Finished conversations are never redone, one cut off mid-simulation starts over,
    one whose judging failed is judged again. 404 unknown run; 409 while it is active, or when
    every conversation is judged already."""
    run, status = _locked_idle_run(session, run_id)
    if status not in (JobStatus.FAILED, JobStatus.COMPLETED):
        raise ConflictError(
            f"Run {run_id} is {status or 'not started'}; only a finished run can be resumed.",
            code="run_not_resumable",
        )
    counts = _judgment_counts(session, run.id)
    todo = [
        c.item
        for c in _conversations(session, run.id)
        if not (c.status == JUDGED and counts.get(c.id, 0) >= run.judge_repeats)
    ]
    if not todo:
        raise ConflictError(
            f"Every conversation of run {run_id} is judged already; nothing to resume.",
            code="nothing_to_resume",
        )
    phase = JUDGE_ONLY if run.source == SOURCE_EXISTING_SESSION else SIMULATE_AND_JUDGE
    job_id = _begin_job(session, run, phase=phase, items=todo)
    run.error = None
    session.commit()
    return _dispatch(session, run, job_id)
