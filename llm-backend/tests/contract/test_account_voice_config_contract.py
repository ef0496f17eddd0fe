"""Account, voice and LLM config as the frontend calls them (contract §2.1, §2.5, §2.8):
AuthContext (`/auth/sync` with the ID token, `/auth/phone/provision` before the OTP),
OnboardingFlow and ProfilePage (`PUT /profile`, then `GET /profile`), ChatSession's microphone
and play buttons, and LLMConfigPage (with an admin token: admin routes need one here).

Real PostgreSQL, moto's Cognito, and the fake model server's audio endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from tests.fakes.llm_server import DEFAULT_TRANSCRIPT
from tests.support.auth import KEY, bearer, build_test_app, claims, sign
from tests.support.cognito import moto_cognito_pool
from tests.support.tutor import ADMIN
from tests.support.voice import WEBM, frame_header, recording

LANGUAGES = {"en", "hi", "hinglish"}
PROVIDERS = {"email", "phone", "google"}
PHONE = "+919876543210"
# Every field of the profile object (§2.1) and its JSON types.
PROFILE_TYPES = {
    "id": (str,),
    "email": (str, type(None)),
    "phone": (str, type(None)),
    "name": (str, type(None)),
    "preferred_name": (str, type(None)),
    "age": (int, type(None)),
    "grade": (int, type(None)),
    "board": (str, type(None)),
    "school_name": (str, type(None)),
    "about_me": (str, type(None)),
    "text_language_preference": (str,),
    "audio_language_preference": (str,),
    "onboarding_complete": (bool,),
    "auth_provider": (str,),
}
ROW_TYPES = {
    "component_key": (str,),
    "provider": (str,),
    "model_id": (str,),
    "description": (str, type(None)),
    "updated_at": (str, type(None)),
    "updated_by": (str, type(None)),
}


def id_token(sub: str = "learner-1", **extra) -> dict[str, str]:
    """What AuthContext.syncUser sends: the ID token and a JSON content type, no body."""
    return {
        **bearer(sign(claims(sub=sub, token_use="id", **extra), KEY)),
        "Content-Type": "application/json",
    }


def access_token(sub: str = "learner-1") -> dict[str, str]:
    return bearer(sign(claims(sub=sub, token_use="access"), KEY))


def when(value: str) -> datetime:
    """A time as the page parses it (`new Date(...)`): ISO-8601."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def typed(body: dict, types: dict[str, tuple[type, ...]]) -> dict:
    """The body after checking every field the frontend reads is there with its type."""
    for field, allowed in types.items():
        assert field in body, field
        assert type(body[field]) in allowed, (field, body[field])
    return body


def profile(body: dict) -> dict:
    typed(body, PROFILE_TYPES)
    assert uuid.UUID(body["id"])  # becomes student.id in create-session
    assert body["text_language_preference"] in LANGUAGES
    assert body["audio_language_preference"] in LANGUAGES
    assert body["auth_provider"] in PROVIDERS
    return {k: body[k] for k in PROFILE_TYPES}


def sync(client, headers) -> dict:
    response = client.post("/auth/sync", headers=headers)
    assert response.status_code == 200, response.text
    return profile(response.json())


def get_profile(client, sub: str = "learner-1") -> dict:
    response = client.get("/profile", headers=access_token(sub))
    assert response.status_code == 200, response.text
    return profile(response.json())


def put_profile(client, body: dict, sub: str = "learner-1"):
    return client.put("/profile", json=body, headers=access_token(sub))


# ---- POST /auth/sync -----------------------------------------------------------------------


def test_sync_of_an_email_sign_up_answers_the_whole_profile(auth_client):
    body = sync(auth_client, id_token(email="meera@example.com", name="Meera S"))

    assert {k: v for k, v in body.items() if k != "id"} == {
        "email": "meera@example.com",
        "phone": None,
        "name": "Meera S",
        "preferred_name": None,
        "age": None,
        "grade": None,
        "board": None,
        "school_name": None,
        "about_me": None,
        "text_language_preference": "en",
        "audio_language_preference": "en",
        "onboarding_complete": False,  # OnboardingGuard sends a new user to /onboarding
        "auth_provider": "email",
    }
    # The page-load session restore syncs again: the same user, the same id.
    assert sync(auth_client, id_token(email="meera@example.com", name="Meera S")) == body


