"""Column types shared by every model."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy import DateTime, Dialect, Text
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """TIMESTAMP WITH TIME ZONE that always hands back aware UTC datetimes.

    PostgreSQL does that already; SQLite (the embedded default) stores no zone and returns
    naive values, so they are stored as UTC and read back marked as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class JsonModel(TypeDecorator[BaseModel]):
    """A pydantic model stored as JSON text: the column stays TEXT (no migration), code reads
    and writes the model. Binds any model instance (a subclass writes its own fields) through
    its `to_json()` when it has one, so one method decides the stored text."""

    impl = Text
    cache_ok = True

    def __init__(self, model: type[BaseModel]) -> None:
        super().__init__()
        self.model = model

    def process_bind_param(self, value: BaseModel | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        to_json = getattr(value, "to_json", None)
        return to_json() if to_json is not None else value.model_dump_json()

    def process_result_value(self, value: str | None, dialect: Dialect) -> BaseModel | None:
        return None if value is None else self.model.model_validate_json(value)
