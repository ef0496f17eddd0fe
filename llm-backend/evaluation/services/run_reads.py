"""Reading runs: the status banner, the list, one run with its statistics, one conversation.

A run's state is its current job's (`book_jobs`), so a run whose worker died is swept as stale
when it is read (its job by id: evaluation jobs belong to no book) and then reads as failed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from evaluation.models.job_detail import EvaluationDetail
from evaluation.models.judgment import DIMENSIONS
from evaluation.models.persona import load_personas
from evaluation.models.reads import (
    ConversationDetail,
    ConversationSummary,
    JobState,
    JudgmentRead,
    PersonaStats,
    RunDetail,
    RunState,
    RunStats,
    RunStatus,
    RunSummary,
)
from evaluation.models.tables import (
    FAILED,
    JUDGED,
    RUNNING,
    EvalConversation,
    EvalJudgment,
    EvalRun,
)
from evaluation.models.transcript import Message
from evaluation.services.stats import Interval, judge_noise, mean_ci
from shared.errors import NotFoundError
from shared.jobs import lifecycle
from shared.jobs.detail import JobDetail
from shared.jobs.models import BookJob
from shared.models.enums import ACTIVE_JOB_STATUSES, JobStatus

IDLE = RunStatus(status="idle", run_id=None, detail="", turn=0, max_turns=0, error=None)


def get_run_row(session: Session, run_id: str, *, lock: bool = False) -> EvalRun:
    run = session.get(EvalRun, run_id, with_for_update=lock or None)
    if run is None:
        raise NotFoundError(f"Run not found: {run_id}", code="run_not_found")
    return run


def jobs_of(session: Session, runs: Sequence[EvalRun]) -> dict[str, BookJob]:
    """The runs' current jobs, after sweeping any that went stale (by id), in the caller's
    transaction: the caller commits (a reader at its end, a start with its new job)."""
    ids = [r.job_id for r in runs if r.job_id]
    if not ids:
        return {}
    jobs = {j.id: j for j in session.scalars(select(BookJob).where(BookJob.id.in_(ids)))}
    active = [j.id for j in jobs.values() if j.status in ACTIVE_JOB_STATUSES]
    for job_id in active:
        for swept in lifecycle.sweep_stale(session, job_id=job_id):
            session.refresh(jobs[swept])
    return jobs


def run_state(job: BookJob | None, conversations: Iterable[EvalConversation]) -> RunState:
    if job is None or job.status == JobStatus.FAILED:
        return "failed"
    if job.status == JobStatus.PENDING:
        return "loading_persona"
    if job.status == JobStatus.COMPLETED:
        return "complete"
    simulating = any(c.status == RUNNING for c in conversations)
    return "running_session" if simulating else "evaluating"


def _turn(messages: list[dict]) -> int:
    return int(messages[-1].get("turn", 0)) if messages else 0


def _mean(values: Sequence[float]) -> float:
    return round(sum(values) / len(values), 2)


def _persona_names() -> dict[str, str]:
    return {pid: p.name for pid, p in load_personas().items()}


def _summarize(
    row: EvalConversation, judgments: list[EvalJudgment], names: dict[str, str]
) -> ConversationSummary:
    scores = {d: _mean([j.scores[d] for j in judgments]) for d in DIMENSIONS} if judgments else {}
    return ConversationSummary(
        item=row.item,
        persona_id=row.persona_id,
        persona_name=names.get(row.persona_id) if row.persona_id else None,
        repeat=row.repeat,
        seed=row.seed,
        status=row.status,
        session_id=row.session_id,
        message_count=len(row.messages),
        turn=_turn(row.messages),
        ended_reason=row.ended_reason,
        error=row.error,
        # Judged means all k judgments are in; partial attempts do not make a sample.
        avg_score=_mean([j.avg_score for j in judgments]) if row.status == JUDGED else None,
        scores=scores if row.status == JUDGED else {},
        judgments=len(judgments),
        updated_at=row.updated_at,
    )


def _interval(values: list[float]) -> Interval | None:
    return mean_ci(values) if values else None


def _stats(conversations: list[ConversationSummary], groups: list[list[float]]) -> RunStats:
    judged = [c for c in conversations if c.avg_score is not None]
    by_persona: dict[str, list[ConversationSummary]] = defaultdict(list)
    for c in judged:
        if c.persona_id is not None:
            by_persona[c.persona_id].append(c)

    def dims(items: list[ConversationSummary]) -> dict[str, Interval]:
        return {d: mean_ci([c.scores[d] for c in items]) for d in DIMENSIONS} if items else {}

    return RunStats(
        overall=_interval([c.avg_score for c in judged if c.avg_score is not None]),
        per_dimension=dims(judged),
        per_persona={
            pid: PersonaStats(
                overall=mean_ci([c.avg_score for c in items if c.avg_score is not None]),
                per_dimension=dims(items),
            )
            for pid, items in by_persona.items()
        },
        judge_noise=judge_noise(groups),
    )


def _load(
    session: Session, runs: Sequence[EvalRun]
) -> tuple[dict[str, list[EvalConversation]], dict[str, list[EvalJudgment]]]:
    ids = [r.id for r in runs]
    conversations: dict[str, list[EvalConversation]] = defaultdict(list)
    judgments: dict[str, list[EvalJudgment]] = defaultdict(list)
    if not ids:
        return conversations, judgments
    rows = session.scalars(
        select(EvalConversation)
        .where(EvalConversation.run_id.in_(ids))
        .order_by(EvalConversation.run_id, EvalConversation.item)
    )
    for row in rows:
        conversations[row.run_id].append(row)
    stored = session.scalars(
        select(EvalJudgment)
        .join(EvalConversation, EvalJudgment.conversation_id == EvalConversation.id)
        .where(EvalConversation.run_id.in_(ids))
        .order_by(EvalJudgment.conversation_id, EvalJudgment.attempt)
    )
    for judgment in stored:
        judgments[judgment.conversation_id].append(judgment)
    return conversations, judgments


def _summary(
    run: EvalRun, job: BookJob | None, summaries: list[ConversationSummary], state: RunState
) -> RunSummary:
    judged = [c for c in summaries if c.avg_score is not None]
    overall = _interval([c.avg_score for c in judged if c.avg_score is not None])
    return RunSummary(
        run_id=run.id,
        created_at=run.created_at,
        created_by=run.created_by,
        source=run.source,
        guideline_id=run.guideline_id,
        topic_name=run.topic_name,
        source_session_id=run.source_session_id,
        mode=run.mode,
        max_turns=run.max_turns,
        persona_ids=list(run.persona_ids),
        repeats=run.repeats,
        judge_repeats=run.judge_repeats,
        seed=run.seed,
        status=state,
        n_conversations=len(summaries),
        n_judged=len(judged),
        n_failed=sum(1 for c in summaries if c.status == FAILED),
        message_count=summaries[0].message_count if summaries else 0,
        avg_score=round(overall.mean, 2) if overall else None,
        scores={d: _mean([c.scores[d] for c in judged]) for d in DIMENSIONS} if judged else {},
        overall=overall,
        error=(job.error_message if job is not None else run.error) if state == "failed" else None,
    )


def _job_state(job: BookJob | None) -> JobState | None:
    if job is None:
        return None
    detail = (job.progress_detail or JobDetail()).as_type(EvaluationDetail)
    return JobState(
        job_id=job.id,
        status=job.status,
        phase=detail.phase,
        total_items=job.total_items or 0,
        completed_items=job.completed_items,
        failed_items=job.failed_items,
        error=job.error_message,
    )


def _judgment_read(j: EvalJudgment) -> JudgmentRead:
    return JudgmentRead(
        attempt=j.attempt,
        scores=dict(j.scores),
        dimension_analysis=dict(j.dimension_analysis),
        problems=list(j.problems),
        summary=j.summary,
        avg_score=j.avg_score,
        created_at=j.created_at,
    )


def _newest_first(session: Session) -> list[EvalRun]:
    return list(session.scalars(select(EvalRun).order_by(EvalRun.created_at.desc(), EvalRun.id)))


def list_runs(*, session: Session) -> list[RunSummary]:
    """Every run, newest first."""
    runs = _newest_first(session)
    jobs = jobs_of(session, runs)
    conversations, judgments = _load(session, runs)
    names = _persona_names()
    result = []
    for run in runs:
        rows = conversations[run.id]
        summaries = [_summarize(c, judgments[c.id], names) for c in rows]
        job = jobs.get(run.job_id or "")
        result.append(_summary(run, job, summaries, run_state(job, rows)))
    session.commit()  # keeps the sweep of stale jobs
    return result


def get_run(*, session: Session, run_id: str) -> RunDetail:
    """NotFoundError "Run not found: <id>"."""
    run = get_run_row(session, run_id)
    job = jobs_of(session, [run]).get(run.job_id or "")
    conversations, judgments = _load(session, [run])
    rows = conversations[run.id]
    names = _persona_names()
    summaries = [_summarize(c, judgments[c.id], names) for c in rows]
    first_judged = next((c for c in rows if c.status == JUDGED and judgments[c.id]), None)
    session.commit()  # keeps the sweep of a stale job
    return RunDetail(
        summary=_summary(run, job, summaries, run_state(job, rows)),
        config=dict(run.config),
        job=_job_state(job),
        job_ids=list(run.job_ids),
        conversations=summaries,
        stats=_stats(summaries, [[j.avg_score for j in judgments[c.id]] for c in rows]),
        messages=[Message.model_validate(m) for m in rows[0].messages] if rows else [],
        evaluation=_judgment_read(judgments[first_judged.id][0]) if first_judged else None,
    )


def get_conversation(*, session: Session, run_id: str, item: int) -> ConversationDetail:
    """One conversation's transcript, draws and judgments; NotFoundError for an unknown run
    or item."""
    run = get_run_row(session, run_id)
    row = session.scalars(
        select(EvalConversation).where(
            EvalConversation.run_id == run.id, EvalConversation.item == item
        )
    ).first()
    if row is None:
        raise NotFoundError(
            f"Conversation {item} not found in run {run_id}", code="conversation_not_found"
        )
    stored = list(
        session.scalars(
            select(EvalJudgment)
            .where(EvalJudgment.conversation_id == row.id)
            .order_by(EvalJudgment.attempt)
        )
    )
    return ConversationDetail(
        summary=_summarize(row, stored, _persona_names()),
        messages=[Message.model_validate(m) for m in row.messages],
        decisions=list(row.decisions),
        judgments=[_judgment_read(j) for j in stored],
    )


def current_status(*, session: Session) -> RunStatus:
    """The newest run whose job is active; else the newest run's end state; else idle."""
    runs = _newest_first(session)
    if not runs:
        return IDLE
    jobs = jobs_of(session, runs)

    def active(run: EvalRun) -> bool:
        job = jobs.get(run.job_id or "")
        return job is not None and job.status in ACTIVE_JOB_STATUSES

    run = next((r for r in runs if active(r)), runs[0])
    status = _status(session, run, jobs.get(run.job_id or ""))
    session.commit()  # keeps the sweep of stale jobs
    return status


