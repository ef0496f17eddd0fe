"""Study plan test support: a guideline row awaiting review to plan for, and the model's
generate and review replies (by schema name)."""

from __future__ import annotations

from database import session_scope
from shared.models.entities import TeachingGuideline
from tests.fakes.llm_server import Reply


def pending_guideline(**kw) -> str:
    """A `pending_review` guideline of grade 5 Mathematics (halves); `kw` overrides columns.
    Its id."""
    values = {
        "country": "India",
        "board": "CBSE",
        "grade": 5,
        "subject": "Mathematics",
        "topic_key": "fractions",
        "topic_title": "Fractions",
        "subtopic_key": "halves",
        "subtopic_title": "Halves",
        "subtopic_summary": "Halves of shapes.",
        "guideline": "Teach halves with paper folding.",
        "source_page_start": 1,
        "source_page_end": 2,
        "status": "pending_review",
        **kw,
    }
    with session_scope() as session:
        row = TeachingGuideline(**values)
        session.add(row)
        session.flush()
        return row.id


def _step(title: str, kind: str) -> dict:
    return {
        "title": title,
        "description": f"{title} description",
        "teaching_approach": "fold paper",
        "success_criteria": "names the half",
        "type": kind,
        "concepts": [title.lower()],
    }


def plan_reply(tag: str) -> Reply:
    """A three-step plan whose texts carry `tag`."""
    steps = [_step(f"{tag} one", "explain"), _step(f"{tag} two", "check"),
             _step(f"{tag} three", "practice")]  # fmt: skip
    content = {
        "reasoning": f"{tag} reasoning",
        "steps": steps,
        "metadata": {"estimated_minutes": 20, "difficulty": "easy", "theme": "pizza"},
    }
    return Reply(content, for_schema="GeneratedPlan")


def review_reply(approved: bool, feedback: str = "fine", rating: int = 4) -> Reply:
    content = {"rating": rating, "approved": approved, "feedback": feedback}
    return Reply(content, for_schema="PlanReview")
