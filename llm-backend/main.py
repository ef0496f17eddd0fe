"""FastAPI application factory: routers, error handlers, middleware.

A process serves one app: `get_app()` builds it on first use and every entry point takes it
from there (uvicorn's `main:app`, Lambda's adapter in lambda_handler.py). `create_app()` builds
a fresh one, for tests that need an app of their own.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import FastAPI

from book_ingestion.api import router as book_ingestion_router
from config import get_settings
from evaluation.api.routes import router as evaluation_router
from shared.api import (
    admin_pages,
    files,
    health,
    learner_page,
    llm_config,
    llm_prices,
    local_signin,
    phone_provision,
    profile,
    public_config,
)
from shared.api.cors import CorsMiddleware
from shared.api.error_handlers import install_error_handlers
from shared.api.request_budget import RequestBudgetMiddleware
from shared.api.request_guard import RequestGuardMiddleware
from shared.heap import freeze_startup_objects
from shared.observability.logging import get_logger
from shared.observability.request_id import RequestIdMiddleware
from study_plans.api.plans import router as study_plans_router
from tutor.api import agent_logs, contents_admin, curriculum, progress, sessions, voice


def create_app() -> FastAPI:
    get_logger()  # JSON logs with request ids from the first line on
    app = FastAPI(
        title="AI Tutor Backend",
        version="0.1.0",
        description="Tutoring sessions, curriculum, book ingestion and LLM configuration.",
    )
    install_error_handlers(app)
    app.add_middleware(RequestBudgetMiddleware)
    # The request-id middleware is outside the guard: the guard's answers carry the id.
    app.add_middleware(RequestGuardMiddleware)
    app.add_middleware(RequestIdMiddleware)
    # Added last, so the outermost: every answer, the last-resort 500 included, gets the CORS
    # headers, and a preflight is answered before the guard and authentication.
    app.add_middleware(CorsMiddleware)
    app.include_router(health.router)
    # The session routes first: a turn is the hottest request, and routes are matched in
    # order. Progress before sessions: /sessions/{session_id} would read /sessions/history
    # as an id.
    app.include_router(progress.router)
    app.include_router(sessions.router)
    app.include_router(agent_logs.router)
    app.include_router(profile.router)
    app.include_router(phone_provision.router)
    app.include_router(public_config.router)
    if get_settings().local_sign_in:
        # Registered only in local auth mode: elsewhere the route does not exist at all.
        app.include_router(local_signin.router)
    app.include_router(llm_config.router)
    admin_pages.install(app)
    app.include_router(learner_page.router)
    app.include_router(llm_prices.router)
    app.include_router(study_plans_router)
    app.include_router(evaluation_router)
    app.include_router(book_ingestion_router)
    app.include_router(files.router)
    app.include_router(curriculum.router)
    app.include_router(contents_admin.router)
    app.include_router(voice.upload_router)
    app.include_router(voice.router)
    return app


@cache
def get_app() -> FastAPI:
    """The process's app, built on the first call; what start-up built is then frozen
    (shared.heap), as the process will serve this app until it ends."""
    app = create_app()
    freeze_startup_objects()
    return app


def __getattr__(name: str) -> Any:
    # `main:app` (uvicorn) resolves through here, so importing main for create_app() or
    # get_app() builds nothing, and uvicorn and Lambda share one app.
    if name == "app":
        return get_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
