"""Who a verified token speaks for, read from its claims."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ADMIN_GROUP = "admin"
MAX_CLAIM_LENGTH = 320  # longest legal email address; longer strings are not stored
# Phone users are created in Cognito with a placeholder email (the pool's schema requires one)
# and their phone number as name (POST /auth/phone/provision, as upstream does): neither is
# real, so neither is copied into the profile.
PLACEHOLDER_EMAIL_DOMAIN = "placeholder.local"


def placeholder_email(phone: str) -> str:
    return f"phone_{phone.lstrip('+')}@{PLACEHOLDER_EMAIL_DOMAIN}"


@dataclass(frozen=True)
class VerifiedIdentity:
    """The caller, from a token whose signature and claims have been checked."""

    sub: str
    token_use: str  # "id" | "access"
    groups: tuple[str, ...] = ()
    email: str | None = None
    phone: str | None = None
    name: str | None = None
    auth_provider: str = "email"
    claims: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def is_admin(self) -> bool:
        return ADMIN_GROUP in self.groups

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> VerifiedIdentity:
        # Access tokens carry no profile claims (email, phone, name); only id tokens do.
        email = _text(claims.get("email")) if _verified(claims, "email_verified") else None
        if email and email.lower().endswith("@" + PLACEHOLDER_EMAIL_DOMAIN):
            email = None
        phone = (
            _text(claims.get("phone_number"))
            if _verified(claims, "phone_number_verified")
            else None
        )
        name = _name(claims)
        if name and name in (_text(claims.get("phone_number")), _username(claims)):
            name = None
        return cls(
            sub=str(claims["sub"]),
            token_use=str(claims["token_use"]),
            groups=_groups(claims.get("cognito:groups")),
            email=email.lower() if email else None,
            phone=phone,
            name=name,
            auth_provider=_provider(claims),
            claims=dict(claims),
        )


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if 0 < len(value) <= MAX_CLAIM_LENGTH else None


def _verified(claims: Mapping[str, Any], flag: str) -> bool:
    # Cognito sends booleans, federated identities sometimes the strings "true"/"false". An
    # address the user never proved is not stored: it could claim someone else's address.
    value = claims.get(flag, True)
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _groups(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):  # a single group is sometimes flattened to a string
        value = [value]
    if not isinstance(value, list):
        return ()
    return tuple(g for g in value if isinstance(g, str))


def _name(claims: Mapping[str, Any]) -> str | None:
    name = _text(claims.get("name"))
    if name:
        return name[:100]
    parts = [_text(claims.get("given_name")), _text(claims.get("family_name"))]
    joined = " ".join(p for p in parts if p)
    return joined[:100] or None


def _username(claims: Mapping[str, Any]) -> str | None:
    return _text(claims.get("cognito:username")) or _text(claims.get("username"))


def _provider(claims: Mapping[str, Any]) -> str:
    """As the client contract derives it: `google` for federated Google sign-ins; `phone` when
    the phone number is verified or the Cognito username is a phone number (phone users'
    usernames are their E.164 number); `email` otherwise."""
    identities = claims.get("identities")
    if isinstance(identities, str):  # some Cognito setups serialize it as a JSON string
        try:
            identities = json.loads(identities)
        except ValueError:
            identities = None
    if isinstance(identities, list):
        for entry in identities:
            if isinstance(entry, Mapping) and str(entry.get("providerName", "")).lower() == (
                "google"
            ):
                return "google"
    phone_verified = claims.get("phone_number_verified")
    if phone_verified is True or str(phone_verified).lower() == "true":
        return "phone"
    if (_username(claims) or "").startswith("+"):
        return "phone"
    return "email"
