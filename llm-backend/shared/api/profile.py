"""The signed-in user's own account: sync from the token, read and edit the profile."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator

from database import DbSession
from shared.api.params import StrictAge, StrictGrade
from shared.api.route import ApiRoute
from shared.auth.dependencies import CurrentUser, Identity
from shared.models.enums import Language
from shared.services import user_service

router = APIRouter(tags=["profile"], route_class=ApiRoute)

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
PreferredName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Board = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
SchoolName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
AboutMe = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
DEFAULT_LANGUAGE = "en"
# Optional texts an empty string clears (null never clears: it means "leave as is").
CLEARABLE = ("preferred_name", "school_name", "about_me")


class ProfileUpdate(BaseModel):
    """A partial update, as the client contract defines it: fields left out or sent as null
    are unchanged (the onboarding wizard sends one field per step). `""` clears
    `preferred_name`, `school_name` and `about_me`. Unknown fields (a typo, or an attempt to set
    `onboarding_complete` or `email`) are a 422 naming the field."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    preferred_name: PreferredName | None = None
    age: StrictAge | None = None
    grade: StrictGrade | None = None
    board: Board | None = None
    school_name: SchoolName | None = None
    about_me: AboutMe | None = None
    text_language_preference: Language | None = None
    audio_language_preference: Language | None = None

    def changes(self) -> dict[str, Any]:
        """Column -> new value; None means "clear"."""
        sent = self.model_dump(exclude_unset=True, exclude_none=True)
        return {k: (v or None) if k in CLEARABLE else v for k, v in sent.items()}


class ProfileRead(BaseModel):
    """The profile object of the client contract (`/auth/sync`, `GET`/`PUT /profile`), plus
    what this backend adds: `created_at`, `last_login_at`."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str | None
    phone: str | None
    name: str | None
    preferred_name: str | None
    age: int | None
    grade: int | None
    board: str | None
    school_name: str | None
    about_me: str | None
    text_language_preference: Language
    audio_language_preference: Language
    onboarding_complete: bool
    auth_provider: str
    created_at: datetime
    last_login_at: datetime | None

    @field_validator("text_language_preference", "audio_language_preference", mode="before")
    @classmethod
    def _unset_is_english(cls, value: str | None) -> str:
        # Rows from before the language columns (and users who never chose) hold NULL.
        return value or DEFAULT_LANGUAGE


@router.post("/auth/sync")
def sync_account(user: CurrentUser, identity: Identity, session: DbSession) -> ProfileRead:
    """Create or refresh the caller's account from their token (call after each sign-in; the
    client sends its ID token and no body). Answers the whole stored profile."""
    return ProfileRead.model_validate(user_service.sync_user(session=session, identity=identity))


@router.get("/profile")
def read_profile(user: CurrentUser) -> ProfileRead:
    return ProfileRead.model_validate(user)


@router.put("/profile")
def update_profile(body: ProfileUpdate, user: CurrentUser, session: DbSession) -> ProfileRead:
    updated = user_service.update_profile(session=session, user_id=user.id, changes=body.changes())
    return ProfileRead.model_validate(updated)
