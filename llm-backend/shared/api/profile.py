"""The signed-in user's own account: sync from the token, read and edit the profile."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator

from shared.api.params import StrictAge, StrictGrade
from shared.api.route import ApiRoute
from shared.auth.dependencies import CurrentUser, DbSession, Identity
from shared.services import user_service

router = APIRouter(tags=["profile"], route_class=ApiRoute)

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Board = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
SchoolName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
AboutMe = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class ProfileUpdate(BaseModel):
    """A partial update: fields left out are unchanged. Unknown fields (a typo, or an attempt
    to set `onboarding_complete` or `email`) are a 422 naming the field."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    age: StrictAge | None = None
    grade: StrictGrade | None = None
    board: Board | None = None
    school_name: SchoolName | None = None
    about_me: AboutMe | None = None

    @field_validator("name", "age", "grade", "board")
    @classmethod
    def _required_stay_set(cls, value):
        # Onboarding fields can change but not be cleared: onboarding, once complete, stays.
        if value is None:
            raise ValueError("cannot be cleared; send a value")
        return value

    @field_validator("school_name", "about_me")
    @classmethod
    def _empty_clears(cls, value: str | None) -> str | None:
        return value or None


class ProfileRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str | None
    phone: str | None
    auth_provider: str
    name: str | None
    age: int | None
    grade: int | None
    board: str | None
    school_name: str | None
    about_me: str | None
    onboarding_complete: bool
    created_at: datetime
    last_login_at: datetime | None


@router.post("/auth/sync")
def sync_account(user: CurrentUser, identity: Identity, db: DbSession) -> ProfileRead:
    """Create or refresh the caller's account from their token (call after each sign-in)."""
    return ProfileRead.model_validate(user_service.sync_user(session=db, identity=identity))


@router.get("/profile")
def read_profile(user: CurrentUser) -> ProfileRead:
    return ProfileRead.model_validate(user)


@router.put("/profile")
def update_profile(body: ProfileUpdate, user: CurrentUser, db: DbSession) -> ProfileRead:
    changes = body.model_dump(exclude_unset=True)
    updated = user_service.update_profile(session=db, user_id=user.id, changes=changes)
    return ProfileRead.model_validate(updated)
