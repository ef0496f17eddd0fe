"""The deterministic rules the tutor's code owns (no model, no database)."""

from __future__ import annotations

import pytest

from tutor.agents.exam_agent import difficulty_mix
from tutor.models.state import ExamQuestion, SessionState, verdict_for
from tutor.orchestration.exam import compute_result


@pytest.mark.parametrize(
    ("count", "mix"), [(7, (2, 4, 1)), (10, (3, 5, 2)), (5, (2, 2, 1)), (1, (0, 1, 0))]
)
def test_difficulty_mix_is_about_30_50_20(count, mix):
    assert difficulty_mix(count) == mix
    assert sum(mix) == count


def test_exam_result_arithmetic():
    state = SessionState(mode="exam", guideline_id="g", subject="s", topic="t", subtopic="u")
    marks = [(0.9, "correct"), (0.55, "partial"), (None, None), (0.1, "incorrect")]
    state.questions = [
        ExamQuestion(
            number=i + 1,
            question=f"q{i}",
            difficulty="easy",
            kind="conceptual",
            concept="a" if i < 2 else "b",
            expected_answer="x",
            score=score,
            verdict=v,
        )
        for i, (score, v) in enumerate(marks)
    ]
    result = compute_result(state)
    # 0.9 + 0.55 + 0.1 = 1.55 → 1.6 (one decimal); only the 0.9 counts as correct.
    assert (result.score, result.total, result.answered, result.correct) == (1.6, 4, 3, 1)
    assert result.percentage == 38.8  # from the unrounded sum
    assert result.strengths == [] and result.weak_areas == ["a", "b"]
    assert [r.verdict for r in result.review] == ["correct", "partial", "unanswered", "incorrect"]


@pytest.mark.parametrize(
    ("score", "verdict"),
    [(1.0, "correct"), (0.8, "correct"), (0.79, "partial"), (0.2, "partial"), (0.19, "incorrect")],
)
def test_exam_verdict_follows_the_mark(score, verdict):
    assert verdict_for(score) == verdict


def test_escalation_ladder_climbs_and_caps_then_resets_on_advance():
    from tutor.agents.tutor_agent import TeachTurn
    from tutor.models.state import PlanStep
    from tutor.orchestration import teach

    state = SessionState(
        mode="teach_me",
        guideline_id="g",
        subject="s",
        topic="t",
        subtopic="u",
        plan=[PlanStep(kind="check", concept="a"), PlanStep(kind="practice", concept="b")],
    )
    wrong = TeachTurn(verdict="wrong", misconception="", message="m", skip_ahead=False)
    told = ["guiding question", "hint", "new approach", *["simpler prerequisite"] * 2]
    rungs = []
    for _ in range(5):
        assert teach.strategy_for(state).startswith(told[len(rungs)] + " (")
        result = teach.apply(state=state, turn=wrong)
        rungs += [e.payload["strategy"] for e in result.events if e.node == "Remediate"]
    assert rungs == [
        "guiding_question",
        "hint",
        "new_approach",
        "simpler_prerequisite",
        "simpler_prerequisite",
    ]
    right = TeachTurn(verdict="right", misconception="", message="m", skip_ahead=False)
    result = teach.apply(state=state, turn=right)
    assert (state.step_idx, state.escalation_level, state.mastery) == (1, 0, {"a": 0.8})
    assert [e.node for e in result.events] == ["Check", "Advance", "Present"]


def test_writing_style_follows_the_last_few_student_messages():
    from tutor.agents.context import writing_style
    from tutor.models.state import WITHHELD, Turn

    state = SessionState(mode="teach_me", guideline_id="g", subject="s", topic="t", subtopic="u")
    assert writing_style(state).startswith("not known yet")
    assert writing_style(state, "ok").startswith("short messages (about 1 words)")

    def said(*texts: str) -> None:
        state.conversation = [Turn(role="student", text=t, at="") for t in texts]

    # A flagged message is not the student's style; only the last five messages count.
    said(WITHHELD, *["word " * 40] * 5)
    assert writing_style(state).startswith("long, detailed messages (about 40 words)")
    assert writing_style(state, "one two").startswith("medium-length messages (about 32 words)")
    said(*["word " * 100] * 3, *["hi"] * 5)
    assert writing_style(state).startswith("short messages (about 1 words)")


def test_placeholder_misconceptions_are_not_tracked():
    from tutor.agents.tutor_agent import TeachTurn
    from tutor.models.state import PlanStep
    from tutor.orchestration import teach

    state = SessionState(
        mode="teach_me",
        guideline_id="g",
        subject="s",
        topic="t",
        subtopic="u",
        plan=[PlanStep(kind="check", concept="a")],
    )
    for text in ["None", "no", "N/A.", " ", "Adds denominators."]:
        turn = TeachTurn(verdict="wrong", misconception=text, message="m", skip_ahead=False)
        teach.apply(state=state, turn=turn)
    assert state.misconceptions == {"adds denominators": 1}


def test_turn_and_state_view_rules():
    from tutor.models.state import PlanStep
    from tutor.models.turn_view import current_step, exam_feedback, speakable

    assert speakable("**Question 1:** what is [half](http://x)?\n- `1/2`") == (
        "Question 1: what is half?\n1/2"
    )
    state = SessionState(mode="teach_me", guideline_id="g", subject="s", topic="t", subtopic="u")
    state.plan = [PlanStep(kind="explain", concept="a"), PlanStep(kind="check", concept="b")]
    assert current_step(state) == 1
    state.step_idx = 2  # the plan is done, extra challenge turns still running
    assert current_step(state) == 2
    state.is_complete = True
    assert current_step(state) == 3  # total + 1 once complete
    exam = SessionState(mode="exam", guideline_id="g", subject="s", topic="t", subtopic="u")
    assert current_step(exam) == 1 and exam_feedback(exam) is None
