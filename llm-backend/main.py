"""FastAPI application factory: routers, error handlers, middleware."""

from __future__ import annotations

from fastapi import FastAPI

from shared.api import health
from shared.api.error_handlers import install_error_handlers
from shared.observability.request_id import RequestIdMiddleware


def create_app() -> FastAPI:
    app = FastAPI(
        title="AI Tutor Backend",
        version="0.1.0",
        description="Tutoring sessions, curriculum, book ingestion and LLM configuration.",
    )
    install_error_handlers(app)
    app.add_middleware(RequestIdMiddleware)
    app.include_router(health.router)
    return app


app = create_app()
