"""Guideline extraction (job type `extraction`): page by page, in order, with the
`book_ingestion` model — summary, context pack, continue-or-new decision, merge (append on
failure), subtopic/topic summaries, then the files of guideline_store written per page.

Each page's result is a pure function of the saved state and the page, and the state is saved
before the job's checkpoint; pages at or below the saved `last_page` are skipped. So a job that
dies anywhere resumes (a new job from `last_completed_item + 1`, or a continuation) to the same
files an uninterrupted run writes.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from book_ingestion.guideline_schemas import ExtractionStarted
from book_ingestion.models.database import BookPage
from book_ingestion.models.job_details import ExtractionDetail
from book_ingestion.models.status import PageStage
from book_ingestion.services import book_service, guideline_llm, job_lock_service
from book_ingestion.services.guideline_store import (
    ExtractionState,
    Subtopic,
    Topic,
    guidelines_prefix,
    load_state,
    save,
    slug,
)
from database import run_transaction, session_scope
from shared.errors import BadRequestError
from shared.jobs import lifecycle
from shared.jobs.engine import ItemHandler
from shared.jobs.items import ItemOutcome, JobContext, error_text, under_lease
from shared.jobs.messages import JobMessage
from shared.jobs.registry import register
from shared.models.enums import JobType
from shared.storage import get_blob_store

RECENT_SUMMARIES = 5
STABLE_AFTER_PAGES = 5  # a subtopic untouched for this many pages leaves the context pack


def start_extraction(
    *, book_id: str, start_page: int = 1, end_page: int | None = None, resume: bool = False
) -> ExtractionStarted:
    """A fresh run from page 1 clears the book's guideline files; any other start must continue
    right after the last extracted page, so the saved state always covers pages 1..last.
    `resume` continues from there (to `end_page`, default the last page); with nothing left it
    starts no job and answers `already_complete`."""

    def work(session: Session) -> ExtractionStarted:
        book = job_lock_service.lock_for_start(session=session, book_id=book_id)
        lifecycle.refuse_active_job(session, book_id=book_id)
        pages = list(
            session.scalars(
                select(BookPage).where(BookPage.book_id == book_id).order_by(BookPage.page_number)
            )
        )
        if not any(p.status == PageStage.APPROVED for p in pages):
            raise BadRequestError(
                f"Book {book_id} has no approved pages; approve page text first.",
                code="no_approved_pages",
            )
        last = load_state(book_id).last_page
        start = last + 1 if resume else start_page
        end = end_page if end_page is not None else len(pages)
        if resume and start > end:
            return ExtractionStarted(
                job_id=None,
                status="already_complete",
                start_page=0,
                end_page=0,
                total_pages=0,
                message=f"Pages 1-{last} are extracted already; nothing to resume.",
            )
        if not 1 <= start <= end <= len(pages):
            raise BadRequestError(
                f"Pages {start}-{end} are not within the book's {len(pages)} pages.",
                code="invalid_page_range",
            )
        chosen = pages[start - 1 : end]
        unreviewed = [p.page_number for p in chosen if p.status != PageStage.APPROVED]
        if unreviewed:
            raise BadRequestError(
                f"Pages {unreviewed} are not approved; review their text first.",
                code="pages_not_approved",
            )
        if start != 1 and start != last + 1:
            raise BadRequestError(
                f"Extraction can continue from page {last + 1}, or start again from page 1.",
                code="invalid_start_page",
            )
        job = job_lock_service.acquire(
            session=session,
            book=book,
            job_type=JobType.EXTRACTION,
            total_items=len(chosen),
            detail=ExtractionDetail(errors=[], page_ids=[p.id for p in chosen], start_page=start),
        )
        if start == 1:
            get_blob_store().delete_prefix(guidelines_prefix(book_id))
        return ExtractionStarted(
            job_id=job.id,
            status="started",
            start_page=start,
            end_page=end,
            total_pages=len(chosen),
            message=f"Extracting guidelines from pages {start}-{end} in job {job.id}.",
        )

    started = run_transaction(work)
    if started.job_id is not None:
        lifecycle.start(JobMessage(job_id=started.job_id, job_type=JobType.EXTRACTION))
    return started


def _subtopic_block(sub: Subtopic) -> str:
    return (
        f"- key {sub.ref} ({sub.subtopic_title}), pages {sub.page_start}-{sub.page_end}\n"
        f"  guidelines:\n{sub.guidelines}"
    )


def context_pack(state: ExtractionState, page_number: int) -> dict:
    earlier = sorted(p for p in state.page_summaries if p < page_number)[-RECENT_SUMMARIES:]
    recent = "\n".join(f"Page {p}: {state.page_summaries[p]}" for p in earlier)
    open_subs = [s for s in state.subtopics if s.status == "open"]
    topics = "\n".join(f"- {t.topic_key}: {t.topic_title}" for t in state.topics)
    return {
        "recent": recent or "(none yet)",
        "open_subtopics": "\n".join(_subtopic_block(s) for s in open_subs) or "(none)",
        "topics": topics or "(none yet)",
    }


def _new_subtopic(state: ExtractionState, decision, page_number: int) -> Subtopic:
    topic_key = slug(decision.topic_key)
    if state.topic(topic_key) is None:
        state.topics.append(Topic(topic_key=topic_key, topic_title=decision.topic_title.strip()))
    base = slug(decision.subtopic_key)
    key, n = base, 1
    while state.subtopic(f"{topic_key}/{key}") is not None:
        n += 1
        key = f"{base}-{n}"
    sub = Subtopic(
        topic_key=topic_key,
        subtopic_key=key,
        subtopic_title=decision.subtopic_title.strip(),
        page_start=page_number,
        page_end=page_number,
        last_page=page_number,
        guidelines=decision.guidelines.strip(),
    )
    state.subtopics.append(sub)
    return sub


def extract_page(
    state: ExtractionState, *, book: dict, page_number: int, text: str, job_id: str | None
) -> tuple[ExtractionState, list[str], dict]:
    """The state after one page, the refs of shards to rewrite, and a note for the job."""
    new = state.model_copy(deep=True)
    new.page_summaries[page_number] = guideline_llm.summarize_page(
        book=book, page_number=page_number, text=text, job_id=job_id
    )
    decision = guideline_llm.decide_page(
        book=book,
        page_number=page_number,
        text=text,
        job_id=job_id,
        **context_pack(state, page_number),
    )
    ref = f"{slug(decision.topic_key)}/{slug(decision.subtopic_key)}"
    sub = new.subtopic(ref) if decision.action == "continue" else None
    fallback = False
    if sub is not None and sub.status != "final":
        topic = new.topic_of(sub)
        try:
            merged = guideline_llm.merge(
                book=book,
                topic_title=topic.topic_title,
                subtopic_title=sub.subtopic_title,
                existing=sub.guidelines,
                new=decision.guidelines.strip(),
                page_number=page_number,
                job_id=job_id,
            )
        except Exception:
            # The page's guidelines must not be lost: append them and say so in the shard.
            merged = f"{sub.guidelines}\n\n{decision.guidelines.strip()}".strip()
            sub.merge_fallbacks.append(page_number)
            fallback = True
        sub.guidelines = merged
        sub.page_end = max(sub.page_end, page_number)
        sub.last_page, sub.status = page_number, "open"
        action = "continue"
    else:
        sub = _new_subtopic(new, decision, page_number)
        action = "new"
    topic = new.topic_of(sub)
    siblings = "\n".join(f"- {s.subtopic_title}" for s in new.subtopics_of(topic.topic_key))
    sub.subtopic_summary, topic.topic_summary = guideline_llm.summaries(
        book=book,
        topic_title=topic.topic_title,
        subtopic_title=sub.subtopic_title,
        topic_subtopics=siblings,
        guidelines=sub.guidelines,
        job_id=job_id,
    )
    new.page_index[page_number] = sub.ref
    new.last_page = page_number
    touched = [s.ref for s in new.subtopics_of(topic.topic_key)]
    for other in new.subtopics:
        if other.status == "open" and page_number - other.last_page >= STABLE_AFTER_PAGES:
            other.status = "stable"
            touched.append(other.ref)
    note = {"page": page_number, "action": action, "subtopic": sub.ref}
    if fallback:
        note["merge_fallback"] = True
    return new, touched, note


class ExtractionJob(ItemHandler[ExtractionDetail]):
    job_type = JobType.EXTRACTION
    detail_type = ExtractionDetail

    def setup(self, ctx: JobContext[ExtractionDetail]) -> None:
        ctx.extra["book"] = book_service.prompt_facts(book_id=ctx.book)
        ctx.extra["state"] = load_state(ctx.book)

    def process(self, ctx: JobContext[ExtractionDetail], item: int) -> ItemOutcome:
        state: ExtractionState = ctx.extra["state"]
        page_id = ctx.detail.page_ids[item - 1]
        with session_scope() as session:
            page = session.get(BookPage, page_id)
            if page is None:
                return ItemOutcome(error="page was deleted")
            number, text_key = page.page_number, page.text_s3_key
        if number <= state.last_page:
            return ItemOutcome()  # saved before an interruption; its checkpoint was lost
        try:
            if not text_key:
                raise ValueError("the page has no text")
            text = get_blob_store().get(text_key).decode()
            new, touched, note = extract_page(
                state, book=ctx.extra["book"], page_number=number, text=text, job_id=ctx.job_id
            )
            outcome = ItemOutcome(note=note)
            ctx.detail.count(created=note["action"] == "new")
        except Exception as exc:
            new = state.model_copy(deep=True)
            new.last_page = number
            new.failed_pages.append(number)
            touched, outcome = [], ItemOutcome(error=error_text(exc), error_fields={"page": number})
        with under_lease(ctx):
            save(ctx.book, new, shards=touched)
        ctx.extra["state"] = new
        return outcome


run_extraction = ExtractionJob()
register(JobType.EXTRACTION, run_extraction)
