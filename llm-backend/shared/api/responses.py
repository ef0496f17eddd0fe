"""The error answers of every route, in the OpenAPI document, with the one error schema.

`shared.api.route.ApiRoute` (every router's route class) declares, for each route, the error
statuses the route can answer, all with `ErrorBody` (what `shared.api.error_handlers` sends):
- 422 always (the request guard checks every path and query string; FastAPI's own
  `HTTPValidationError` never appears: its `{"detail": [...]}` is not what clients get, the
  field list is `errors` and `detail` is a string);
- 404 when the path has parameters, 413 when the route takes a body;
- what its dependencies answer, as they declare it with `@answers(...)` (401/403 for the
  auth dependencies, 503 for the database and the token key server, 404 for an owned session);
- what the route adds itself: `@router.post(..., responses=errors(409))`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from http import HTTPStatus
from typing import Any, TypeVar

from fastapi import params
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_dependant
from pydantic import BaseModel, ConfigDict, Field
from starlette.routing import compile_path

F = TypeVar("F", bound=Callable[..., Any])

_DESCRIPTIONS = {
    400: "The request is not valid for this resource",
    401: "The bearer token is missing or invalid",
    403: "The caller may not do this (not an admin, or a disabled account)",
    404: "Nothing with this id (or not the caller's)",
    409: "The resource's state does not allow this now (e.g. a job is running)",
    412: "The resource is no longer the one the If-Match tag names; nothing was changed",
    413: "The request body is too large",
    415: "The uploaded file is not of a type this route accepts",
    422: "A parameter or body field is invalid; the message names it, `errors` lists each",
    503: "A dependency (database, token keys, model provider, storage) is unavailable; retry later",
}


class ErrorDetail(BaseModel):
    code: str = Field(description="Machine-readable, e.g. `validation_error`, `job_running`")
    message: str = Field(description="Safe to show; names the offending field for a 422")


class DetailObject(BaseModel):
    """`detail` of an error that carries data the client acts on."""

    model_config = ConfigDict(extra="allow")

    message: str = Field(description="The same text as `error.message`")
    existing_session_id: str | None = Field(
        default=None,
        description="409 on `POST /sessions`: the caller's unfinished exam on this guideline",
    )


class FieldError(BaseModel):
    loc: list[str | int] = Field(
        description='Where: the request part, then the field, e.g. `["body", "title"]`'
    )
    msg: str = Field(description="What is wrong with it")
    type: str = Field(description="Machine-readable, e.g. `missing`, `int_parsing`")


class ErrorBody(BaseModel):
    """Every 4xx and 5xx answer of the API."""

    error: ErrorDetail
    detail: str | DetailObject = Field(
        description="What a client shows: `error.message` again, or an object with it as "
        "`message` plus data to act on (the exam conflict's `existing_session_id`)"
    )
    errors: list[FieldError] = Field(
        default_factory=list,
        description="On a 422 only: every invalid field (never empty there)",
    )


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error statuses, each with the ErrorBody schema."""
    return {
        status: {
            "model": ErrorBody,
            "description": _DESCRIPTIONS.get(status) or HTTPStatus(status).phrase,
        }
        for status in sorted(statuses)
    }


def answers(*statuses: int) -> Callable[[F], F]:
    """Marks a dependency with the error statuses it can answer; every route that depends on
    it (directly or through other dependencies) declares them."""

    def mark(dependency: F) -> F:
        # A marker on the function object (functions take attributes; their type has none).
        dependency.error_statuses = statuses  # type: ignore[attr-defined]
        return dependency

    return mark


def _dependency_calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _dependency_calls(sub)


def derived_statuses(
    path: str, endpoint: Callable[..., Any], dependencies: Sequence[params.Depends] = ()
) -> set[int]:
    path_format = compile_path(path)[1]  # `{key:path}` -> `{key}`, as FastAPI reads it
    dependant = get_dependant(path=path_format, call=endpoint)
    for depends in dependencies:
        # A bare `Depends()` has nothing to call here: it is resolved from a parameter's
        # annotation, and a route-level dependency has no parameter.
        if depends.dependency is not None:
            dependant.dependencies.append(get_dependant(path=path_format, call=depends.dependency))
    statuses = {422}
    if dependant.path_params:
        statuses.add(404)
    if dependant.body_params:
        statuses.add(413)
    for call in _dependency_calls(dependant):
        statuses.update(getattr(call, "error_statuses", ()))
    return statuses
