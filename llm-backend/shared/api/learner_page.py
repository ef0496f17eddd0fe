"""The learner page at `/`: a static HTML shell whose ES modules sign the student in and call
the public learner API with the student's token.

Like the admin shells it holds no data and takes no input (the route-protection test keeps it
so); its modules and stylesheet are served with the admin pages' assets."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from shared.api.admin_pages import STATIC
from shared.api.route import ApiRoute

router = APIRouter(tags=["learner: page"], route_class=ApiRoute)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def learner_page() -> HTMLResponse:
    return HTMLResponse(
        (STATIC / "learner.html").read_text(encoding="utf-8"),
        # The shell names its modules by fixed paths: a stale cached shell must not outlive them.
        headers={"Cache-Control": "no-cache"},
    )
