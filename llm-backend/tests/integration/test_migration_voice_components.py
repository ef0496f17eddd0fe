"""The voice components reach databases migrated before they existed: `seed_added_llm_config`
adds the rows a database lacks, never overwrites an admin's choice, and then changes nothing."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from db import run_migrations
from tests.support.app_database import use_database


def _config(engine) -> dict[str, tuple[str, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT component_key, provider, model_id, updated_by FROM llm_config")
        ).all()
    return {key: (provider, model, by) for key, provider, model, by in rows}


def _actions(report) -> dict[str, list[str]]:
    return {step["name"]: step["actions"] for step in report.steps}


def test_an_existing_database_gains_the_voice_components_once(fresh_database):
    use_database(fresh_database)
    engine = create_engine(fresh_database)
    try:
        run_migrations(engine)
        # The shape of a database migrated before voice existed, with an admin's choices.
        with engine.begin() as conn:
            conn.execute(
                text(
                    "DELETE FROM llm_config "
                    "WHERE component_key IN ('speech_to_text', 'text_to_speech')"
                )
            )
            conn.execute(
                text(
                    "UPDATE llm_config SET provider = 'anthropic', "
                    "model_id = 'claude-opus-4-6', updated_by = 'ops' WHERE component_key = 'tutor'"
                )
            )
        before = _config(engine)

        planned = run_migrations(engine, dry_run=True)
        assert _actions(planned)["seed_added_llm_config"] == [
            "add llm_config rows for speech_to_text, text_to_speech"
        ]
        assert _config(engine) == before  # a status run changes nothing

        report = run_migrations(engine)

        assert _actions(report)["seed_llm_config"] == []  # the table was not empty
        after = _config(engine)
        assert after.pop("speech_to_text") == ("openai", "gpt-4o-mini-transcribe", "migration")
        assert after.pop("text_to_speech") == ("openai", "gpt-4o-mini-tts", "migration")
        assert after == before  # the other rows, the admin's choice included, are untouched
        assert not run_migrations(engine).changed
    finally:
        engine.dispose()


def test_an_admins_choice_for_a_voice_component_is_kept(fresh_database):
    use_database(fresh_database)
    engine = create_engine(fresh_database)
    try:
        run_migrations(engine)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE llm_config SET model_id = 'whisper-1', updated_by = 'ops' "
                    "WHERE component_key = 'speech_to_text'"
                )
            )
            conn.execute(text("DELETE FROM llm_config WHERE component_key = 'text_to_speech'"))

        report = run_migrations(engine)

        assert _actions(report)["seed_added_llm_config"] == [
            "add llm_config rows for text_to_speech"
        ]
        config = _config(engine)
        assert config["speech_to_text"] == ("openai", "whisper-1", "ops")
        assert config["text_to_speech"] == ("openai", "gpt-4o-mini-tts", "migration")
        assert len(config) == 8
    finally:
        engine.dispose()
