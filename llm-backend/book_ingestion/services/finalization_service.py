"""Finalization (job type `finalization`): every open/stable subtopic becomes final, topic and
subtopic names are refined from the full guideline text (keys, shard files and the page index
renamed together), duplicate subtopics are merged, and topic summaries regenerated.

The whole pass works on an in-memory copy of the extraction state and is saved once at the end
(`save` with all shards, which also deletes shard files no subtopic owns), so a failure leaves
the previous files and a rerun starts from them; no orphan files remain either way.
"""

from __future__ import annotations

from book_ingestion.models.job_details import FinalizationDetail
from book_ingestion.services import book_service, guideline_llm
from book_ingestion.services.guideline_jobs import start_on_extracted_guidelines
from book_ingestion.services.guideline_store import (
    ExtractionState,
    Subtopic,
    load_state,
    save,
    shards,
    slug,
)
from book_ingestion.services.sync_service import replace_rows
from shared.jobs.engine import ItemHandler
from shared.jobs.items import ItemOutcome, JobContext, under_lease
from shared.jobs.registry import register
from shared.models.enums import JobType


def start_finalization(*, book_id: str, auto_sync_to_db: bool = False) -> str:
    """`auto_sync_to_db` also replaces the book's `teaching_guidelines` rows with the result,
    in the job's checkpoint (as `PUT …/guidelines/approve` does, without approving)."""
    return start_on_extracted_guidelines(
        book_id=book_id,
        job_type=JobType.FINALIZATION,
        action="finalize",
        detail=FinalizationDetail(errors=[], auto_sync_to_db=auto_sync_to_db),
    )


def _describe(subs: list[Subtopic]) -> str:
    return "\n\n".join(
        f"[{s.ref}] {s.subtopic_title} (pages {s.page_start}-{s.page_end})\n"
        f"summary: {s.subtopic_summary}\nguidelines:\n{s.guidelines}"
        for s in subs
    )


def _rename(state: ExtractionState, sub: Subtopic, topic_key: str, subtopic_key: str) -> str:
    """Moves a subtopic to new keys (suffixing on a clash) and repoints the page index."""
    old_ref = sub.ref
    base, key, n = subtopic_key, subtopic_key, 1
    while (clash := state.subtopic(f"{topic_key}/{key}")) is not None and clash is not sub:
        n += 1
        key = f"{base}-{n}"
    sub.topic_key, sub.subtopic_key = topic_key, key
    for page, ref in state.page_index.items():
        if ref == old_ref:
            state.page_index[page] = sub.ref
    return sub.ref


def refine_names(state: ExtractionState, *, book: dict, job_id: str) -> list[dict]:
    renames = []
    for topic in list(state.topics):
        subs = state.subtopics_of(topic.topic_key)
        names = guideline_llm.refine_names(
            book=book,
            topic_key=topic.topic_key,
            topic_title=topic.topic_title,
            subtopics=_describe(subs),
            job_id=job_id,
        )
        new_topic_key = slug(names.topic_key, fallback=topic.topic_key)
        if new_topic_key != topic.topic_key and state.topic(new_topic_key) is not None:
            new_topic_key = topic.topic_key  # never fold two topics together by a rename
        by_old = {slug(n.old_key): n for n in names.subtopics}
        for sub in subs:
            named = by_old.get(sub.subtopic_key)
            old_ref = sub.ref
            if named is not None:
                sub.subtopic_title = named.subtopic_title.strip() or sub.subtopic_title
            wanted = slug(named.subtopic_key, fallback=sub.subtopic_key) if named else None
            new_ref = _rename(state, sub, new_topic_key, wanted or sub.subtopic_key)
            if new_ref != old_ref:
                renames.append({"from": old_ref, "to": new_ref})
        topic.topic_key = new_topic_key
        topic.topic_title = names.topic_title.strip() or topic.topic_title
    return renames


def merge_duplicates(state: ExtractionState, *, book: dict, job_id: str) -> list[dict]:
    found = guideline_llm.find_duplicates(
        book=book, subtopics=_describe(state.subtopics), job_id=job_id
    )
    merges = []
    for group in found.groups:
        keep = state.subtopic(group.keep)
        for ref in group.merge:
            other = state.subtopic(ref)
            if keep is None or other is None or other is keep:
                continue  # the model named something that is not (or no longer) there
            try:
                text = guideline_llm.merge(
                    book=book,
                    topic_title=state.topic_of(keep).topic_title,
                    subtopic_title=keep.subtopic_title,
                    existing=keep.guidelines,
                    new=other.guidelines,
                    page_number=other.page_start,
                    job_id=job_id,
                )
            except Exception:
                text = f"{keep.guidelines}\n\n{other.guidelines}"
            keep.guidelines = text
            keep.page_start = min(keep.page_start, other.page_start)
            keep.page_end = max(keep.page_end, other.page_end)
            keep.merge_fallbacks = sorted(set(keep.merge_fallbacks + other.merge_fallbacks))
            state.subtopics.remove(other)
            for page, r in state.page_index.items():
                if r == ref:
                    state.page_index[page] = keep.ref
            merges.append({"kept": keep.ref, "merged": ref})
    # A topic whose subtopics all merged away elsewhere disappears with them.
    state.topics = [t for t in state.topics if state.subtopics_of(t.topic_key)]
    return merges


def finalize(state: ExtractionState, *, book: dict, job_id: str) -> tuple[ExtractionState, dict]:
    new = state.model_copy(deep=True)
    for sub in new.subtopics:
        sub.status = "final"
    renames = refine_names(new, book=book, job_id=job_id)
    merges = merge_duplicates(new, book=book, job_id=job_id)
    for topic in new.topics:
        listing = "\n".join(
            f"- {s.subtopic_title}: {s.subtopic_summary}" for s in new.subtopics_of(topic.topic_key)
        )
        topic.topic_summary = guideline_llm.topic_summary(
            book=book, topic_title=topic.topic_title, subtopics=listing, job_id=job_id
        )
    return new, {"renamed": renames, "merged": merges}


class FinalizationJob(ItemHandler[FinalizationDetail]):
    job_type = JobType.FINALIZATION
    detail_type = FinalizationDetail

    def process(self, ctx: JobContext[FinalizationDetail], item: int) -> ItemOutcome:
        book = book_service.prompt_facts(book_id=ctx.book)
        new, note = finalize(load_state(ctx.book), book=book, job_id=ctx.job_id)
        with under_lease(ctx):
            save(ctx.book, new)
        # The finalize result, as the frontend reads it from progress_detail.
        detail = ctx.detail
        detail.status = "finalized"
        detail.subtopics_finalized = len(new.subtopics)
        detail.subtopics_renamed = len(note["renamed"])
        detail.duplicates_merged = len(note["merged"])
        detail.total_topics = len(new.topics)
        if not detail.auto_sync_to_db:
            return ItemOutcome(note=note)
        synced = shards(ctx.book, new)
        detail.synced_count = len(synced)
        return ItemOutcome(
            note=note,
            commit=lambda session: replace_rows(session=session, book_id=ctx.book, shards=synced),
        )


run_finalization = FinalizationJob()
register(JobType.FINALIZATION, run_finalization)
