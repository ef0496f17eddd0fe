"""ASGI middleware: every HTTP request runs under a model-call budget (shared.llm.deadline).

On Lambda, Mangum puts the invocation's context in the scope as `aws.context`; its remaining
time bounds the budget, so a cold start or a slow database leaves the model less time instead
of getting the invocation killed. Pure ASGI (not BaseHTTPMiddleware) so the contextvar reaches
the route, which FastAPI runs in a worker thread with a copy of this context.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from shared.llm import deadline


class RequestBudgetMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seconds = deadline.request_budget_seconds(scope.get("aws.context"))
        with deadline.budget(seconds):
            await self.app(scope, receive, send)
