"""Finalization (renames, duplicate merges, no orphan files) and snapshot sync (atomic
replacement of the book's teaching_guidelines rows), on real PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from book_ingestion.models.database import BookGuideline
from book_ingestion.services import (
    extraction_service,
    finalization_service,
    sync_service,
)
from book_ingestion.services.guideline_store import load_state, save
from database import session_scope
from shared.models.entities import StudyPlan, TeachingGuideline
from tests.fakes.llm_server import Fail
from tests.support.book_jobs import job_view
from tests.support.books import wait_jobs_idle
from tests.support.guidelines import PAGES, BookModel, guideline_files, make_book

NAMES = {
    "fractions": {
        "topic_key": "fractions",
        "topic_title": "Fractions",
        "subtopics": [
            {
                "old_key": "what-is-a-fraction",
                "subtopic_key": "fraction-basics",
                "subtopic_title": "Fraction basics",
            },
            {
                "old_key": "equivalent-fractions",
                "subtopic_key": "equivalent-fractions",
                "subtopic_title": "Equivalent fractions",
            },
        ],
    },
    "geometry": {
        "topic_key": "geometry-shapes",
        "topic_title": "Geometry and shapes",
        "subtopics": [
            {"old_key": "angles", "subtopic_key": "angles", "subtopic_title": "Angles"},
            {
                "old_key": "triangles",
                "subtopic_key": "triangle-angles",
                "subtopic_title": "Angles of a triangle",
            },
        ],
    },
}
DUPLICATES = [{"keep": "geometry-shapes/angles", "merge": ["geometry-shapes/triangle-angles"]}]


def _extracted(fake_llm, **model) -> str:
    fake_llm.responder = BookModel(names=NAMES, duplicates=DUPLICATES, **model)
    book_id = make_book()
    extraction_service.start_extraction(book_id=book_id, start_page=1, end_page=PAGES)
    wait_jobs_idle()
    return book_id


def test_finalization_renames_and_merges_consistently(storage, db, fake_llm):
    book_id = _extracted(fake_llm)

    job_id = finalization_service.start_finalization(book_id=book_id)
    wait_jobs_idle()

    job = job_view(job_id)
    assert job.status == "completed", job.error_message
    assert job.detail["results"] == [
        {
            "renamed": [
                {"from": "fractions/what-is-a-fraction", "to": "fractions/fraction-basics"},
                {"from": "geometry/angles", "to": "geometry-shapes/angles"},
                {"from": "geometry/triangles", "to": "geometry-shapes/triangle-angles"},
            ],
            "merged": [
                {"kept": "geometry-shapes/angles", "merged": "geometry-shapes/triangle-angles"}
            ],
        }
    ]
    files = guideline_files(book_id)
    # No orphans: exactly one shard per remaining subtopic.
    assert sorted(k for k in files if k.startswith("topics/")) == [
        "topics/fractions/equivalent-fractions.json",
        "topics/fractions/fraction-basics.json",
        "topics/geometry-shapes/angles.json",
    ]
    index = files["index.json"]
    assert [(t["topic_key"], t["topic_title"], t["topic_summary"]) for t in index["topics"]] == [
        ("fractions", "Fractions", "Final summary of Fractions."),
        ("geometry-shapes", "Geometry and shapes", "Final summary of Geometry and shapes."),
    ]
    assert [
        (s["subtopic_key"], s["status"], s["page_start"], s["page_end"])
        for t in index["topics"]
        for s in t["subtopics"]
    ] == [
        ("fraction-basics", "final", 1, 3),
        ("equivalent-fractions", "final", 4, 5),
        ("angles", "final", 6, 12),
    ]
    angles = files["topics/geometry-shapes/angles.json"]
    assert angles["guidelines"] == "g6 + g7 + g8 + g9 + g10 + g11 + g12"
    assert angles["topic_summary"] == "Final summary of Geometry and shapes."
    assert files["topics/fractions/fraction-basics.json"]["subtopic_title"] == "Fraction basics"
    assert files["page_index.json"] == {
        **{str(p): "fractions/fraction-basics" for p in (1, 2, 3)},
        **{str(p): "fractions/equivalent-fractions" for p in (4, 5)},
        **{str(p): "geometry-shapes/angles" for p in range(6, 13)},
    }


def test_failed_finalization_leaves_the_previous_files(local_storage, db, fake_llm):
    book_id = _extracted(fake_llm)
    before = guideline_files(book_id)
    model = BookModel(names=NAMES, duplicates=DUPLICATES)
    fake_llm.responder = lambda path, body: (
        None if "DuplicateGroups" in str(body) else model(path, body)
    )
    fake_llm.push(Fail(400, for_schema="DuplicateGroups"))
    job_id = finalization_service.start_finalization(book_id=book_id)
    wait_jobs_idle()

    assert job_view(job_id).status == "failed"
    assert guideline_files(book_id) == before


def _rows(book_id: str) -> list[tuple]:
    with session_scope() as session:
        rows = session.scalars(
            select(TeachingGuideline)
            .where(TeachingGuideline.book_id == book_id)
            .order_by(TeachingGuideline.source_page_start)
        )
        return [
            (
                r.topic_key,
                r.subtopic_key,
                r.topic_title,
                r.subtopic_title,
                r.subtopic_summary,
                r.source_page_start,
                r.source_page_end,
                r.guideline,
                r.review_status,
                r.country,
                r.board,
                r.grade,
                r.subject,
            )
            for r in rows
        ]


def test_sync_replaces_rows_and_records_what_was_synced(storage, db, fake_llm):
    book_id = _extracted(fake_llm)
    job_id = sync_service.start_sync(book_id=book_id)
    wait_jobs_idle()
    assert job_view(job_id).status == "completed"
    first = _rows(book_id)
    common = ("TO_BE_REVIEWED", "India", "CBSE", 5, "Mathematics")
    assert first == [
        ("fractions", "what-is-a-fraction", "Fractions", "What is a fraction",
         "About What is a fraction.", 1, 3, "g1 + g2 + g3", *common),
        ("fractions", "equivalent-fractions", "Fractions", "Equivalent fractions",
         "About Equivalent fractions.", 4, 5, "g4 + g5", *common),
        ("geometry", "angles", "Geometry", "Angles", "About Angles.", 6, 9,
         "g6 + g7 + g8 + g9", *common),
        ("geometry", "triangles", "Geometry", "Triangles", "About Triangles.", 10, 12,
         "g10 + g11 + g12", *common),
    ]  # fmt: skip

    finalization_service.start_finalization(book_id=book_id)
    wait_jobs_idle()
    sync_service.start_sync(book_id=book_id)
    wait_jobs_idle()
    assert [(r[0], r[1], r[5], r[6]) for r in _rows(book_id)] == [
        ("fractions", "fraction-basics", 1, 3),
        ("fractions", "equivalent-fractions", 4, 5),
        ("geometry-shapes", "angles", 6, 12),
    ]
    with session_scope() as session:
        records = session.scalars(
            select(BookGuideline)
            .where(BookGuideline.book_id == book_id)
            .order_by(BookGuideline.guideline_s3_key)
        ).all()
        assert [(r.guideline_s3_key, r.version, r.review_status) for r in records] == [
            (f"books/{book_id}/guidelines/topics/{ref}.json", 2, "TO_BE_REVIEWED")
            for ref in (
                "fractions/equivalent-fractions",
                "fractions/fraction-basics",
                "geometry-shapes/angles",
            )
        ]


def test_a_failure_mid_sync_leaves_the_previous_rows(local_storage, db, fake_llm, monkeypatch):
    book_id = _extracted(fake_llm)
    sync_service.start_sync(book_id=book_id)
    wait_jobs_idle()
    before = _rows(book_id)
    with session_scope() as session:
        gid = session.scalars(
            select(TeachingGuideline.id).where(TeachingGuideline.book_id == book_id)
        ).first()
        session.add(StudyPlan(guideline_id=gid, plan_json="{}"))

    state = load_state(book_id)
    for sub in state.subtopics:
        sub.guidelines = "changed"
    save(book_id, state)
    real_row = sync_service.guideline_row
    made = []

    def fail_on_third(book, shard, *, now):
        made.append(shard.subtopic_key)
        if len(made) == 3:
            raise RuntimeError("database went away")
        return real_row(book, shard, now=now)

    monkeypatch.setattr(sync_service, "guideline_row", fail_on_third)
    job_id = sync_service.start_sync(book_id=book_id)
    wait_jobs_idle()

    job = job_view(job_id)
    assert (job.status, job.error_message) == ("failed", "Job crashed: database went away")
    assert len(made) == 3  # two new rows were inserted before the failure, then rolled back
    assert _rows(book_id) == before
    with session_scope() as session:
        assert session.scalar(select(StudyPlan.guideline_id)) == gid


def test_a_resync_keeps_unchanged_rows_with_their_review_and_plan(local_storage, db, fake_llm):
    book_id = _extracted(fake_llm)
    sync_service.start_sync(book_id=book_id)
    wait_jobs_idle()
    with session_scope() as session:
        rows = session.scalars(
            select(TeachingGuideline)
            .where(TeachingGuideline.book_id == book_id)
            .order_by(TeachingGuideline.source_page_start)
        ).all()
        ids = [r.id for r in rows]
        rows[0].review_status, rows[1].review_status = "APPROVED", "APPROVED"
        session.add(StudyPlan(guideline_id=ids[0], plan_json="{}"))
        session.add(StudyPlan(guideline_id=ids[1], plan_json="{}"))
    state = load_state(book_id)
    state.subtopics[1].guidelines = "rewritten"  # equivalent-fractions changes
    save(book_id, state)

    sync_service.start_sync(book_id=book_id)
    wait_jobs_idle()

    with session_scope() as session:
        after = session.scalars(
            select(TeachingGuideline)
            .where(TeachingGuideline.book_id == book_id)
            .order_by(TeachingGuideline.source_page_start)
        ).all()
        assert [r.id == old for r, old in zip(after, ids, strict=True)] == [
            True, False, True, True,
        ]  # fmt: skip
        assert [r.review_status for r in after] == [
            "APPROVED", "TO_BE_REVIEWED", "TO_BE_REVIEWED", "TO_BE_REVIEWED",
        ]  # fmt: skip
        assert (after[1].guideline, after[1].subtopic_key) == ("rewritten", "equivalent-fractions")
        assert list(session.scalars(select(StudyPlan.guideline_id))) == [ids[0]]
        records = session.scalars(
            select(BookGuideline).where(BookGuideline.book_id == book_id)
        ).all()
        assert sorted((r.version, r.review_status) for r in records) == [
            (2, "APPROVED"), *[(2, "TO_BE_REVIEWED")] * 3,
        ]  # fmt: skip