@pytest.mark.parametrize(
    ("token_claims", "expected"),
    [
        # Google through the hosted UI: the first identity's provider is Google.
        (
            {
                "email": "g@example.com",
                "identities": [{"providerName": "Google", "userId": "1234", "primary": "true"}],
            },
            {"auth_provider": "google", "email": "g@example.com", "phone": None},
        ),
        # The phone OTP user as provisioned: username and name are the number.
        (
            {
                "cognito:username": PHONE,
                "phone_number": PHONE,
                "phone_number_verified": True,
                "email": "phone_919876543210@placeholder.local",
                "name": PHONE,
            },
            {"auth_provider": "phone", "email": None, "phone": PHONE},
        ),
        # No phone_number_verified claim: a username that starts with `+` is enough.
        (
            {"cognito:username": PHONE, "phone_number": PHONE},
            {"auth_provider": "phone", "phone": PHONE},
        ),
        ({"phone_number": PHONE, "phone_number_verified": True}, {"auth_provider": "phone"}),
        ({"email": "e@example.com"}, {"auth_provider": "email", "email": "e@example.com"}),
    ],
)
def test_sync_derives_auth_provider_from_the_claims(auth_client, token_claims, expected):
    body = sync(auth_client, id_token(sub="learner-x", **token_claims))

    assert {k: body[k] for k in expected} == expected


def test_sync_after_a_profile_save_returns_the_stored_profile(auth_client):
    """Upstream answered preferred_name null and both languages "en" here; the full stored
    profile is what the UI wanted (§2.1 quirk)."""
    sync(auth_client, id_token(email="meera@example.com"))
    saved = {"preferred_name": "Mee", "audio_language_preference": "hi"}
    assert put_profile(auth_client, saved).status_code == 200

    body = sync(auth_client, id_token(email="meera@example.com"))

    assert (body["preferred_name"], body["audio_language_preference"]) == ("Mee", "hi")
    assert body["text_language_preference"] == "en"


# ---- GET /profile and PUT /profile ---------------------------------------------------------


def test_onboarding_one_field_per_step_completes_once_and_stays_complete(auth_client):
    sync(auth_client, id_token(email="meera@example.com"))
    steps = [
        {"name": "Meera Sharma"},
        {"preferred_name": "Meera"},
        {"age": 10},
        {"grade": 5},
        {"about_me": "I like drawing"},
    ]
    for step in steps:
        response = put_profile(auth_client, step)
        assert response.status_code == 200, response.text
        assert profile(response.json())["onboarding_complete"] is False
        # OnboardingFlow calls refreshProfile after each save.
        assert get_profile(auth_client)["onboarding_complete"] is False

    last = put_profile(auth_client, {"board": "State Board"})

    assert last.status_code == 200
    assert profile(last.json())["onboarding_complete"] is True
    after = get_profile(auth_client)
    assert after == {
        "id": after["id"],
        "email": "meera@example.com",
        "phone": None,
        "name": "Meera Sharma",
        "preferred_name": "Meera",
        "age": 10,
        "grade": 5,
        "board": "State Board",
        "school_name": None,
        "about_me": "I like drawing",
        "text_language_preference": "en",
        "audio_language_preference": "en",
        "onboarding_complete": True,
        "auth_provider": "email",
    }
    # Later edits never turn it back, nor does a sign-in.
    assert put_profile(auth_client, {"grade": 6}).json()["onboarding_complete"] is True
    assert sync(auth_client, id_token(email="meera@example.com"))["onboarding_complete"] is True


def test_profile_page_saves_every_field_at_once(auth_client):
    synced = sync(auth_client, id_token(email="meera@example.com", name="Meera S"))
    form = {
        "name": "Meera Sharma",
        "preferred_name": "Meera",
        "age": 11,
        "grade": 6,
        "board": "ICSE",
        "school_name": "Green Valley School",
        "about_me": "I like cricket and stars",
        "text_language_preference": "hinglish",
        "audio_language_preference": "hi",
    }

    response = put_profile(auth_client, form)

    assert response.status_code == 200, response.text
    saved = profile(response.json())
    assert saved == {
        **form,
        "id": synced["id"],
        "email": "meera@example.com",
        "phone": None,
        "onboarding_complete": True,
        "auth_provider": "email",
    }
    assert get_profile(auth_client) == saved


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_each_language_is_stored_and_read_back(auth_client, language):
    body = {"text_language_preference": language, "audio_language_preference": language}

    assert put_profile(auth_client, body).status_code == 200

    got = get_profile(auth_client)
    assert (got["text_language_preference"], got["audio_language_preference"]) == (
        language,
        language,
    )


@pytest.mark.parametrize("field", ["text_language_preference", "audio_language_preference"])
@pytest.mark.parametrize("value", ["fr", "English", "EN", ""])
def test_another_language_is_a_422_and_nothing_is_stored(auth_client, field, value):
    assert put_profile(auth_client, {"name": "Meera"}).status_code == 200

    response = put_profile(auth_client, {"name": "Someone else", field: value})

    assert response.status_code == 422
    got = get_profile(auth_client)
    assert (got["name"], got[field]) == ("Meera", "en")


# ---- POST /auth/phone/provision ------------------------------------------------------------


def test_phone_provision_is_ok_and_idempotent(db, monkeypatch):
    with moto_cognito_pool(monkeypatch) as pool, TestClient(build_test_app()) as client:
        # AuthContext.sendOTP: JSON {phone}, no token.
        first = client.post("/auth/phone/provision", json={"phone": PHONE})
        again = client.post("/auth/phone/provision", json={"phone": PHONE})

        assert (first.status_code, first.json()) == (200, {"status": "ok"})
        assert (again.status_code, again.json()) == (200, {"status": "ok"})
        assert pool.usernames() == [PHONE]
        assert pool.attributes(PHONE)["phone_number_verified"] == "true"


