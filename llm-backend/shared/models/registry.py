"""Imports every domain's models so `Base.metadata` describes the whole schema."""

from __future__ import annotations

from sqlalchemy import MetaData

import book_ingestion.models.database  # noqa: F401  (registers tables)
import evaluation.models.tables  # noqa: F401  (registers tables)
from shared.jobs import models as job_models  # noqa: F401  (registers tables)
from shared.models import entities, rate_limit  # noqa: F401  (registers tables)
from shared.models.base import Base


def all_metadata() -> MetaData:
    return Base.metadata
