"""teach_me: follow the study plan. The model judges answers and writes; this module owns the
numbers (mastery, coverage, escalation, advancement) so they are testable and stable."""

from __future__ import annotations

from tutor.agents import tutor_agent
from tutor.agents.context import TutorContext
from tutor.agents.tutor_agent import TeachTurn
from tutor.models.state import ESCALATION, MASTERY_BY_VERDICT, SessionState
from tutor.orchestration.common import EventDraft, TurnResult, log

# A student averaging this mastery when the plan ends may go on for a few extra turns.
STRONG_MASTERY = 0.9
MAX_EXTRA_TURNS = 3
RECURRING = 2  # a misconception seen this often is named and tracked as recurring
# What models (small local ones especially) write in `misconception` when there is none.
NO_MISCONCEPTION = {"none", "no", "n/a", "na", "-", "nothing", "null", "no misconception"}
# Which verdicts finish a step: explain steps only need the student to follow along.
ADVANCES = {
    "explain": {"partial", "right", "right_with_reasoning"},
    "check": {"right", "right_with_reasoning"},
    "practice": {"right", "right_with_reasoning"},
}


def opening(*, state: SessionState, ctx: TutorContext) -> TurnResult:
    reply = tutor_agent.welcome_teach(state=state, ctx=ctx).message
    step = state.plan[0]
    _reach(state, step.concept)
    log(state, "tutor", reply)
    event = EventDraft(
        "Present", 0, {"action": "present_step", "kind": step.kind, "concept": step.concept}
    )
    return TurnResult(state, reply, [event])


# What each rung of the ladder asks of the tutor (issue 5: guiding question → hint → direct
# explanation with a new approach → step back to a simpler prerequisite).
STRATEGIES = {
    "guiding_question": "ask one guiding question that points at the mistake; do not give "
    "the answer away",
    "hint": "give one concrete hint, still without giving the answer away",
    "new_approach": "explain it directly now, with a different approach than before (a "
    "picture, an everyday example), then ask a similar question",
    "simpler_prerequisite": "step back to a simpler prerequisite idea this step builds on, "
    "check it with an easy question, then build back up",
}


def strategy_for(state: SessionState) -> str:
    """What the tutor should do if this answer is wrong: the next rung of the ladder."""
    rung = ESCALATION[min(state.escalation_level, len(ESCALATION) - 1)]
    return f"{rung.replace('_', ' ')} ({STRATEGIES[rung]})"


def known_misconceptions(state: SessionState) -> str:
    """Misconceptions seen so far, so the tutor can name one when it comes back."""
    if not state.misconceptions:
        return "none so far"
    return "; ".join(
        f'"{name}" ({count} time{"s" if count > 1 else ""}'
        f"{', recurring' if count >= RECURRING else ''})"
        for name, count in state.misconceptions.items()
    )


def draft(*, state: SessionState, ctx: TutorContext, message: str) -> TeachTurn:
    extra = ""
    if state.current_step is None:
        extra = "The plan is complete; give a harder challenge problem on this subtopic."
    return tutor_agent.teach_turn(
        state=state,
        ctx=ctx,
        message=message,
        strategy=strategy_for(state),
        misconceptions=known_misconceptions(state),
        extra=extra,
    )


def apply(*, state: SessionState, turn: TeachTurn) -> TurnResult:
    events: list[EventDraft] = []
    idx = state.step_idx
    step = state.current_step or state.plan[-1]
    if turn.verdict != "none":
        state.mastery[step.concept] = MASTERY_BY_VERDICT[turn.verdict]
        events.append(
            EventDraft(
                "Check",
                idx,
                {
                    "verdict": turn.verdict,
                    "concept": step.concept,
                    "mastery": state.mastery[step.concept],
                },
            )
        )
    name = turn.misconception.strip().strip(".").lower()
    if name and name not in NO_MISCONCEPTION:
        state.misconceptions[name] = state.misconceptions.get(name, 0) + 1
        count = state.misconceptions[name]
        events.append(
            EventDraft(
                "Diagnose",
                idx,
                {"misconception": name, "times_seen": count, "recurring": count >= RECURRING},
            )
        )
    if turn.verdict == "wrong":
        rung = min(state.escalation_level, len(ESCALATION) - 1)
        state.escalation_level += 1
        events.append(
            EventDraft(
                "Remediate",
                idx,
                {"strategy": ESCALATION[rung], "wrong_in_a_row": state.escalation_level},
            )
        )
    elif state.current_step is not None and turn.verdict in ADVANCES[step.kind]:
        events.extend(_advance(state, turn))
    elif state.current_step is None:
        state.extra_turns += 1
    if turn.verdict == "none" and not events:
        events.append(EventDraft("Present", idx, {"action": "respond", "reason": "no answer"}))
    _maybe_finish(state, events)
    return TurnResult(state, turn.message, events)


def _advance(state: SessionState, turn: TeachTurn) -> list[EventDraft]:
    start = state.step_idx
    # Skipping needs strong evidence (reasoning shown) and a step left to skip to.
    skip = (
        turn.skip_ahead and turn.verdict == "right_with_reasoning" and start + 2 < len(state.plan)
    )
    state.step_idx = start + (2 if skip else 1)
    state.escalation_level = 0
    events = [EventDraft("Advance", start, {"from": start, "to": state.step_idx, "skipped": skip})]
    if skip:
        # The skipped step's concept counts as reached: the student showed it.
        _reach(state, state.plan[start + 1].concept)
    if state.current_step is not None:
        nxt = state.current_step
        _reach(state, nxt.concept)
        events.append(
            EventDraft(
                "Present",
                state.step_idx,
                {"action": "present_step", "kind": nxt.kind, "concept": nxt.concept},
            )
        )
    return events


def _maybe_finish(state: SessionState, events: list[EventDraft]) -> None:
    if state.current_step is not None:
        return
    strong = state.overall_mastery >= STRONG_MASTERY
    if strong and state.extra_turns < MAX_EXTRA_TURNS:
        return
    state.is_complete = True
    events.append(
        EventDraft(
            "Advance",
            min(state.step_idx, len(state.plan)),
            {"completed": True, "coverage": state.coverage, "extra_turns": state.extra_turns},
        )
    )


def _reach(state: SessionState, concept: str) -> None:
    if concept not in state.concepts_reached:
        state.concepts_reached.append(concept)
