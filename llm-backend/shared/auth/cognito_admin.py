"""The Cognito admin API (boto3 `cognito-idp`): phone sign-in users for
`POST /auth/phone/provision`.

The client signs phone users in with Cognito's custom-auth OTP flow, which needs the user to
exist first; the pool's schema requires an email and a name, which a phone user has not given,
so the server creates the user with placeholders (see `shared.auth.identity`). The boto3
client is built on first use and cached per process; nothing here runs at import time, and
botocore is imported by the first call (its import is a large part of a cold start that most
requests do not need).
"""

from __future__ import annotations

import secrets
import threading
from typing import TYPE_CHECKING, Any, Protocol

from config import AuthMode, Settings, get_settings
from shared.auth.identity import placeholder_email
from shared.errors import ServiceUnavailableError
from shared.observability.logging import get_logger

if TYPE_CHECKING:
    from botocore.exceptions import ClientError

# Cognito's answers that mean "try again later" rather than "this request cannot work".
TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "TooManyRequestsException",
        "LimitExceededException",
        "InternalErrorException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
    }
)
RETRY_AFTER_SECONDS = 5


class CognitoNotConfiguredError(ServiceUnavailableError):
    """No user pool is configured (AUTH_MODE=local, or COGNITO_USER_POOL_ID unset)."""

    code = "cognito_not_configured"


class CognitoUnavailableError(ServiceUnavailableError):
    """Cognito could not be reached, throttled us, or failed on its side; a retry may work."""

    code = "cognito_unavailable"
    retry_after_seconds = RETRY_AFTER_SECONDS


class CognitoRefusedError(ServiceUnavailableError):
    """Cognito refused the call (permissions, a missing pool, a pool that does not take phone
    usernames): the server's setup is wrong, so retrying will not help until it is fixed."""

    code = "cognito_error"


class _CognitoErrors(Protocol):
    UserNotFoundException: type[Exception]
    UsernameExistsException: type[Exception]


class CognitoClient(Protocol):
    """The part of boto3's `cognito-idp` client used here (boto3 ships no types of its own)."""

    @property
    def exceptions(self) -> _CognitoErrors: ...

    def admin_get_user(self, *, UserPoolId: str, Username: str) -> dict[str, Any]: ...

    def admin_create_user(
        self,
        *,
        UserPoolId: str,
        Username: str,
        UserAttributes: list[dict[str, str]],
        MessageAction: str,
    ) -> dict[str, Any]: ...

    def admin_set_user_password(
        self, *, UserPoolId: str, Username: str, Password: str, Permanent: bool
    ) -> dict[str, Any]: ...


# The process's one client, like the S3 store's: the region and endpoint come from settings,
# which do not change in a running process (tests that change them reset it).
_client: CognitoClient | None = None
_client_lock = threading.Lock()


def _get_client(region: str, endpoint_url: str | None) -> CognitoClient:
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                import boto3  # imported lazily: building a client reads credentials
                from botocore.config import Config

                # Short timeouts and one retry: three calls must fit one API request's budget.
                config = Config(
                    connect_timeout=2,
                    read_timeout=4,
                    retries={"max_attempts": 2, "mode": "standard"},
                )
                _client = boto3.client(
                    "cognito-idp", region_name=region, endpoint_url=endpoint_url, config=config
                )
    return _client


def reset_cognito_client() -> None:
    """Forget the cached client (tests: changed settings, or a client built outside moto)."""
    global _client
    with _client_lock:
        _client = None


def require_pool(settings: Settings) -> tuple[str, str]:
    region, pool = settings.effective_cognito_region, settings.cognito_user_pool_id
    if settings.effective_auth_mode == AuthMode.local or not (region and pool):
        raise CognitoNotConfiguredError(
            "Phone sign-in needs a Cognito user pool, and this server has none configured "
            "(AUTH_MODE=local or COGNITO_USER_POOL_ID unset). Sign in with a local token instead."
        )
    return region, pool


def provision_phone_user(phone: str, *, settings: Settings | None = None) -> bool:
    """Make sure a Cognito user whose username is `phone` (E.164) exists and can sign in; True
    when this call created it. Idempotent: an existing user is left as it is, except one this
    endpoint created whose password was never set (an earlier call failed half-way)."""
    from botocore.exceptions import BotoCoreError, ClientError

    settings = settings or get_settings()
    region, pool = require_pool(settings)
    client = _get_client(region, settings.cognito_endpoint_url)
    try:
        try:
            user = client.admin_get_user(UserPoolId=pool, Username=phone)
        except client.exceptions.UserNotFoundException:
            user = None
        if user is None:
            try:
                client.admin_create_user(
                    UserPoolId=pool,
                    Username=phone,
                    UserAttributes=[
                        {"Name": "phone_number", "Value": phone},
                        {"Name": "phone_number_verified", "Value": "true"},
                        {"Name": "email", "Value": placeholder_email(phone)},
                        {"Name": "name", "Value": phone},
                    ],
                    MessageAction="SUPPRESS",
                )
            except client.exceptions.UsernameExistsException:
                return False  # a concurrent call created it and sets its password
            _set_random_password(client, pool, phone)
            get_logger().info("provisioned phone user %s", _masked(phone))
            return True
        if user.get("UserStatus") == "FORCE_CHANGE_PASSWORD" and _attribute(
            user, "email"
        ) == placeholder_email(phone):
            _set_random_password(client, pool, phone)
        return False
    except ClientError as exc:
        raise _translate(exc) from None
    except BotoCoreError as exc:  # no connection, timeouts, no credentials
        get_logger().warning("cognito unreachable: %s", type(exc).__name__)
        raise CognitoUnavailableError(
            "Cognito could not be reached; try again in a moment."
        ) from None


def _set_random_password(client: CognitoClient, pool: str, phone: str) -> None:
    # A permanent password moves the user out of FORCE_CHANGE_PASSWORD so the OTP flow can
    # start; nobody knows it: phone users only ever sign in with codes. The fixed suffix meets
    # any password policy (upper, lower, digit, symbol).
    password = f"P{secrets.token_urlsafe(24)}!1a"
    client.admin_set_user_password(
        UserPoolId=pool, Username=phone, Password=password, Permanent=True
    )


def _attribute(user: dict[str, Any], name: str) -> str | None:
    for attribute in user.get("UserAttributes", []):
        if attribute.get("Name") == name:
            value = attribute.get("Value")
            return value if isinstance(value, str) else None
    return None


def _masked(phone: str) -> str:
    return f"{phone[:3]}…{phone[-2:]}"  # enough to correlate, not to identify


def _translate(exc: ClientError) -> ServiceUnavailableError:
    error = exc.response.get("Error", {})
    code = error.get("Code", "Unknown")
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    get_logger().warning("cognito refused %s: %s (HTTP %s)", exc.operation_name, code, status)
    if code in TRANSIENT_CODES or status >= 500:
        return CognitoUnavailableError(
            f"Cognito is not answering normally ({code}); try again in a moment."
        )
    return CognitoRefusedError(
        f"Cognito refused the request ({code}); the server's user pool setup needs fixing."
    )
