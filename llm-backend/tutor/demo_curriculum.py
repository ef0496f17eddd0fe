"""A small approved curriculum so a fresh local install can start a session at once.

    python db.py --seed-demo    (scripts/serve.sh runs it after migrating)

It does nothing when any approved guideline exists, so it never mixes with real curriculum
and running it twice changes nothing.
"""

from __future__ import annotations

from sqlalchemy import func, select

from database import session_scope
from shared.models.base import utcnow
from shared.models.entities import Content, TeachingGuideline
from shared.models.enums import GuidelineStatus, ReviewStatus
from study_plans.services import plans

COMMON = {
    "country": "India",
    "board": "CBSE",
    "grade": 5,
    "subject": "Mathematics",
    "topic": "Fractions",
    "topic_key": "fractions",
    "topic_title": "Fractions",
    "topic_summary": "What fractions mean, how to compare them, and how to add them.",
    "status": GuidelineStatus.APPROVED,
    "review_status": ReviewStatus.APPROVED,
    "reviewed_by": "demo-seed",
}

SUBTOPICS = [
    {
        "subtopic_key": "equivalent-fractions",
        "subtopic_title": "Equivalent fractions",
        "subtopic_summary": "Fractions that name the same amount, found by multiplying or "
        "dividing the numerator and denominator by the same number.",
        "guideline": (
            "Start from a picture: half of a pizza is the same as two quarters. Show that "
            "multiplying the numerator and the denominator by the same number gives an "
            "equivalent fraction (1/2 = 2/4 = 3/6), and dividing both by a common factor "
            "simplifies it. Common misconception: adding the same number to the numerator and "
            "denominator (1/2 -> 2/3). Check with fraction strips or a number line."
        ),
        "plan": [
            ("explain", "what equivalent fractions are", "Use pizza slices: 1/2 = 2/4"),
            ("check", "what equivalent fractions are", "Is 3/6 the same as 1/2? Why?"),
            ("explain", "making equivalent fractions", "Multiply top and bottom by one number"),
            ("practice", "making equivalent fractions", "Write two fractions equal to 2/3"),
        ],
    },
    {
        "subtopic_key": "adding-like-fractions",
        "subtopic_title": "Adding fractions with the same denominator",
        "subtopic_summary": "Add the numerators and keep the denominator when the pieces are "
        "the same size.",
        "guideline": (
            "Pieces of the same size can be counted: 2 eighths plus 3 eighths is 5 eighths. "
            "Add the numerators, keep the denominator, then simplify. Common misconception: "
            "adding the denominators too (1/4 + 1/4 = 2/8). Use a chocolate bar or a ruler."
        ),
        "plan": [
            ("explain", "counting same-size pieces", "2 eighths + 3 eighths = 5 eighths"),
            ("check", "counting same-size pieces", "What is 1/5 + 2/5?"),
            ("explain", "simplifying the sum", "2/8 + 2/8 = 4/8 = 1/2"),
            ("practice", "simplifying the sum", "Add 3/10 + 2/10 and simplify"),
        ],
    },
]

EXAMPLES = [
    "A pizza cut into 8 slices: eating 4 slices is eating 4/8, which is the same as 1/2.",
    "A chocolate bar has 10 squares. Ravi eats 3 and Meera eats 2: together 5/10 = 1/2 of it.",
]


def seed_demo() -> str:
    """Returns what it did, as a sentence for the console."""
    with session_scope() as db:
        approved = db.scalar(
            select(func.count())
            .select_from(TeachingGuideline)
            .where(TeachingGuideline.review_status == ReviewStatus.APPROVED)
        )
        if approved:
            return f"Approved curriculum present ({approved} guidelines): demo not added."
        now = utcnow()
        for sub in SUBTOPICS:
            guideline = TeachingGuideline(
                **COMMON,
                subtopic=sub["subtopic_title"],
                subtopic_key=sub["subtopic_key"],
                subtopic_title=sub["subtopic_title"],
                subtopic_summary=sub["subtopic_summary"],
                guideline=sub["guideline"],
                generated_at=now,
                reviewed_at=now,
            )
            db.add(guideline)
            db.flush()
            steps = [{"type": k, "concept": c, "goal": g} for k, c, g in sub["plan"]]
            plans.store(
                session=db,
                guideline_id=guideline.id,
                plan={"steps": steps},
                generator_model="demo-seed",
                status="approved",
            )
        for text in EXAMPLES:
            db.add(Content(topic="Fractions", grade=5, skill="fractions", text=text, tags="demo"))
    return f"Demo curriculum added: grade 5 Mathematics > Fractions ({len(SUBTOPICS)} subtopics)."
