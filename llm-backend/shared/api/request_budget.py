"""ASGI middleware: every HTTP request runs under a model-call budget (shared.llm.deadline).

On Lambda, Mangum puts the invocation's context in the scope as `aws.context`; its remaining
time bounds the budget, so a cold start or a slow database leaves the model less time instead
of getting the invocation killed. Pure ASGI (not BaseHTTPMiddleware) so the contextvar reaches
the route, which FastAPI runs in a worker thread with a copy of this context.
"""

from __future__ import annotations

from starlette.types import Receive, Scope, Send

from shared.api.asgi import HttpMiddleware
from shared.llm import deadline


class RequestBudgetMiddleware(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        seconds = deadline.request_budget_seconds(scope.get("aws.context"))
        with deadline.budget(seconds):
            await self.app(scope, receive, send)
