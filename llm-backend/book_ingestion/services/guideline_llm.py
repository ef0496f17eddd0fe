"""The `book_ingestion` model calls of guideline extraction and finalization, each with a
structured output (the class name is the schema name, which tests script replies by)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from shared.llm import complete
from shared.prompts import load_prompt

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
COMPONENT = "book_ingestion"


class PageSummary(BaseModel):
    summary: str


class PageDecision(BaseModel):
    action: Literal["continue", "new"]
    topic_key: str
    topic_title: str
    subtopic_key: str
    subtopic_title: str
    guidelines: str
    reasoning: str


class MergedGuidelines(BaseModel):
    guidelines: str


class SubtopicSummaries(BaseModel):
    subtopic_summary: str
    topic_summary: str


class SubtopicName(BaseModel):
    old_key: str
    subtopic_key: str
    subtopic_title: str


class TopicNames(BaseModel):
    topic_key: str
    topic_title: str
    subtopics: list[SubtopicName]


class DuplicateGroup(BaseModel):
    keep: str
    merge: list[str]


class DuplicateGroups(BaseModel):
    groups: list[DuplicateGroup]


class TopicSummary(BaseModel):
    topic_summary: str


def _ask(name: str, output: type[BaseModel], job_id: str | None, **variables):
    prompt = load_prompt(PROMPTS, name, **variables)
    return complete(
        component=COMPONENT,
        messages=[{"role": "user", "content": prompt}],
        output=output,
        job_id=job_id,
    )


def clamp_words(text: str, limit: int) -> str:
    """Summaries are asked for in a word range; an over-long answer is cut, not refused."""
    words = text.split()
    return " ".join(words[:limit])


def summarize_page(*, book: dict, page_number: int, text: str, job_id: str | None) -> str:
    out = _ask("page_summary", PageSummary, job_id, **book, page_number=page_number, page_text=text)
    return out.summary.strip()


def decide_page(
    *,
    book: dict,
    page_number: int,
    text: str,
    recent: str,
    open_subtopics: str,
    topics: str,
    job_id: str | None,
) -> PageDecision:
    return _ask(
        "page_decision",
        PageDecision,
        job_id,
        **book,
        page_number=page_number,
        page_text=text,
        recent_summaries=recent,
        open_subtopics=open_subtopics,
        topics=topics,
    )


def merge(
    *,
    book: dict,
    topic_title: str,
    subtopic_title: str,
    existing: str,
    new: str,
    page_number: int,
    job_id: str | None,
) -> str:
    out = _ask(
        "merge_guidelines",
        MergedGuidelines,
        job_id,
        **book,
        topic_title=topic_title,
        subtopic_title=subtopic_title,
        existing=existing,
        new=new,
        page_number=page_number,
    )
    return out.guidelines.strip()


def summaries(
    *,
    book: dict,
    topic_title: str,
    subtopic_title: str,
    topic_subtopics: str,
    guidelines: str,
    job_id: str | None,
) -> tuple[str, str]:
    out = _ask(
        "subtopic_summaries",
        SubtopicSummaries,
        job_id,
        **book,
        topic_title=topic_title,
        subtopic_title=subtopic_title,
        topic_subtopics=topic_subtopics,
        guidelines=guidelines,
    )
    return clamp_words(out.subtopic_summary, 30), clamp_words(out.topic_summary, 40)


def refine_names(
    *, book: dict, topic_key: str, topic_title: str, subtopics: str, job_id: str | None
) -> TopicNames:
    return _ask(
        "refine_names",
        TopicNames,
        job_id,
        **book,
        topic_key=topic_key,
        topic_title=topic_title,
        subtopics=subtopics,
    )


def find_duplicates(*, book: dict, subtopics: str, job_id: str | None) -> DuplicateGroups:
    return _ask("find_duplicates", DuplicateGroups, job_id, **book, subtopics=subtopics)


def topic_summary(*, book: dict, topic_title: str, subtopics: str, job_id: str | None) -> str:
    out = _ask(
        "topic_summary", TopicSummary, job_id, **book, topic_title=topic_title, subtopics=subtopics
    )
    return clamp_words(out.topic_summary, 40)
