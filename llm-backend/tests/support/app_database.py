"""Which database the app under test uses, and emptying it between tests."""

from __future__ import annotations

import os

from sqlalchemy import Engine

from config import reset_settings
from database import reset_db_manager


def use_database(url: str | None) -> None:
    """Point settings and the DatabaseManager at `url` (None = embedded SQLite)."""
    if url is None:
        os.environ.pop("DATABASE_URL", None)
    else:
        os.environ["DATABASE_URL"] = url
    reset_settings()
    reset_db_manager()


def empty_all_tables(engine: Engine) -> None:
    """Delete every row (children first) and reseed llm_config and llm_prices; on tables this
    small DELETE is much cheaper than TRUNCATE, which rewrites files and takes exclusive locks."""
    from db import TABLES, default_llm_config_rows
    from shared.llm.prices import seeded_price_rows
    from shared.models.registry import all_metadata

    with engine.begin() as conn:
        for table in reversed(all_metadata().sorted_tables):
            conn.execute(table.delete())
        conn.execute(TABLES["llm_config"].insert(), default_llm_config_rows())
        conn.execute(TABLES["llm_prices"].insert(), seeded_price_rows())
