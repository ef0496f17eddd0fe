"""The tutor: thin wrappers around complete() whose Pydantic outputs carry the model's
pedagogical judgement (verdicts, text, misconception names); the orchestration turns those
into numbers and state changes."""

from __future__ import annotations

from pydantic import BaseModel, Field

from shared.llm import complete
from tutor.agents.context import TEMPERATURE, TutorContext, messages, prompt
from tutor.models.state import PlanStep, SessionState, Verdict

COMPONENT = "tutor"


class TutorMessage(BaseModel):
    message: str = Field(description="What the tutor says to the student")


class TeachTurn(BaseModel):
    verdict: Verdict
    misconception: str = Field(description="Short name of the misconception, or empty")
    message: str
    skip_ahead: bool


class ClarifyTurn(BaseModel):
    message: str
    concepts: list[str]
    student_is_done: bool
    asked_check_question: bool


def welcome_teach(*, state: SessionState, ctx: TutorContext) -> TutorMessage:
    step = state.plan[0]
    instructions = prompt(
        "welcome_teach", step_kind=step.kind, concept=step.concept, goal=step.goal or step.concept
    )
    return complete(
        component=COMPONENT,
        messages=messages(state, ctx, instructions),
        output=TutorMessage,
        temperature=TEMPERATURE,
        session_id=ctx.session_id,
    )


def welcome_clarify(*, state: SessionState, ctx: TutorContext) -> TutorMessage:
    return complete(
        component=COMPONENT,
        messages=messages(state, ctx, prompt("welcome_clarify")),
        output=TutorMessage,
        temperature=TEMPERATURE,
        session_id=ctx.session_id,
    )


def _describe(step: PlanStep | None) -> str:
    if step is None:
        return "none: this is the last step; after it, wrap up with a short recap."
    return f'{step.kind} on "{step.concept}": {step.goal or step.concept}'


def teach_turn(
    *,
    state: SessionState,
    ctx: TutorContext,
    message: str,
    strategy: str,
    misconceptions: str = "none so far",
    extra: str = "",
) -> TeachTurn:
    step = state.current_step or state.plan[-1]
    nxt = state.plan[state.step_idx + 1] if state.step_idx + 1 < len(state.plan) else None
    instructions = prompt(
        "teach_turn",
        step_number=min(state.step_idx + 1, len(state.plan)),
        step_total=len(state.plan),
        step_kind=step.kind,
        concept=step.concept,
        goal=step.goal or step.concept,
        next_step=_describe(nxt),
        strategy=strategy,
        misconceptions=misconceptions,
        extra=extra,
    )
    return complete(
        component=COMPONENT,
        messages=messages(state, ctx, instructions, message),
        output=TeachTurn,
        temperature=TEMPERATURE,
        session_id=ctx.session_id,
    )


def clarify_turn(*, state: SessionState, ctx: TutorContext, message: str) -> ClarifyTurn:
    check_rule = (
        "You have already checked understanding once; do not ask a check question again."
        if state.check_used
        else "You may end with one short question checking understanding, once per session."
    )
    return complete(
        component=COMPONENT,
        messages=messages(state, ctx, prompt("clarify_turn", check_rule=check_rule), message),
        output=ClarifyTurn,
        temperature=TEMPERATURE,
        session_id=ctx.session_id,
    )
