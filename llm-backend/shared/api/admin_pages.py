"""The web pages: static HTML shells and the CSS / ES modules they load, served from the package.

A shell holds no data and takes no input; the page signs in (or takes a pasted token) and calls
the API with the token, so the shells and their assets are public like /docs (the
route-protection test keeps each shell parameter-free, and only StaticFiles may be mounted)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from shared.api.route import ApiRoute

STATIC = Path(__file__).resolve().parent / "static"
ASSETS_PATH = "/admin/assets"

router = APIRouter(tags=["admin: pages"], route_class=ApiRoute)


def _shell(name: str) -> HTMLResponse:
    return HTMLResponse(
        (STATIC / name).read_text(encoding="utf-8"),
        # A shell names its modules by fixed paths: a stale cached shell must not outlive them.
        headers={"Cache-Control": "no-cache"},
    )


@router.get("/signin", response_class=HTMLResponse, include_in_schema=False)
def signin_page() -> HTMLResponse:
    return _shell("signin.html")


@router.get("/signin/callback", response_class=HTMLResponse, include_in_schema=False)
def signin_callback_page() -> HTMLResponse:
    # The managed login's redirect target: the code and state stay in the browser (the page
    # reads them from its own URL), so this shell still takes no input.
    return _shell("signin_callback.html")


@router.get("/admin", response_class=HTMLResponse, include_in_schema=False)
def console_page() -> HTMLResponse:
    # The console's views live behind the hash (/admin#/books/...), which never reaches the
    # server: /admin/books and the rest stay the JSON API's.
    return _shell("console.html")


@router.get("/admin/llm-config", response_class=HTMLResponse, include_in_schema=False)
def llm_config_page() -> HTMLResponse:
    return _shell("llm_config.html")


@router.get("/admin/evaluation", response_class=HTMLResponse, include_in_schema=False)
def evaluation_page() -> HTMLResponse:
    return _shell("evaluation.html")


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount(ASSETS_PATH, StaticFiles(directory=STATIC / "assets"), name="admin-assets")
