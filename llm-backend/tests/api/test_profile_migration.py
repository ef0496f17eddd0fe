"""A database from before the profile's name and language columns: the migration adds them
once (a second run does nothing), existing users keep their rows and onboarding, and the API
answers their unset languages as "en"."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from db import run_migrations
from shared.models.registry import all_metadata
from tests.support.app_database import use_database
from tests.support.auth import KEY, bearer, build_test_app, claims, sign
from tests.support.legacy import USER_COLUMNS_ADDED_LATER


def test_old_users_table_gains_the_columns_and_old_users_keep_working(fresh_database, cognito_env):
    engine = create_engine(fresh_database)
    try:
        all_metadata().create_all(engine)
        with engine.begin() as conn:
            drops = ", ".join(f"DROP COLUMN {c}" for c in USER_COLUMNS_ADDED_LATER)
            conn.execute(text(f"ALTER TABLE users {drops}"))
            conn.execute(
                text(
                    "INSERT INTO users (id, cognito_sub, name, age, grade, board, "
                    "onboarding_complete) VALUES ('u-old', 'sub-old', 'Meera', 10, 5, 'ICSE', "
                    "true)"
                )
            )

        first = run_migrations(engine)
        second = run_migrations(engine)
    finally:
        engine.dispose()

    steps = {s["name"]: s["actions"] for s in first.steps}
    assert steps["apply_user_profile_columns"] == [
        f"add column users.{c}" for c in USER_COLUMNS_ADDED_LATER
    ]
    assert not second.changed

    use_database(fresh_database)
    token = bearer(sign(claims(sub="sub-old", token_use="access"), KEY))
    with TestClient(build_test_app()) as client:
        before = client.get("/profile", headers=token).json()
        saved = client.put("/profile", headers=token, json={"preferred_name": "Mini"}).json()
    assert (before["id"], before["name"], before["onboarding_complete"]) == ("u-old", "Meera", True)
    assert before["preferred_name"] is None
    assert (before["text_language_preference"], before["audio_language_preference"]) == (
        "en",
        "en",
    )
    assert (saved["preferred_name"], saved["board"]) == ("Mini", "ICSE")
