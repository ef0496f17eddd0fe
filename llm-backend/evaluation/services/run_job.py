"""The `evaluation` job: one item per conversation of a run, on the shared job engine.

An item, for conversation `detail.items[item - 1]` of run `detail.run_id`:
- judged `judge_repeats` times already: skipped (counted done). This is why a resumed run
  never repeats a finished conversation, whatever the job's high-water mark says.
- a whole transcript stored (`ended_reason` set), or a judge_only job: judged only, the missing
  attempts (attempt n+1..k after n stored).
- otherwise simulated from the start (a conversation cut off mid-way begins again: its tutor
  session and the seed's draws cannot be picked up half-way), the transcript saved after every
  turn, then judged k times.

Every write an item makes runs under the job's lease (`under_lease`), so a worker that was
swept as stale writes nothing more. A model failure (tutor, simulator, or a judge answer that
broke the schema twice) fails the item, never the job: the conversation is stored `failed`
with the error, the run goes on, and `retry_evaluation` can judge it again. Every model call
carries the job's id, so `llm_calls` attributes it to the run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from config import get_settings
from database import session_scope
from evaluation.agents import judge_agent
from evaluation.agents.judge_agent import TopicContext
from evaluation.models.job_detail import EVALUATION_JOB, JUDGE_ONLY, EvaluationDetail
from evaluation.models.persona import Persona, get_persona
from evaluation.models.tables import (
    FAILED,
    JUDGED,
    RUNNING,
    SIMULATED,
    EvalConversation,
    EvalJudgment,
    EvalRun,
)
from evaluation.models.transcript import Message
from evaluation.services import conversation
from shared.errors import NotFoundError
from shared.jobs.engine import ItemHandler
from shared.jobs.items import ItemOutcome, JobContext, LeaseLostError, error_text, under_lease
from shared.jobs.registry import register
from shared.models.enums import SessionMode

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunInfo:
    """What every item of a run needs, read once per invocation (`setup`)."""

    run_id: str
    guideline_id: str | None
    mode: SessionMode
    max_turns: int
    judge_repeats: int
    topic: TopicContext


@dataclass(frozen=True)
class Stored:
    """A conversation as an item finds it."""

    id: str
    item: int
    persona_id: str | None
    seed: int
    status: str
    messages: list[dict[str, Any]]
    ended_reason: str | None
    attempts: int  # judgments stored


def run_topic(run: EvalRun) -> TopicContext:
    """The judge's topic: the guideline's as it is now; the name and grade the run stored when
    the guideline is no longer approved (the simulation then fails, the judging does not)."""
    if run.guideline_id is not None:
        try:
            return conversation.topic_context(guideline_id=run.guideline_id)
        except NotFoundError:
            pass
    return TopicContext(name=run.topic_name, grade=run.config.get("grade"))


def load_stored(session: Session, *, run_id: str, item: int) -> Stored:
    row = session.scalars(
        select(EvalConversation).where(
            EvalConversation.run_id == run_id, EvalConversation.item == item
        )
    ).one()
    attempts = session.scalar(select(func.count()).where(EvalJudgment.conversation_id == row.id))
    return Stored(
        id=row.id,
        item=row.item,
        persona_id=row.persona_id,
        seed=row.seed,
        status=row.status,
        messages=list(row.messages),
        ended_reason=row.ended_reason,
        attempts=attempts or 0,
    )


def _set(session: Session, conversation_id: str, **values: Any) -> None:
    session.execute(
        update(EvalConversation).where(EvalConversation.id == conversation_id).values(**values)
    )


def _dump(messages: list[Message]) -> list[dict[str, Any]]:
    return [m.model_dump(mode="json") for m in messages]


class EvaluationJob(ItemHandler[EvaluationDetail]):
    job_type = EVALUATION_JOB
    detail_type = EvaluationDetail

    def concurrency(self) -> int:
        return get_settings().eval_concurrency

    def setup(self, ctx: JobContext[EvaluationDetail]) -> None:
        with session_scope() as session:
            run = session.get(EvalRun, ctx.detail.run_id)
            if run is None:
                raise NotFoundError(f"Run not found: {ctx.detail.run_id}")
            ctx.extra["run"] = RunInfo(
                run_id=run.id,
                guideline_id=run.guideline_id,
                mode=SessionMode(run.mode),
                max_turns=run.max_turns,
                judge_repeats=run.judge_repeats,
                topic=run_topic(run),
            )

    def process(self, ctx: JobContext[EvaluationDetail], item: int) -> ItemOutcome:
        run: RunInfo = ctx.extra["run"]
        number = ctx.detail.items[item - 1]
        with session_scope() as session:
            stored = load_stored(session, run_id=run.run_id, item=number)
        note: dict[str, Any] = {"conversation": number, "persona_id": stored.persona_id}
        if stored.status == JUDGED and stored.attempts >= run.judge_repeats:
            return ItemOutcome(note={**note, "status": "skipped"})
        stage = "Simulation"
        try:
            persona = get_persona(stored.persona_id) if stored.persona_id else None
            if stored.ended_reason is not None:
                transcript = [Message.model_validate(m) for m in stored.messages]
            elif ctx.detail.phase == JUDGE_ONLY or persona is None:
                raise ValueError("no stored transcript to judge")
            else:
                transcript = self._simulate(ctx, run, stored, persona)
            stage = "Judge"
            scores = self._judge(ctx, run, stored, transcript, persona)
        except LeaseLostError:
            raise
        except Exception as exc:
            message = f"{stage} failed: {error_text(exc)}"
            logger.warning(
                "evaluation conversation failed",
                extra={"job_id": ctx.job_id, "run_id": run.run_id, "item": number},
            )
            return ItemOutcome(
                error=message,
                commit=partial(_finish, stored.id, FAILED, message),
                note={**note, "status": FAILED},
                error_fields={"conversation": number, "persona_id": stored.persona_id},
            )
        return ItemOutcome(
            commit=partial(_finish, stored.id, JUDGED, None),
            note={**note, "status": JUDGED, "avg_scores": scores},
        )

    def _simulate(
        self, ctx: JobContext[EvaluationDetail], run: RunInfo, stored: Stored, persona: Persona
    ) -> list[Message]:
        with under_lease(ctx) as session:
            _set(
                session,
                stored.id,
                status=RUNNING,
                messages=[],
                decisions=[],
                ended_reason=None,
                error=None,
                session_id=None,
            )

        def on_turn(messages: list[Message]) -> None:
            with under_lease(ctx) as session:
                _set(session, stored.id, messages=_dump(messages))

        if run.guideline_id is None:
            raise ValueError("the run names no guideline to simulate")
        result = conversation.simulate_conversation(
            guideline_id=run.guideline_id,
            persona=persona,
            mode=run.mode,
            max_turns=run.max_turns,
            seed=stored.seed,
            job_id=ctx.job_id,
            on_turn=on_turn,
        )
        with under_lease(ctx) as session:
            _set(
                session,
                stored.id,
                status=SIMULATED,
                messages=_dump(result.messages),
                decisions=result.decisions,
                ended_reason=result.ended_reason,
                session_id=result.session_id,
            )
        return result.messages

    def _judge(
        self,
        ctx: JobContext[EvaluationDetail],
        run: RunInfo,
        stored: Stored,
        transcript: list[Message],
        persona: Persona | None,
    ) -> list[float]:
        """The missing attempts, each saved as soon as it is answered (a crash keeps them)."""
        scores = []
        for attempt in range(stored.attempts + 1, run.judge_repeats + 1):
            judgment = judge_agent.judge(
                transcript=transcript, persona=persona, topic=run.topic, job_id=ctx.job_id
            )
            with under_lease(ctx) as session:
                session.add(
                    EvalJudgment(
                        conversation_id=stored.id,
                        attempt=attempt,
                        scores=judgment.score_map(),
                        dimension_analysis=judgment.dimension_analysis.model_dump(),
                        problems=[p.model_dump(mode="json") for p in judgment.problems],
                        summary=judgment.summary,
                        avg_score=judgment.avg_score(),
                    )
                )
            scores.append(judgment.avg_score())
        return scores


def _finish(conversation_id: str, status: str, error: str | None, session: Session) -> None:
    """The conversation's outcome, in the item's checkpoint (an idempotent UPDATE: the
    checkpoint may run again after a deadlock)."""
    _set(session, conversation_id, status=status, error=error)


run_evaluation = EvaluationJob()
register(EVALUATION_JOB, run_evaluation)
