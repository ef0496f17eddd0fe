"""401 answers for bad or missing tokens, with an RFC 6750 `WWW-Authenticate` header.

The error code is a short reason (`token_expired`, `invalid_signature`, ...) so a client can
tell "sign in again" from "this client is broken"; the message never echoes the token.
"""

from __future__ import annotations

from shared.errors import AuthenticationError

REALM = "tutor"

# reason code -> (RFC 6750 error, short description safe to show)
REASONS: dict[str, tuple[str, str]] = {
    "missing_token": ("", "Sign-in required: send 'Authorization: Bearer <token>'."),
    "invalid_header": ("invalid_request", "The Authorization header must be 'Bearer <token>'."),
    "malformed_token": ("invalid_token", "The token is not a well-formed JWT."),
    "unsupported_algorithm": ("invalid_token", "The token must be signed with RS256."),
    "unknown_key": ("invalid_token", "The token was signed with an unknown key."),
    "invalid_signature": ("invalid_token", "The token's signature is not valid."),
    "token_expired": ("invalid_token", "The token has expired."),
    "token_not_yet_valid": ("invalid_token", "The token is not valid yet."),
    "invalid_issuer": ("invalid_token", "The token was issued by an untrusted issuer."),
    "invalid_audience": ("invalid_token", "The token was issued for another client."),
    "invalid_token_use": ("invalid_token", "Only id and access tokens are accepted."),
    "invalid_token": ("invalid_token", "The token is not valid."),
}


def token_error(reason: str) -> AuthenticationError:
    """An `AuthenticationError` (401) whose code is `reason` and whose headers challenge for a
    bearer token. Descriptions are fixed strings, so they never need quoting."""
    error, message = REASONS.get(reason, REASONS["invalid_token"])
    if reason not in REASONS:
        reason = "invalid_token"
    challenge = f'Bearer realm="{REALM}"'
    if error:
        # The RFC's error_description: the message without its final period.
        challenge += f', error="{error}", error_description="{message.rstrip(".")}"'
    return AuthenticationError(message, code=reason, headers={"WWW-Authenticate": challenge})
