"""FastAPI dependencies: who is calling, may they, and do they own what they ask for.

    def route(user: CurrentUser): ...            # any signed-in user (401 otherwise)
    def admin_route(admin: AdminUser): ...       # `admin` group (401 / 403 otherwise)
    def session_route(s: OwnedSession): ...      # path param `session_id`, owner only (404)

Every route that reads or changes a user's data or admin data depends on one of these; a test
walks the route table to keep it so. The turn route (tutor/api/turn_access.py) reads the user and
the session in one statement and applies the same rules through `signed_in_unless_anonymous`,
`user_for` and `owned_or_404`.
"""

from __future__ import annotations

from typing import Annotated, TypeGuard

from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from sqlalchemy.orm import Session

from config import get_settings
from database import DbSession
from shared.api.responses import answers
from shared.auth.errors import token_error
from shared.auth.identity import VerifiedIdentity
from shared.auth.verifier import TokenVerifier, get_verifier
from shared.errors import NotFoundError, PermissionDeniedError
from shared.models.entities import Session as TutorSession
from shared.models.entities import User
from shared.services import user_service


class BearerToken(HTTPBearer):
    """Reads `Authorization: Bearer <token>`. Unlike FastAPI's HTTPBearer it tells a missing
    header (None: the caller decides) from a malformed one (401 invalid_header), and it still
    declares the scheme in OpenAPI so /docs offers "Authorize"."""

    def __init__(self) -> None:
        super().__init__(auto_error=False, bearerFormat="JWT", scheme_name="CognitoBearer")

    # Narrower than HTTPBearer.__call__ on purpose: routes get the token string, not credentials.
    async def __call__(self, request: Request) -> str | None:  # type: ignore[override]
        header = request.headers.get("authorization")
        if header is None:
            return None
        parts = header.split(" ")
        if len(parts) != 2 or parts[0].lower() != "bearer" or not parts[1].strip():
            raise token_error("invalid_header")
        return parts[1]


bearer_token = BearerToken()


def get_token_verifier() -> TokenVerifier:
    """The process's verifier (tests override this dependency to inject one)."""
    return get_verifier()


@answers(401, 503)  # bad token; the key server down and the token's key not cached
def get_optional_identity(
    token: Annotated[str | None, Depends(bearer_token)],
    verifier: Annotated[TokenVerifier, Depends(get_token_verifier)],
) -> VerifiedIdentity | None:
    """The verified caller, or None when no Authorization header was sent. A header that is
    present but bad is always a 401, never "anonymous"."""
    return verifier.verify(token) if token is not None else None


OptionalIdentity = Annotated[VerifiedIdentity | None, Depends(get_optional_identity)]


def get_identity(identity: OptionalIdentity) -> VerifiedIdentity:
    if identity is None:
        raise token_error("missing_token")
    return identity


Identity = Annotated[VerifiedIdentity, Depends(get_identity)]


def user_for(identity: VerifiedIdentity, session: Session, *, found: User | None = None) -> User:
    """The caller's row (created on first sight, last login refreshed by its rule), 403 when
    the account is disabled. `found`: the row already read for `identity.sub`, if it was."""
    user = user_service.get_or_create_user(session=session, identity=identity, found=found)
    if not user.is_active:
        raise PermissionDeniedError("This account is disabled.", code="account_disabled")
    return user


@answers(403)  # a disabled account
def get_current_user(identity: Identity, session: DbSession) -> User:
    """The signed-in user's row, created on first sight from the token's claims."""
    return user_for(identity, session)


@answers(403)
def get_admin_identity(identity: Identity) -> VerifiedIdentity:
    # Checked before the user row is touched: a refused caller causes no writes.
    if not identity.is_admin:
        raise PermissionDeniedError("Administrator access required.", code="admin_required")
    return identity


@answers(403)
def require_admin(
    identity: Annotated[VerifiedIdentity, Depends(get_admin_identity)], session: DbSession
) -> User:
    """The signed-in user, who must be in the `admin` Cognito group (403 otherwise)."""
    return user_for(identity, session)


@answers(401, 403)
def get_session_owner(identity: OptionalIdentity, session: DbSession) -> User | None:
    """Who may own tutoring sessions in this request: the signed-in user, or None (anonymous)
    when ALLOW_ANONYMOUS_SESSIONS is on and no token was sent. Use it when creating sessions."""
    return user_for(identity, session) if signed_in_unless_anonymous(identity) else None


def signed_in_unless_anonymous(identity: VerifiedIdentity | None) -> TypeGuard[VerifiedIdentity]:
    """Whether the caller is signed in; no token means anonymous only while
    ALLOW_ANONYMOUS_SESSIONS is on (401 otherwise)."""
    if identity is None:
        if get_settings().allow_anonymous_sessions:
            return False
        raise token_error("missing_token")
    return True


SessionOwner = Annotated[User | None, Depends(get_session_owner)]


@answers(404)
def get_owned_session(session_id: str, owner: SessionOwner, session: DbSession) -> TutorSession:
    """The tutoring session `session_id` if the caller may see it, else 404: another user's
    session looks exactly like one that does not exist, so ids cannot be probed. A session
    without a user (anonymous) is reachable only while ALLOW_ANONYMOUS_SESSIONS is on."""
    return owned_or_404(session.get(TutorSession, session_id), owner)


def owned_or_404(row: TutorSession | None, owner: User | None) -> TutorSession:
    """`row` if `owner` (None: anonymous) may see it, else 404 (see get_owned_session)."""
    if row is None:
        raise NotFoundError("Session not found.", code="session_not_found")
    if row.user_id is None:
        if get_settings().allow_anonymous_sessions:
            return row
    elif owner is not None and row.user_id == owner.id:
        return row
    raise NotFoundError("Session not found.", code="session_not_found")


CurrentUser = Annotated[User, Depends(get_current_user)]
AdminUser = Annotated[User, Depends(require_admin)]
OwnedSession = Annotated[TutorSession, Depends(get_owned_session)]


@answers(401)
def get_signed_in_owner(owner: SessionOwner) -> User:
    """The signed-in caller of a session route that needs a token even where anonymous
    sessions are allowed. Built on SessionOwner, which the ownership check uses too, so the
    user row is read once per request."""
    if owner is None:
        raise token_error("missing_token")
    return owner


SignedInOwner = Annotated[User, Depends(get_signed_in_owner)]


def get_signed_in_session(owner: SignedInOwner, row: OwnedSession) -> TutorSession:
    """Routes the contract marks "required auth + ownership": a token is needed even for an
    anonymous session (which anyone signed in may act on, as upstream)."""
    return row


@answers(403)
def get_session_for_owner_only(owner: SignedInOwner, row: OwnedSession) -> TutorSession:
    """`/replay` and `/exam-review` are stricter (contract §1.2): only the owner, so an
    anonymous session is 403 to everyone; another user's session is 404 through OwnedSession,
    like a missing one."""
    if row.user_id != owner.id:
        raise PermissionDeniedError("Not your session", code="not_session_owner")
    return row


SignedInSession = Annotated[TutorSession, Depends(get_signed_in_session)]
OwnerOnlySession = Annotated[TutorSession, Depends(get_session_for_owner_only)]
