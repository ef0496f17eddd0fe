"""`Retry-After` comes from one place, `AppError.retry_after_seconds`: set by an error class
for all its errors, or per error, and sent as the header next to any other."""

from __future__ import annotations

from shared.auth.cognito_admin import CognitoUnavailableError
from shared.errors import (
    AuthenticationError,
    DatabaseBusyError,
    ServiceUnavailableError,
    TooManyRequestsError,
)


def test_a_class_wide_delay_is_sent_with_every_error_of_the_class():
    assert DatabaseBusyError().headers == {"Retry-After": "1"}
    assert CognitoUnavailableError("down").headers == {"Retry-After": "5"}


def test_a_delay_given_with_the_error_wins_and_other_headers_stay():
    assert TooManyRequestsError("slow down", retry_after_seconds=42).headers == {
        "Retry-After": "42"
    }
    error = ServiceUnavailableError("x", headers={"X-Why": "y"}, retry_after_seconds=7)
    assert (error.retry_after_seconds, error.headers) == (7, {"X-Why": "y", "Retry-After": "7"})


def test_an_error_without_a_delay_sends_no_retry_after():
    challenge = {"WWW-Authenticate": "Bearer"}
    assert AuthenticationError("who?", headers=challenge).headers == challenge
    assert ServiceUnavailableError("down").headers == {}
