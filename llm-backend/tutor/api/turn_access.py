"""The turn route's guard: OwnedSession's rules (401 / 403 / 404, anonymous sessions, the
last-login refresh) applied to a read that also brings the session's guideline and examples,
so a turn reads once (tutor.services.turn_read). The other session routes use OwnedSession."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from database import DbSession
from shared.api.responses import answers
from shared.auth.dependencies import (
    OptionalIdentity,
    owned_or_404,
    signed_in_unless_anonymous,
    user_for,
)
from shared.models.entities import Session as TutorSession
from shared.models.entities import User
from tutor.services.turn_read import GuidelineRead, read_turn


@dataclass(frozen=True)
class OwnedTurn:
    row: TutorSession
    guideline: GuidelineRead


@answers(401, 403, 404)
def get_owned_turn(session_id: str, identity: OptionalIdentity, session: DbSession) -> OwnedTurn:
    """As `get_owned_session` over `get_session_owner`, in the same order: no token (unless
    anonymous sessions are on) is a 401 before any read, a disabled account a 403 whether or
    not the session exists, then a session the caller may not see is a 404."""
    owner: User | None = None
    if signed_in_unless_anonymous(identity):
        read = read_turn(session=session, session_id=session_id, sub=identity.sub)
        # A first request has no user row yet: user_for creates it (and reads it back).
        owner = user_for(identity, session, found=read.user)
    else:
        read = read_turn(session=session, session_id=session_id, sub=None)
    return OwnedTurn(owned_or_404(read.row, owner), read.guideline)


TurnSession = Annotated[OwnedTurn, Depends(get_owned_turn)]