# ---- POST /transcribe and POST /text-to-speech ---------------------------------------------


@pytest.mark.parametrize("content_type", ["audio/webm", "audio/webm;codecs=opus"])
def test_the_microphone_recording_is_transcribed(auth_client, fake_llm, content_type):
    # ChatSession: FormData with the one field `file`, named recording.<ext> by the Blob type.
    response = auth_client.post(
        "/transcribe",
        files=recording(WEBM, content_type, "recording.webm"),
        headers=access_token(),
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"text": DEFAULT_TRANSCRIPT}
    [sent] = fake_llm.requests
    assert sent.files["file"][0] == "recording.webm"


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_a_message_is_read_aloud_as_inline_mp3(auth_client, fake_llm, language):
    # ChatSession: the message's audio_text and the user's audio_language_preference.
    response = auth_client.post(
        "/text-to-speech",
        json={"text": "Two halves make one whole.", "language": language},
        headers=access_token(),
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/mpeg"
    assert response.headers["content-disposition"] == "inline"
    assert frame_header(response.content)["sync"] is True  # an MP3 the <audio> element plays
    assert fake_llm.requests[0].body["input"] == "Two halves make one whole."


def test_text_over_5000_characters_is_a_422(auth_client, fake_llm):
    response = auth_client.post(
        "/text-to-speech", json={"text": "a" * 5001, "language": "en"}, headers=access_token()
    )

    assert response.status_code == 422
    assert fake_llm.requests == []


# ---- /api/admin/llm-config (LLMConfigPage) -------------------------------------------------


def config_rows(client) -> list[dict]:
    response = client.get("/api/admin/llm-config", headers=ADMIN)
    assert response.status_code == 200, response.text
    rows = response.json()
    assert isinstance(rows, list)  # a bare array
    for row in rows:
        typed(row, ROW_TYPES)
        if row["updated_at"] is not None:  # formatted with toLocaleString
            when(row["updated_at"])
    return rows


def offered(client) -> dict[str, list[str]]:
    response = client.get("/api/admin/llm-config/options", headers=ADMIN)
    assert response.status_code == 200, response.text
    options = response.json()
    assert isinstance(options, dict) and options
    for provider, models in options.items():
        assert isinstance(provider, str)
        assert models and all(isinstance(m, str) for m in models), provider
    return options


def test_the_page_lists_rows_sorted_with_offered_choices(auth_client):
    rows = config_rows(auth_client)
    options = offered(auth_client)

    keys = [row["component_key"] for row in rows]
    assert keys == sorted(keys)
    contract_keys = {
        "tutor",
        "book_ingestion",
        "study_plan_generator",
        "study_plan_reviewer",
    }
    assert contract_keys <= set(keys)
    assert {"openai", "anthropic", "google"} <= set(options)  # the provider dropdown
    for row in rows:  # each row's current choice is in its dropdowns
        assert row["model_id"] in options[row["provider"]], row["component_key"]


def test_saving_a_choice_answers_the_row_and_the_reloaded_list_shows_it(auth_client):
    options = offered(auth_client)
    before = {row["component_key"]: row for row in config_rows(auth_client)}
    model = options["anthropic"][0]

    response = auth_client.put(
        "/api/admin/llm-config/tutor",
        json={"provider": "anthropic", "model_id": model},
        headers=ADMIN,
    )

    assert response.status_code == 200, response.text
    row = typed(response.json(), ROW_TYPES)
    assert (row["component_key"], row["provider"], row["model_id"]) == (
        "tutor",
        "anthropic",
        model,
    )
    assert row["description"] == before["tutor"]["description"]
    assert row["updated_by"] == "admin-1"
    assert when(row["updated_at"]) > when(before["tutor"]["updated_at"])
    after = {r["component_key"]: r for r in config_rows(auth_client)}
    assert after["tutor"] == row
    assert {k: v for k, v in after.items() if k != "tutor"} == {
        k: v for k, v in before.items() if k != "tutor"
    }


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"provider": "azure", "model_id": "gpt-4o"}, "unknown_provider"),
        ({"provider": "openai", "model_id": "gpt-99-imaginary"}, "model_not_offered"),
        ({"provider": "anthropic", "model_id": "gpt-5.2"}, "model_not_offered"),
    ],
)
def test_a_choice_not_offered_is_a_400_with_a_string_detail(auth_client, body, code):
    before = config_rows(auth_client)

    response = auth_client.put("/api/admin/llm-config/tutor", json=body, headers=ADMIN)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    detail = response.json()["detail"]  # adminApi throws new Error(body.detail)
    assert isinstance(detail, str) and detail
    assert config_rows(auth_client) == before
