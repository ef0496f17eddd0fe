"""A synthetic 12-page book and a fake `book_ingestion` model whose replies depend only on the
request (never on call order), so interrupted and uninterrupted runs get the same answers.

Pages 1-3 what-is-a-fraction, 4-5 equivalent-fractions (topic fractions); 6-9 angles, 10-12
triangles (topic geometry). Page texts carry a `PAGE-n` marker; guidelines are `g{n}`.
"""

from __future__ import annotations

import json
import re

from book_ingestion.models.database import BookPage
from book_ingestion.schemas import BookCreate
from book_ingestion.services import book_service, keys
from database import session_scope
from shared.models.base import new_id
from shared.models.entities import TeachingGuideline
from shared.storage import get_blob_store
from tests.fakes.llm_server import Fail, Reply, request_schema_name
from tests.support.books import BOOK

# page -> (action, topic_key, topic_title, subtopic_key, subtopic_title)
PLAN = {
    1: ("new", "fractions", "Fractions", "what-is-a-fraction", "What is a fraction"),
    4: ("new", "fractions", "Fractions", "equivalent-fractions", "Equivalent fractions"),
    6: ("new", "geometry", "Geometry", "angles", "Angles"),
    10: ("new", "geometry", "Geometry", "triangles", "Triangles"),
}
PAGES = 12


def decision_for(page: int) -> dict:
    start = max(p for p in PLAN if p <= page)
    action, topic_key, topic_title, sub_key, sub_title = PLAN[start]
    return {
        "action": action if page == start else "continue",
        "topic_key": topic_key,
        "topic_title": topic_title,
        "subtopic_key": sub_key,
        "subtopic_title": sub_title,
        "guidelines": f"g{page}",
        "reasoning": f"r{page}",
    }


def make_book(pages: int = PAGES, **overrides) -> str:
    """A book whose pages are approved with text `PAGE-n ...`, written straight to storage."""
    book_id = book_service.create_book(
        data=BookCreate(**{**BOOK, **overrides}), created_by="admin-1"
    ).id
    store = get_blob_store()
    with session_scope() as session:
        for n in range(1, pages + 1):
            page_id = new_id()
            key = keys.text_key(book_id, page_id=page_id)
            store.put(key, f"PAGE-{n} body text.".encode(), content_type="text/plain")
            session.add(
                BookPage(
                    id=page_id, book_id=book_id, page_number=n, status="approved", text_s3_key=key
                )
            )
    return book_id


def prompt_of(body: dict) -> str:
    """Every string in the request body, joined (the prompt, whatever the wire format)."""
    parts: list[str] = []

    def walk(value) -> None:
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(body.get("input") or body.get("messages") or [])
    return "\n".join(parts)


def _between(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0].strip()


class BookModel:
    """The responder: `fake_llm.responder = BookModel(...)`. `fail_merge_pages` makes the merge
    of those pages fail (400: not retried); `delay` slows page decisions (kill tests);
    `names` / `duplicates` script finalization."""

    def __init__(
        self,
        *,
        fail_merge_pages: tuple[int, ...] = (),
        fail_decision_pages: tuple[int, ...] = (),
        delay: float = 0.0,
        names: dict | None = None,
        duplicates: list[dict] | None = None,
    ) -> None:
        self.fail_merge_pages = fail_merge_pages
        self.fail_decision_pages = fail_decision_pages
        self.delay = delay
        self.names = names or {}
        self.duplicates = duplicates or []

    def __call__(self, path: str, body: dict):
        schema = request_schema_name(path, body)
        text = prompt_of(body)
        if schema == "PageSummary":
            page = int(re.search(r"PAGE-(\d+)", text).group(1))
            return Reply({"summary": f"s{page}"})
        if schema == "PageDecision":
            page = int(re.search(r"PAGE-(\d+)", text).group(1))
            if page in self.fail_decision_pages:
                return Fail(400, message=f"cannot read page {page}")
            return Reply(decision_for(page), delay=self.delay)
        if schema == "MergedGuidelines":
            page = int(re.search(r"from page (\d+)\)", text).group(1))
            if page in self.fail_merge_pages:
                return Fail(400, message="merge refused")
            existing = _between(text, "EXISTING GUIDELINES:", "NEW GUIDELINES")
            new = text.split("):", 1)[1].strip() if "):" in text else ""
            return Reply({"guidelines": f"{existing} + {new}"})
        if schema == "SubtopicSummaries":
            title = re.search(r'the subtopic "([^"]+)"', text).group(1)
            topic = re.search(r'the whole topic "([^"]+)"', text).group(1)
            return Reply({"subtopic_summary": f"About {title}.", "topic_summary": f"{topic}."})
        if schema == "TopicNames":
            key = re.search(r'\(key "([^"]+)"\)', text).group(1)
            title = re.search(r'The topic "([^"]+)"', text).group(1)
            unchanged = {"topic_key": key, "topic_title": title, "subtopics": []}
            return Reply(self.names.get(key, unchanged))
        if schema == "DuplicateGroups":
            return Reply({"groups": self.duplicates})
        if schema == "TopicSummary":
            title = re.search(r'the topic "([^"]+)"', text).group(1)
            return Reply({"topic_summary": f"Final summary of {title}."})
        return None


def guideline_files(book_id: str) -> dict[str, object]:
    """Every file under the book's guidelines/, parsed, with the book id taken out of keys and
    contents (so two books' runs compare)."""
    store = get_blob_store()
    prefix = f"books/{book_id}/guidelines/"
    out = {}
    for key in store.list_keys(prefix):
        raw = store.get(key).decode().replace(book_id, "BOOK")
        out[key[len(prefix) :]] = json.loads(raw)
    return out


def synced_guideline(
    book_id: str, n: int, *, review_status: str = "TO_BE_REVIEWED"
) -> TeachingGuideline:
    """A `teaching_guidelines` row as a sync writes it (subtopic `part-{n}` of Fractions)."""
    return TeachingGuideline(
        book_id=book_id,
        country="India",
        board="CBSE",
        grade=5,
        subject="Mathematics",
        topic_key="fractions",
        topic_title="Fractions",
        subtopic_key=f"part-{n}",
        subtopic_title=f"Part {n}",
        guideline="Teach it.",
        status="pending_review",
        review_status=review_status,
    )
