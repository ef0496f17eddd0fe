"""Every route is either on the public list or guarded by an auth dependency; every route under
/admin and /api/admin needs the admin one. Checked on the real app's route table, then by
calling each guarded route without a token (401) and with a student token (403 on admin)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.routing import Mount, Route

from main import create_app
from shared.auth.dependencies import (
    AdminUser,
    CurrentUser,
    get_current_user,
    get_session_owner,
    require_admin,
)
from tests.support.auth import KEY, bearer, claims, sign
from tests.support.routes import app_routes, dependency_calls
from tutor.api.turn_access import get_owned_turn

# Public on purpose. Adding to these lists is a security decision: say why in the review.
PUBLIC_PATHS = {
    "/health",
    "/health/db",
    # Whether the offline model is ready (no data; a newcomer's first-run page polls it).
    "/health/local-model",
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    # The step before a phone sign-in: the caller has no token yet. It only makes sure a
    # Cognito user exists (no data is read or returned) and is rate limited per IP and phone.
    "/auth/phone/provision",
    # The approved curriculum is the same for everyone (a token, if sent, is still checked).
    "/curriculum",
    # Provider and model names per component, no secrets; a 401 here would send the frontend
    # to its login page, so it reads no token at all.
    "/config/models",
    # How the pages sign in: the mode, and Cognito's public client id and login domain.
    "/config/auth",
    # The local sign-in screen's token route: registered only in local auth mode outside
    # production (tests/api/test_local_signin.py proves it absent elsewhere).
    "/auth/local/token",
}
# Pages' static HTML shells: they hold no data (the page signs in and calls the API with its
# token), so they must take no parameters and no dependencies at all.
ADMIN_PAGE_SHELLS = {
    "/admin",
    "/admin/llm-config",
    "/admin/evaluation",
    "/signin",
    "/signin/callback",
    # The learner page: a student's token does everything on it through the learner routes.
    "/",
}
# /api/evaluation keeps upstream's paths (§3.1) but is admin only like the rest (issue 14).
ADMIN_PREFIXES = ("/admin", "/api/admin", "/api/evaluation")
# A route is guarded when one of these is in its dependency tree. `get_session_owner` allows
# anonymous callers only while ALLOW_ANONYMOUS_SESSIONS is on (see the README);
# `get_owned_turn` applies the same rules to the turn route's single read
# (tests/api/test_turn_reads.py shows it answers as OwnedSession does).
USER_GUARDS: set[Callable] = {get_current_user, require_admin, get_session_owner, get_owned_turn}


def is_admin_path(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in ADMIN_PREFIXES)


def _takes_nothing(dependant: Dependant) -> bool:
    params = (dependant.path_params, dependant.query_params, dependant.header_params)
    return not dependant.dependencies and not any(params) and dependant.body_params == []


def unguarded_routes(app: FastAPI) -> list[str]:
    """Descriptions of the routes that break the rules (empty when all is well)."""
    problems = []
    for route in app_routes(app):
        kind = route.original_route if hasattr(route, "original_route") else route
        path, methods = route.path, sorted(getattr(route, "methods", None) or [])
        if isinstance(kind, APIRoute):
            calls = set(dependency_calls(route.dependant))
            if path in ADMIN_PAGE_SHELLS:
                if not _takes_nothing(route.dependant):
                    problems.append(f"{methods} {path}: a page shell must take no input")
            elif is_admin_path(path):
                if require_admin not in calls:
                    problems.append(f"{methods} {path}: needs AdminUser")
            elif path not in PUBLIC_PATHS and not calls & USER_GUARDS:
                problems.append(f"{methods} {path}: needs CurrentUser")
        elif isinstance(kind, Mount):
            # Only static files may be mounted; a mounted app would bypass this check.
            if not isinstance(kind.app, StaticFiles):
                problems.append(f"mount {path}: only StaticFiles may be mounted")
        elif isinstance(kind, Route):
            if path not in PUBLIC_PATHS:  # FastAPI's own docs routes are plain Routes
                problems.append(f"{path}: plain route outside the public list")
        else:
            problems.append(f"{path}: unknown kind of route {type(kind).__name__}")
    return problems


def test_every_route_of_the_app_is_guarded():
    assert unguarded_routes(create_app()) == []


def test_the_check_catches_unguarded_routes():
    app = create_app()

    @app.get("/api/admin/leak")
    def admin_without_admin(user: CurrentUser) -> dict:
        return {}

    @app.get("/admin/open")
    def admin_open() -> dict:
        return {}

    @app.get("/students")
    def open_list() -> dict:
        return {}

    @app.get("/api/admin/ok")
    def admin_ok(admin: AdminUser) -> dict:
        return {}

    @app.get("/admin/llm-config/{name}")
    def shell_with_input(name: str) -> dict:
        return {}

    app.mount("/sub", FastAPI())
    app.mount("/admin/ui", StaticFiles(directory="."), name="admin-ui")

    assert unguarded_routes(app) == [
        "['GET'] /api/admin/leak: needs AdminUser",
        "['GET'] /admin/open: needs AdminUser",
        "['GET'] /students: needs CurrentUser",
        "['GET'] /admin/llm-config/{name}: needs AdminUser",
        "mount /sub: only StaticFiles may be mounted",
    ]


def _guarded_routes() -> list[tuple[str, str]]:
    routes = []
    for route in app_routes(create_app()):
        if route.path in PUBLIC_PATHS | ADMIN_PAGE_SHELLS or not route.methods:
            continue
        if isinstance(getattr(route, "original_route", route), APIRoute):
            path = re.sub(r"\{[^}]+\}", "x", route.path)
            routes.extend((method, path) for method in sorted(route.methods))
    return routes


def test_the_app_has_guarded_routes_to_check():
    assert ("GET", "/profile") in _guarded_routes()


@pytest.mark.parametrize(("method", "path"), _guarded_routes())
def test_guarded_route_refuses_callers_without_a_token(auth_client, method, path):
    response = auth_client.request(method, path)
    assert response.status_code == 401, response.json()
    assert response.json()["error"]["code"] == "missing_token"
    assert response.headers["www-authenticate"] == 'Bearer realm="tutor"'


@pytest.mark.parametrize(
    ("method", "path"), [r for r in _guarded_routes() if is_admin_path(r[1])] or [("GET", "")]
)
def test_admin_routes_refuse_students(auth_client, method, path):
    if not path:
        pytest.skip("the app has no admin routes yet")
    student = bearer(sign(claims(sub="student"), KEY))
    response = auth_client.request(method, path, headers=student)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "admin_required"


def test_page_shells_must_take_no_input():
    app = FastAPI()

    @app.get("/admin/llm-config")
    def shell_reading_data(component: str) -> dict:
        return {}

    assert unguarded_routes(app) == ["['GET'] /admin/llm-config: a page shell must take no input"]
