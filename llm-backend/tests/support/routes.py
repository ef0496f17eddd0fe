"""The app's route table as served, and what each route depends on (for route-table checks)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from fastapi import FastAPI
from fastapi import routing as fastapi_routing
from fastapi.dependencies.models import Dependant


def app_routes(app: FastAPI) -> list:
    """Every route as served. FastAPI >= 0.120 keeps included routers as wrappers in
    `app.routes`; `iter_route_contexts` flattens them, with router-level dependencies merged."""
    iterate = getattr(fastapi_routing, "iter_route_contexts", None)
    return list(iterate(app.routes)) if iterate else list(app.routes)


def dependency_calls(dependant: Dependant) -> Iterator[Callable]:
    """Every dependency callable in the route's dependency tree, nested ones included."""
    for dep in dependant.dependencies:
        if dep.call is not None:
            yield dep.call
        yield from dependency_calls(dep)
