"""Guideline extraction on a 12-page synthetic book (2 topics, 4 subtopics), on real
PostgreSQL with the fake model server, in a local directory and in moto S3."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from book_ingestion.services import extraction_service, job_service
from book_ingestion.services.guideline_store import GuidelineShard, read_shards, shard_key
from shared.jobs import lifecycle
from shared.jobs.dispatch import set_dispatcher
from shared.storage import get_blob_store
from tests.support.book_jobs import HeldDispatcher, age_heartbeat, job_view, sweep_stale_jobs
from tests.support.books import wait_for, wait_jobs_idle
from tests.support.guidelines import PAGES, BookModel, guideline_files, make_book
from tests.support.settings import use_settings

BACKEND_DIR = Path(__file__).resolve().parents[2]

FRACTIONS = ("fractions", "Fractions", "Fractions.")
GEOMETRY = ("geometry", "Geometry", "Geometry.")


def _shard(topic, key, title, status, start, end, last, text, fallbacks=()):
    topic_key, topic_title, topic_summary = topic
    return {
        "book_id": "BOOK",
        "topic_key": topic_key,
        "topic_title": topic_title,
        "topic_summary": topic_summary,
        "subtopic_key": key,
        "subtopic_title": title,
        "subtopic_summary": f"About {title}.",
        "status": status,
        "page_start": start,
        "page_end": end,
        "last_page": last,
        "guidelines": text,
        "merge_fallbacks": list(fallbacks),
    }


def _entry(key, title, status, start, end):
    return {
        "subtopic_key": key,
        "subtopic_title": title,
        "status": status,
        "page_start": start,
        "page_end": end,
    }


def test_twelve_pages_build_index_page_index_and_shards(storage, db, fake_llm):
    fake_llm.responder = BookModel(fail_merge_pages=(5,))
    book_id = make_book()

    job_id = extraction_service.start_extraction(
        book_id=book_id, start_page=1, end_page=PAGES
    ).job_id
    wait_jobs_idle()

    job = job_view(job_id)
    assert (job.status, job.completed_items, job.failed_items, job.last_completed_item) == (
        "completed", 12, 0, 12,
    )  # fmt: skip
    assert [r["action"] for r in job.detail["results"]] == (
        ["new", "continue", "continue", "new", "continue"] + ["new"] + ["continue"] * 3
        + ["new", "continue", "continue"]
    )  # fmt: skip
    assert [r["page"] for r in job.detail["results"] if r.get("merge_fallback")] == [5]

    files = guideline_files(book_id)
    assert sorted(files) == [
        "index.json",
        "page_index.json",
        "state.json",
        "topics/fractions/equivalent-fractions.json",
        "topics/fractions/what-is-a-fraction.json",
        "topics/geometry/angles.json",
        "topics/geometry/triangles.json",
    ]
    # Stable: untouched for 5 pages (what-is-a-fraction after page 8, equivalent after 10).
    assert files["index.json"] == {
        "last_page": 12,
        "failed_pages": [],
        "topics": [
            {
                "topic_key": "fractions",
                "topic_title": "Fractions",
                "topic_summary": "Fractions.",
                "subtopics": [
                    _entry("what-is-a-fraction", "What is a fraction", "stable", 1, 3),
                    _entry("equivalent-fractions", "Equivalent fractions", "stable", 4, 5),
                ],
            },
            {
                "topic_key": "geometry",
                "topic_title": "Geometry",
                "topic_summary": "Geometry.",
                "subtopics": [
                    _entry("angles", "Angles", "open", 6, 9),
                    _entry("triangles", "Triangles", "open", 10, 12),
                ],
            },
        ],
    }
    expected_pages = {
        **{str(p): "fractions/what-is-a-fraction" for p in (1, 2, 3)},
        **{str(p): "fractions/equivalent-fractions" for p in (4, 5)},
        **{str(p): "geometry/angles" for p in (6, 7, 8, 9)},
        **{str(p): "geometry/triangles" for p in (10, 11, 12)},
    }
    assert files["page_index.json"] == expected_pages
    assert files["topics/fractions/what-is-a-fraction.json"] == _shard(
        FRACTIONS, "what-is-a-fraction", "What is a fraction", "stable", 1, 3, 3, "g1 + g2 + g3"
    )
    # The merge of page 5 failed: its guidelines were appended and the fallback recorded.
    assert files["topics/fractions/equivalent-fractions.json"] == _shard(
        FRACTIONS, "equivalent-fractions", "Equivalent fractions", "stable", 4, 5, 5, "g4\n\ng5",
        fallbacks=[5],
    )  # fmt: skip
    assert files["topics/geometry/angles.json"] == _shard(
        GEOMETRY, "angles", "Angles", "open", 6, 9, 9, "g6 + g7 + g8 + g9"
    )
    assert files["topics/geometry/triangles.json"] == _shard(
        GEOMETRY, "triangles", "Triangles", "open", 10, 12, 12, "g10 + g11 + g12"
    )
    assert files["state.json"]["page_summaries"] == {str(p): f"s{p}" for p in range(1, 13)}
    # Each shard file reads back as the model it was written from.
    store = get_blob_store()
    for shard in read_shards(book_id):
        key = shard_key(book_id, shard.topic_key, shard.subtopic_key)
        assert GuidelineShard.model_validate_json(store.get(key)) == shard


def test_context_pack_has_recent_summaries_and_open_subtopics_only(local_storage, db, fake_llm):
    fake_llm.responder = BookModel()
    book_id = make_book()
    extraction_service.start_extraction(book_id=book_id, start_page=1, end_page=PAGES)
    wait_jobs_idle()

    decisions = [r for r in fake_llm.requests if "PageDecision" in json.dumps(r.body)]
    prompt = json.dumps(decisions[8].body)  # page 9
    assert "Page 3: s3" not in prompt and all(f"Page {p}: s{p}" in prompt for p in range(4, 9))
    # what-is-a-fraction became stable after page 8: no longer offered as open.
    assert "key fractions/what-is-a-fraction" not in prompt
    assert "key fractions/equivalent-fractions" in prompt and "key geometry/angles" in prompt
    assert "Grade 5" in prompt or "grade 5" in prompt


def test_a_failing_page_is_recorded_and_the_job_moves_on(local_storage, db, fake_llm):
    fake_llm.responder = BookModel(fail_decision_pages=(7,))
    book_id = make_book()
    job_id = extraction_service.start_extraction(
        book_id=book_id, start_page=1, end_page=PAGES
    ).job_id
    wait_jobs_idle()

    job = job_view(job_id)
    assert (job.status, job.completed_items, job.failed_items) == ("completed", 11, 1)
    assert [(e["item"], e["page"]) for e in job.errors] == [(7, 7)]
    files = guideline_files(book_id)
    assert files["index.json"]["failed_pages"] == [7]
    assert "7" not in files["page_index.json"]
    assert files["topics/geometry/angles.json"]["guidelines"] == "g6 + g8 + g9"


def test_extraction_continues_a_range_or_restarts_from_page_one(local_storage, db, fake_llm):
    fake_llm.responder = BookModel()
    book_id = make_book()
    extraction_service.start_extraction(book_id=book_id, start_page=1, end_page=5)
    wait_jobs_idle()
    extraction_service.start_extraction(book_id=book_id, start_page=6, end_page=PAGES)
    wait_jobs_idle()
    split = guideline_files(book_id)

    other = make_book()
    extraction_service.start_extraction(book_id=other, start_page=1, end_page=PAGES)
    wait_jobs_idle()
    assert guideline_files(other) == split

    extraction_service.start_extraction(book_id=book_id, start_page=1, end_page=2)
    wait_jobs_idle()
    assert guideline_files(book_id)["index.json"]["last_page"] == 2


def test_kill_mid_extraction_then_resume_gives_identical_shards(
    local_storage, db, fake_llm, monkeypatch
):
    """A worker process killed with SIGKILL mid-run, swept as stale, then resumed, ends with
    exactly the files of an uninterrupted run of the same pages."""
    fake_llm.responder = BookModel(fail_merge_pages=(5,))
    reference = make_book()
    extraction_service.start_extraction(book_id=reference, start_page=1, end_page=PAGES)
    wait_jobs_idle()
    expected = guideline_files(reference)

    use_settings(monkeypatch, JOB_HEARTBEAT_SECONDS=0.2)
    fake_llm.responder = BookModel(fail_merge_pages=(5,), delay=0.3)
    set_dispatcher(HeldDispatcher())
    book_id = make_book()
    job_id = extraction_service.start_extraction(
        book_id=book_id, start_page=1, end_page=PAGES
    ).job_id
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.support.run_job", job_id, "extraction"],
        cwd=BACKEND_DIR,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: job_view(job_id).completed_items >= 4, timeout=60)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)
    killed = job_view(job_id)
    done = killed.last_completed_item
    assert killed.status == "running" and 4 <= done < PAGES
    assert guideline_files(book_id) != expected

    use_settings(monkeypatch, JOB_STALE_SECONDS=1)
    assert wait_for(lambda: sweep_stale_jobs(book_id), timeout=30, every=0.2) == [job_id]
    fake_llm.responder = BookModel(fail_merge_pages=(5,))
    set_dispatcher(None)
    new_id = job_service.resume_job(book_id=book_id, job_id=job_id)
    wait_jobs_idle()

    resumed = job_view(new_id)
    assert resumed.status == "completed"
    assert resumed.detail["resumed_from"] == {"job_id": job_id, "item": done + 1}
    assert guideline_files(book_id) == expected


def test_a_crash_between_saving_a_page_and_its_checkpoint_redoes_nothing_twice(
    local_storage, db, fake_llm, monkeypatch
):
    """The page's files are saved but the checkpoint is lost: the resumed job skips the page
    (no model call) and the result is still identical."""
    fake_llm.responder = BookModel()
    reference = make_book(pages=6)
    extraction_service.start_extraction(book_id=reference, start_page=1, end_page=6)
    wait_jobs_idle()
    expected = guideline_files(reference)

    book_id = make_book(pages=6)
    real_checkpoint = lifecycle.checkpoint

    def crash_on_page_4(session, **progress):
        if progress.get("last_completed_item") == 4:
            raise RuntimeError("power cut")
        return real_checkpoint(session, **progress)

    monkeypatch.setattr(lifecycle, "checkpoint", crash_on_page_4)
    job_id = extraction_service.start_extraction(book_id=book_id, start_page=1, end_page=6).job_id
    wait_jobs_idle()
    monkeypatch.setattr(lifecycle, "checkpoint", real_checkpoint)
    failed = job_view(job_id)
    assert (failed.status, failed.last_completed_item) == ("failed", 3)
    assert guideline_files(book_id)["index.json"]["last_page"] == 4
    seen = len(fake_llm.requests)

    new_id = job_service.resume_job(book_id=book_id, job_id=job_id)
    wait_jobs_idle()
    assert job_view(new_id).status == "completed"
    decisions = [r for r in fake_llm.requests[seen:] if "PageDecision" in json.dumps(r.body)]
    assert len(decisions) == 2  # pages 5 and 6 only
    assert guideline_files(book_id) == expected


def test_two_books_extracting_at_once_keep_their_own_state(local_storage, db, fake_llm):
    """The job class is one shared instance; each run's state must stay with its own job."""
    fake_llm.responder = BookModel(fail_merge_pages=(5,))
    reference = make_book()
    extraction_service.start_extraction(book_id=reference, start_page=1, end_page=PAGES)
    wait_jobs_idle()
    expected = guideline_files(reference)
    fake_llm.responder = BookModel(fail_merge_pages=(5,), delay=0.05)
    books = [make_book(grade=g) for g in (6, 7)]

    # The second run starts while the first is mid-book, so their states differ.
    first = extraction_service.start_extraction(
        book_id=books[0], start_page=1, end_page=PAGES
    ).job_id
    wait_for(lambda: job_view(first).completed_items >= 3, timeout=60)
    second = extraction_service.start_extraction(
        book_id=books[1], start_page=1, end_page=PAGES
    ).job_id
    jobs = [first, second]
    wait_jobs_idle()

    assert [job_view(j).status for j in jobs] == ["completed", "completed"]
    assert [guideline_files(b) for b in books] == [expected, expected]


def test_a_worker_swept_mid_page_writes_no_guideline_files(local_storage, db, fake_llm):
    from book_ingestion.models.job_details import ExtractionDetail
    from shared.jobs.items import JobContext, LeaseLostError, under_lease
    from shared.storage import get_blob_store

    set_dispatcher(HeldDispatcher())
    book_id = make_book()
    job_id = extraction_service.start_extraction(
        book_id=book_id, start_page=1, end_page=PAGES
    ).job_id
    lease = lifecycle.claim(job_id=job_id, handoff=None)
    ctx = JobContext(job_id, book_id, "extraction", ExtractionDetail(), PAGES, 1, lease=lease)
    with under_lease(ctx):
        get_blob_store().put(f"books/{book_id}/guidelines/a.json", b"1", content_type="x/y")
    age_heartbeat(job_id, 3600)
    assert sweep_stale_jobs(book_id) == [job_id]

    with pytest.raises(LeaseLostError), under_lease(ctx):
        get_blob_store().put(f"books/{book_id}/guidelines/b.json", b"2", content_type="x/y")

    assert get_blob_store().list_keys(f"books/{book_id}/guidelines/") == [
        f"books/{book_id}/guidelines/a.json"
    ]
