"""`POST /auth/local/token`: the sign-in screen's "continue as admin / student" in local mode.

It mints a token from the local development issuer (README "Local tokens"), so the pages work
without Cognito on a laptop. The router is included only when `Settings.local_sign_in` holds
(`AUTH_MODE=local`, never in production): with Cognito settings or in production the route does
not exist at all (404, absent from OpenAPI), rather than existing and refusing.
"""

from __future__ import annotations

import hashlib
import re
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, StringConstraints

from config import get_settings
from shared.api.route import ApiRoute
from shared.auth.dev_token import DEFAULT_EXPIRES_IN
from shared.auth.identity import ADMIN_GROUP
from shared.auth.local_issuer import get_local_issuer

router = APIRouter(prefix="/auth/local", tags=["auth"], route_class=ApiRoute)


class LocalRole(StrEnum):
    admin = "admin"
    student = "student"


class LocalTokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: LocalRole
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


class LocalTokenRead(BaseModel):
    token: str
    token_type: str = "Bearer"
    expires_in: int


def local_sub(role: LocalRole, name: str) -> str:
    """A stable user id per role and name, so signing in again as "Asha" finds Asha's
    sessions; names with no latin letters or digits get a short hash instead of a slug."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40]
    if not slug:
        slug = hashlib.sha256(name.encode()).hexdigest()[:12]
    return f"local-{role.value}-{slug}"


@router.post("/token", response_model=LocalTokenRead)
def local_token(body: LocalTokenCreate) -> LocalTokenRead:
    """An id token from the local issuer for a made-up admin or student (local mode only)."""
    sub = local_sub(body.role, body.name)
    token = get_local_issuer(get_settings()).mint(
        sub=sub,
        email=f"{sub}@example.com",
        name=body.name,
        groups=[ADMIN_GROUP] if body.role == LocalRole.admin else [],
        expires_in=DEFAULT_EXPIRES_IN,
    )
    return LocalTokenRead(token=token, expires_in=DEFAULT_EXPIRES_IN)
