"""`POST /auth/phone/provision`: the step before a phone OTP sign-in (no token: the caller is
not signed in yet). Makes sure a Cognito user exists for the number; rate limited per client
IP and per phone number, since anyone can call it."""

from __future__ import annotations

import re
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, field_validator

from config import get_settings
from shared.api.responses import errors
from shared.api.route import ApiRoute
from shared.auth import cognito_admin
from shared.services import rate_limit_service
from shared.services.rate_limit_service import RateLimit

router = APIRouter(tags=["auth"], route_class=ApiRoute)

# E.164: "+", a country code that does not start with 0, at most 15 digits in all; fewer
# than 7 is no real subscriber number.
E164 = re.compile(r"\+[1-9][0-9]{6,14}")
SCOPE = "phone_provision"


class PhoneProvisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str

    @field_validator("phone")
    @classmethod
    def _e164(cls, value: str) -> str:
        if not E164.fullmatch(value):
            raise ValueError(
                "must be an E.164 phone number: '+', the country code and the number, digits "
                "only (7 to 15), e.g. +919876543210"
            )
        return value


class PhoneProvisionResult(BaseModel):
    status: Literal["ok"] = "ok"


def _limits() -> tuple[RateLimit, RateLimit]:
    settings = get_settings()
    window = settings.phone_provision_window_seconds
    return (
        RateLimit(
            scope=SCOPE,
            kind="ip",
            max_hits=settings.phone_provision_per_ip,
            window_seconds=window,
            message="Too many sign-in attempts from this network; wait and try again.",
        ),
        RateLimit(
            scope=SCOPE,
            kind="phone",
            max_hits=settings.phone_provision_per_phone,
            window_seconds=window,
            message="Too many sign-in attempts for this phone number; wait and try again.",
        ),
    )


def client_ip(request: Request) -> str:
    """The caller's address as the server saw it. On Lambda, Mangum fills it from the API
    Gateway event's `requestContext.http.sourceIp`; `X-Forwarded-For` is never read, since a
    client can write anything there."""
    return request.client.host if request.client else "unknown"


@router.post("/auth/phone/provision", responses=errors(429, 503))
def provision_phone(body: PhoneProvisionRequest, request: Request) -> PhoneProvisionResult:
    """Ensure a Cognito user with this phone number as username exists (idempotent)."""
    settings = get_settings()
    cognito_admin.require_pool(settings)  # 503 before counting: nothing can be done here
    per_ip, per_phone = _limits()
    rate_limit_service.hit(limit=per_ip, value=client_ip(request))
    rate_limit_service.hit(limit=per_phone, value=body.phone)
    cognito_admin.provision_phone_user(body.phone, settings=settings)
    return PhoneProvisionResult()
