"""exam: ask N generated questions one by one, mark each without revealing it, and work out
the result (score arithmetic, strengths, weak areas, next steps) deterministically."""

from __future__ import annotations

from shared.llm import LLMOutputError
from tutor.agents import exam_agent
from tutor.agents.context import TutorContext
from tutor.agents.exam_agent import AnswerMark
from tutor.models.state import ExamResult, QuestionReview, SessionState, verdict_for
from tutor.orchestration.common import EventDraft, TurnResult, log


def _ask(state: SessionState) -> str:
    # The frontend's exam flow (contract §2.4.16): the question alone, in this exact form.
    q = state.questions[state.exam_current]
    return f"**Question {q.number}:** {q.question}"


# A paper the model could not write in a usable shape is asked for again, shorter (upstream's
# 7 -> 3): long structured answers are what small or overloaded models get wrong. Provider
# outages and the request budget are not retried here; the LLM layer already did.
FALLBACK_QUESTIONS = 3


def opening(*, state: SessionState, ctx: TutorContext, count: int) -> TurnResult:
    try:
        state.questions = exam_agent.generate(state=state, ctx=ctx, count=count)
    except LLMOutputError:
        if count <= FALLBACK_QUESTIONS:
            raise
        state.questions = exam_agent.generate(state=state, ctx=ctx, count=FALLBACK_QUESTIONS)
    if not state.questions:
        raise LLMOutputError("The tutor model returned an exam without questions; try again.")
    name = f", {state.student.addressed_as}" if state.student.addressed_as else ""
    reply = (
        f"Hi{name}! This is a {len(state.questions)}-question exam on {state.subtopic}. "
        "Answer each question as best you can; you'll see how you did at the end.\n\n" + _ask(state)
    )
    log(state, "tutor", reply)
    mix = [q.difficulty for q in state.questions]
    return TurnResult(state, reply, [EventDraft("Present", 0, {"question": 1, "mix": mix})])


def draft(*, state: SessionState, ctx: TutorContext, message: str) -> AnswerMark:
    return exam_agent.mark(question=state.questions[state.exam_current], answer=message, ctx=ctx)


def apply(*, state: SessionState, mark: AnswerMark, answer: str) -> TurnResult:
    q = state.questions[state.exam_current]
    q.answer, q.score, q.rationale = answer, round(mark.score, 2), mark.rationale
    q.verdict = verdict_for(q.score)
    events = [
        EventDraft(
            "Check",
            state.exam_current,
            {"question": q.number, "verdict": q.verdict, "score": q.score},
        )
    ]
    state.exam_current += 1
    if state.exam_current >= len(state.questions):
        result = finish(state=state, events=events)
        reply = report(state, result)
    else:
        reply = _ask(state)
        events.append(EventDraft("Present", state.exam_current, {"question": q.number + 1}))
    return TurnResult(state, reply, events)


def end_early(*, state: SessionState) -> TurnResult:
    events: list[EventDraft] = []
    result = finish(state=state, events=events, ended_early=True)
    reply = report(state, result)
    log(state, "tutor", reply)
    return TurnResult(state, reply, events)


def report(state: SessionState, result: ExamResult) -> str:
    """The plain-text score report of the last answer (the frontend renders the structured
    feedback instead; this is what the transcript keeps)."""
    lines = [
        "Exam complete!",
        f"Final score: {result.score:.1f}/{result.total} ({result.percentage:.1f}%)",
        "",
    ]
    for q in state.questions:
        mark = f"{q.score:.2f}/1" if q.score is not None else "not answered"
        why = f" - {q.rationale}" if q.rationale else ""
        lines.append(f"Q{q.number}: {mark}{why}")
    return "\n".join(lines)


def finish(
    *, state: SessionState, events: list[EventDraft], ended_early: bool = False
) -> ExamResult:
    result = compute_result(state)
    state.exam_result, state.is_complete = result, True
    events.append(
        EventDraft(
            "Advance",
            min(state.exam_current, len(state.questions)),
            {
                "completed": True,
                "ended_early": ended_early,
                "score": result.score,
                "total": result.total,
            },
        )
    )
    return result


def compute_result(state: SessionState) -> ExamResult:
    """The sum of the fractional marks (unanswered = 0) out of the questions set."""
    total = len(state.questions)
    raw = sum(q.score or 0.0 for q in state.questions)
    by_concept: dict[str, list[str]] = {}
    for q in state.questions:
        by_concept.setdefault(q.concept, []).append(q.verdict or "unanswered")
    strengths = [c for c, v in by_concept.items() if all(x == "correct" for x in v)]
    weak = [c for c, v in by_concept.items() if any(x != "correct" for x in v)]
    unanswered = sum(1 for q in state.questions if q.verdict is None)
    next_steps = [f"Review {c} in a teach_me session." for c in weak]
    if unanswered:
        next_steps.append(f"Answer all questions next time ({unanswered} left unanswered).")
    if not weak:
        next_steps.append("Great work: move on to the next subtopic.")
    review = [
        QuestionReview(
            number=q.number,
            question=q.question,
            your_answer=q.answer,
            verdict=q.verdict or "unanswered",
            score=q.score or 0.0,
            expected_answer=q.expected_answer,
            rationale=q.rationale,
        )
        for q in state.questions
    ]
    return ExamResult(
        score=round(raw, 1),
        total=total,
        percentage=round(raw / total * 100, 1) if total else 0.0,
        answered=total - unanswered,
        correct=sum(1 for q in state.questions if q.verdict == "correct"),
        review=review,
        strengths=strengths,
        weak_areas=weak,
        next_steps=next_steps,
    )
