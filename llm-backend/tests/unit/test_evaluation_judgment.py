"""The judge's output model: bounds, the five dimensions, the average upstream stores."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from evaluation.models.judgment import DIMENSIONS, Judgment


def judgment(scores: list[int], problems: int = 1) -> dict:
    problem = {
        "title": "Ignored the question",
        "turns": [2],
        "description": "The student asked why; the tutor moved on.",
        "quote": "Let's continue.",
        "severity": "major",
        "root_cause": "missed_student_signal",
    }
    return {
        "scores": dict(zip(DIMENSIONS, scores, strict=True)),
        "dimension_analysis": {d: f"about {d}" for d in DIMENSIONS},
        "problems": [problem] * problems,
        "summary": "Fine.",
    }


def test_average_and_map():
    j = Judgment.model_validate(judgment([7, 6, 8, 5, 7]))
    assert j.score_map() == {
        "responsiveness": 7,
        "explanation_quality": 6,
        "emotional_attunement": 8,
        "pacing": 5,
        "authenticity": 7,
    }
    assert j.avg_score() == 6.6
    assert Judgment.model_validate(judgment([7, 7, 7, 8, 8])).avg_score() == 7.4
    assert Judgment.model_validate(judgment([1, 2, 2, 2, 2])).avg_score() == 1.8


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (judgment([0, 6, 8, 5, 7]), "scores.responsiveness"),
        (judgment([7, 6, 8, 11, 7]), "scores.pacing"),
        (judgment([7, 6, 8, 5, 7], problems=6), "problems"),
        ({**judgment([7, 6, 8, 5, 7]), "extra": 1}, "extra"),
    ],
)
def test_out_of_range_is_refused(body, field):
    with pytest.raises(ValidationError) as err:
        Judgment.model_validate(body)
    assert [".".join(map(str, e["loc"])) for e in err.value.errors()] == [field]


def test_root_cause_must_be_from_the_list():
    body = judgment([7, 6, 8, 5, 7])
    body["problems"][0] = {**body["problems"][0], "root_cause": "bad_luck"}
    with pytest.raises(ValidationError):
        Judgment.model_validate(body)
