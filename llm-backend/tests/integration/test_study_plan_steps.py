"""The steps the tutor teaches from, as study_plans reads its stored plans: both stored shapes,
an unreadable plan and no plan, for many guidelines in one statement."""

from __future__ import annotations

from sqlalchemy import event

from database import session_scope
from study_plans.models import plan_format
from study_plans.services import plans
from tests.support.study_plans import pending_guideline


def _read(steps: list[plan_format.TeachingStep]) -> list[tuple[str, str, str]]:
    return [(s.kind, s.concept, s.goal) for s in steps]


def test_steps_of_many_guidelines_in_one_statement(db):
    todo, older, garbage, none = (pending_guideline(subtopic_key=k) for k in "abcd")
    todo_list = {"todo_list": [plan_format.step(1, {"title": "Halves", "type": "check"})]}
    older_steps = {"steps": [{"type": "practice", "concept": "folding", "goal": "fold it"}]}
    with session_scope() as session:
        plans.store(
            session=session,
            guideline_id=todo,
            plan=todo_list,
            generator_model="m",
            status="generated",
        )
        plans.store(
            session=session,
            guideline_id=older,
            plan=older_steps,
            generator_model="m",
            status="approved",
        )
        plans.store(
            session=session,
            guideline_id=garbage,
            plan={"steps": "x"},
            generator_model="m",
            status="x",
        )

    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(db, "before_cursor_execute", record)
    try:
        with session_scope() as session:
            many = plans.steps_for_many(session=session, guideline_ids=[todo, older, garbage, none])
    finally:
        event.remove(db, "before_cursor_execute", record)

    assert len([s for s in statements if "FROM study_plans" in s]) == 1
    assert {gid: _read(steps) for gid, steps in many.items()} == {
        todo: [("check", "Halves", "")],
        older: [("practice", "folding", "fold it")],
        garbage: [],
        none: [],
    }
    with session_scope() as session:
        assert _read(plans.steps_for(session=session, guideline_id=older)) == [
            ("practice", "folding", "fold it")
        ]
        assert plans.steps_for(session=session, guideline_id=none) == []
        assert plans.steps_for_many(session=session, guideline_ids=[]) == {}
