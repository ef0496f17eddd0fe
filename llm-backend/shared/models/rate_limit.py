"""Fixed-window request counters shared by every API container (unauthenticated routes)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from shared.models.base import Base
from shared.models.types import UTCDateTime


class RateLimitCounter(Base):
    """One row per client bucket (`<scope>:<kind>:<hash>`), holding the current window only: a
    hit in a newer window restarts the count in the same row, so the table grows with distinct
    clients, not with time, and expired rows are pruned as new windows start."""

    __tablename__ = "rate_limit_counters"

    bucket: Mapped[str] = mapped_column(String, primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    hits: Mapped[int] = mapped_column(Integer, nullable=False)

    __table_args__ = (Index("idx_rate_limit_expires_at", "expires_at"),)
