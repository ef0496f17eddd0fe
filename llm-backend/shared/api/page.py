"""`Page[T]`: the one shape of a paginated list answer (`items`, `total`, `limit`, `offset`).

A list names its own subclass (`class ContentPage(Page[ContentRead])`), so the OpenAPI
component keeps the list's name rather than pydantic's `Page_ContentRead_`."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
