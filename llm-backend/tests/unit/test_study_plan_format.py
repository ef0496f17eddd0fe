"""The stored study plan is the frontend's `{todo_list, metadata}`, and the tutor teaches from
its steps as `plan_format.teaching_steps` reads them."""

from __future__ import annotations

import json

from study_plans.models import plan_format
from study_plans.services.generator import GeneratedPlan


def _generated() -> GeneratedPlan:
    step = {
        "description": "goal",
        "teaching_approach": "fold paper",
        "success_criteria": "names it",
    }
    return GeneratedPlan.model_validate(
        {
            "reasoning": "why",
            "steps": [
                {**step, "title": "Halves", "type": "explain", "concepts": ["halves", "parts"]},
                {**step, "title": "Check halves", "type": "check", "concepts": []},
                {**step, "title": "Fold", "type": "practice", "concepts": ["folding"]},
            ],
            "metadata": {"estimated_minutes": 12, "difficulty": "easy", "theme": None},
        }
    )


def test_the_generated_plan_is_stored_in_the_frontend_shape():
    plan = _generated().plan()

    assert [(s["step_id"], s["title"], s["status"]) for s in plan["todo_list"]] == [
        ("step_1", "Halves", "pending"),
        ("step_2", "Check halves", "pending"),
        ("step_3", "Fold", "pending"),
    ]
    assert plan["metadata"] == {
        "plan_version": 1,
        "estimated_duration_minutes": 12,
        "difficulty_level": "easy",
        "is_generic": True,
    }  # no theme: no creative_theme key


def test_the_tutor_reads_the_stored_todo_list():
    steps = plan_format.teaching_steps(json.dumps(_generated().plan()))

    # The first concept is what mastery is keyed on; a step without concepts uses its title.
    assert [(s.kind, s.concept, s.goal) for s in steps] == [
        ("explain", "halves", "goal"),
        ("check", "Check halves", "goal"),
        ("practice", "folding", "goal"),
    ]


def test_an_upstream_todo_list_reads_as_explain_steps_on_their_titles():
    plan = {"todo_list": [{"step_id": "step_1", "title": "Count to ten", "description": "d"}]}

    assert [(s.kind, s.concept, s.goal) for s in plan_format.teaching_steps(json.dumps(plan))] == [
        ("explain", "Count to ten", "d")
    ]


def test_an_older_stored_plan_is_read_in_the_frontend_shape():
    older = {
        "steps": [{"type": "check", "concept": "halves", "goal": "spot a half"}],
        "metadata": {"estimated_minutes": 20, "difficulty": "medium", "theme": "pizza"},
    }

    read = plan_format.to_contract(older, version=3)

    assert read["todo_list"] == [
        {
            "step_id": "step_1",
            "title": "halves",
            "description": "spot a half",
            "teaching_approach": "",
            "success_criteria": "",
            "status": "pending",
            "type": "check",
            "concepts": ["halves"],
            "concept": "halves",
        }
    ]
    assert read["metadata"] == {
        "plan_version": 3,
        "estimated_duration_minutes": 20,
        "difficulty_level": "medium",
        "is_generic": True,
        "creative_theme": "pizza",
    }


def test_teaching_steps_read_both_stored_shapes_and_reject_garbage():
    plan = plan_format.teaching_steps(
        '{"steps": [{"type": "Check", "title": "A", "description": "d"}]}'
    )
    assert [(s.kind, s.concept, s.goal) for s in plan] == [("check", "A", "d")]
    # An unknown kind is taught as an explanation; a step naming nothing is not taught.
    plan = plan_format.teaching_steps(
        '{"steps": [{"kind": "quiz", "concept": "B"}, {"kind": "explain"}]}'
    )
    assert [(s.kind, s.concept) for s in plan] == [("explain", "B")]
    assert plan_format.teaching_steps("not json") == []
    assert plan_format.teaching_steps('{"steps": "x"}') == []
    # A bare list of steps is no stored shape (nothing writes one): no steps, the default plan.
    assert plan_format.teaching_steps('[{"kind": "quiz", "concept": "B"}]') == []
