"""`ApiRoute`: the route class of every router (`APIRouter(..., route_class=ApiRoute)`).

It adds two things to each route, so no route has to write them:
- its error answers in the OpenAPI document, with the one error schema (`responses`);
- the request guard's check of path parameters (`request_guard` checks the query string and
  the body before routing; a path parameter only has a name once the route has matched).
  Text the database cannot store in one (`/admin/books/x%00`) is a 422 naming it
  (`path.book_id`) before the body is parsed or any dependency runs.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from fastapi import Request, Response, params
from fastapi.routing import APIRoute

from shared.api.input_scan import BadText, check_text
from shared.api.responses import derived_statuses, errors
from shared.errors import ValidationFailedError


def check_path_params(path_params: dict[str, Any]) -> None:
    for name, value in path_params.items():
        if isinstance(value, str):
            try:
                check_text(f"path.{name}", value)
            except BadText as exc:
                raise ValidationFailedError(exc.message, errors=[exc.field_error()]) from None


class ApiRoute(APIRoute):
    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        responses: dict[int | str, dict[str, Any]] | None = None,
        dependencies: Sequence[params.Depends] | None = None,
        **kwargs: Any,
    ) -> None:
        statuses = derived_statuses(path, endpoint, dependencies or ())
        responses = {**errors(*statuses), **(responses or {})}
        super().__init__(path, endpoint, responses=responses, dependencies=dependencies, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def checked_handler(request: Request) -> Response:
            check_path_params(request.path_params)
            return await handler(request)

        return checked_handler
