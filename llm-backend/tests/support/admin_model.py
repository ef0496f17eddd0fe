"""The fake model behind an admin's whole book flow: OCR answers `PAGE-n …` in request order
(one page at a time: set OCR_CONCURRENCY=1), the study plan generator and reviewer answer
fixed plans, and guideline extraction is the synthetic book model (tests.support.guidelines)."""

from __future__ import annotations

import json
import threading

from tests.fakes.llm_server import Reply, request_schema_name
from tests.support.guidelines import BookModel

# (title, type, concept) of the generated plan's steps
PLAN_STEPS = [
    ("Equal parts", "explain", "equal parts"),
    ("Spot the half", "check", "halves"),
    ("Fold a third", "practice", "thirds"),
]


def plan_content() -> dict:
    steps = [
        {
            "title": title,
            "description": f"{title}: goal",
            "teaching_approach": "paper folding",
            "success_criteria": "explains it",
            "type": kind,
            "concepts": [concept],
        }
        for title, kind, concept in PLAN_STEPS
    ]
    meta = {"estimated_minutes": 15, "difficulty": "easy", "theme": "pizza party"}
    return {"reasoning": "why", "steps": steps, "metadata": meta}


class AdminBookModel(BookModel):
    def __init__(self) -> None:
        super().__init__()
        self.ocr_calls = 0
        self.lock = threading.Lock()

    def __call__(self, path: str, body: dict):
        schema = request_schema_name(path, body)
        raw = json.dumps(body)
        if schema is None and ("input_image" in raw or "image_url" in raw):
            with self.lock:
                self.ocr_calls += 1
                return Reply(f"PAGE-{self.ocr_calls} fractions text.")
        if schema == "GeneratedPlan":
            return Reply(plan_content())
        if schema == "PlanReview":
            return Reply({"rating": 5, "approved": True, "feedback": "good"})
        return super().__call__(path, body)
