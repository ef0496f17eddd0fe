"""Builds databases in earlier shapes of the schema, with rows in them, for upgrade tests."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from shared.models.registry import all_metadata

SESSION_COLUMNS_ADDED_LATER = [
    "user_id",
    "subject",
    "mode",
    "is_paused",
    "exam_score",
    "exam_total",
    "guideline_id",
    "state_version",
]
BOOK_JOB_PROGRESS_COLUMNS = [
    "total_items",
    "completed_items",
    "failed_items",
    "current_item",
    "last_completed_item",
    "progress_detail",
    "heartbeat_at",
]
# Added by this project after the schema document: the job lease and creation time, the
# per-book job index, and whole tables (llm_config is the document's, but came with a later
# release, so the original shape lacks it too).
BOOK_JOB_COLUMNS_ADDED_LATER = ["lease_id", "created_at"]
INDEXES_ADDED_LATER = ["idx_book_jobs_book"]
TABLES_ADDED_LATER = ["book_pages", "llm_calls", "llm_config", "rate_limit_counters"]
# The evaluation domain's tables (issue 14), children first so the drops need no cascade.
EVAL_TABLES = ["eval_judgments", "eval_conversations", "eval_runs"]
# The client contract's profile fields, added with issue 12.
USER_COLUMNS_ADDED_LATER = [
    "preferred_name",
    "text_language_preference",
    "audio_language_preference",
]


def build_original_shape(url: str) -> None:
    """`users` without the profile's name and language columns (one onboarded user);
    `sessions` with only its original columns; `book_jobs` without progress, lease and
    creation-time columns, with a NOT NULL `book_id`, the old one-running-job index and no
    per-book index; no `book_pages`, `llm_calls`, `llm_config` or evaluation tables; rows in
    sessions, events and jobs."""
    engine = create_engine(url)
    try:
        all_metadata().create_all(engine)
        with engine.begin() as conn:
            drops = ", ".join(f"DROP COLUMN {c}" for c in SESSION_COLUMNS_ADDED_LATER)
            conn.execute(text(f"ALTER TABLE sessions {drops}"))
            later = BOOK_JOB_PROGRESS_COLUMNS + BOOK_JOB_COLUMNS_ADDED_LATER
            drops = ", ".join(f"DROP COLUMN {c}" for c in later)
            conn.execute(text(f"ALTER TABLE book_jobs {drops}"))
            # Every job belonged to a book until jobs without one (evaluation runs) came.
            conn.execute(text("ALTER TABLE book_jobs ALTER COLUMN book_id SET NOT NULL"))
            drops = ", ".join(f"DROP COLUMN {c}" for c in USER_COLUMNS_ADDED_LATER)
            conn.execute(text(f"ALTER TABLE users {drops}"))
            for index in INDEXES_ADDED_LATER:
                conn.execute(text(f"DROP INDEX {index}"))
            conn.execute(text("DROP INDEX idx_book_running_job"))
            conn.execute(
                text(
                    "CREATE UNIQUE INDEX idx_book_running_job ON book_jobs (book_id) "
                    "WHERE status = 'running'"
                )
            )
            for table in TABLES_ADDED_LATER + EVAL_TABLES:
                conn.execute(text(f"DROP TABLE {table}"))
            _insert_legacy_rows(conn)
    finally:
        engine.dispose()


def _insert_legacy_rows(conn) -> None:
    conn.execute(
        text(
            "INSERT INTO users (id, cognito_sub, email, name, age, grade, board, "
            "onboarding_complete) VALUES ('u1', 'sub-legacy', 'old@example.com', 'Meera', 10, "
            "5, 'CBSE', true)"
        )
    )
    conn.execute(
        text(
            "INSERT INTO sessions (id, student_json, goal_json, state_json, mastery, step_idx) "
            "VALUES (:id, :student, :goal, :state, :mastery, :step)"
        ),
        [
            {
                "id": f"s{i}",
                "student": f'{{"name": "student {i}"}}',
                "goal": '{"topic": "fractions"}',
                "state": f'{{"turn": {i}}}',
                "mastery": 0.25 * i,
                "step": i,
            }
            for i in range(1, 4)
        ],
    )
    conn.execute(
        text(
            "INSERT INTO events (id, session_id, node, step_idx, payload_json) "
            "VALUES ('e1', 's1', 'Present', 0, '{\"text\": \"hello\"}')"
        )
    )
    conn.execute(
        text(
            "INSERT INTO books (id, title, country, board, grade, subject, s3_prefix) VALUES "
            "('b1', 'Maths 5', 'India', 'CBSE', 5, 'Maths', 'books/b1/'), "
            "('b2', 'Science 6', 'India', 'CBSE', 6, 'Science', 'books/b2/')"
        )
    )
    conn.execute(
        text(
            "INSERT INTO book_jobs (id, book_id, job_type, status, started_at) VALUES "
            "('j-running', 'b1', 'extraction', 'running', now() - interval '2 hours'), "
            "('j-done', 'b1', 'sync', 'completed', now() - interval '3 hours'), "
            "('j-pending', 'b2', 'extraction', 'pending', NULL)"
        )
    )