def _status(session: Session, run: EvalRun, job: BookJob | None) -> RunStatus:
    rows = list(
        session.scalars(
            select(EvalConversation)
            .where(EvalConversation.run_id == run.id)
            .order_by(EvalConversation.item)
        )
    )
    state = run_state(job, rows)
    total = len(rows)
    names = _persona_names()
    running = sorted(
        (c for c in rows if c.status == RUNNING), key=lambda c: c.updated_at, reverse=True
    )
    turn = _turn(running[0].messages) if running and state == "running_session" else 0
    if state == "loading_persona":
        detail = "Initializing..."
    elif state == "running_session":
        c = running[0]
        who = f"{names.get(c.persona_id or '', c.persona_id)} #{c.repeat}"
        detail = f"Conversation {c.item} of {total} ({who}): turn {turn}/{run.max_turns}"
    elif state == "evaluating":
        detail = f"Judging: {sum(1 for c in rows if c.status == JUDGED)} of {total} judged"
    else:
        judged = sum(1 for c in rows if c.status == JUDGED)
        failed = sum(1 for c in rows if c.status == FAILED)
        detail = f"{judged} of {total} conversations judged" + (
            f", {failed} failed" if failed else ""
        )
    error = (job.error_message if job is not None else run.error) if state == "failed" else None
    return RunStatus(
        status=state,
        run_id=run.id,
        detail=detail,
        turn=turn,
        max_turns=run.max_turns,
        error=error,
    )
