"""Voice through API Gateway (HTTP API, payload 2.0) and Mangum, as deployed: the speech comes
back base64-encoded (binary), and a recording arrives as a base64 multipart body."""

from __future__ import annotations

import base64
import json

import pytest

import lambda_handler
from config import reset_settings
from tests.support.lambda_context import FakeLambdaContext, load_event
from tests.support.voice import frame_header

SENTENCE = "Half of four is two."


def _event(path: str, body: bytes, content_type: str) -> dict:
    event = load_event("http_api_get_health.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = "POST"
    event["headers"]["content-type"] = content_type
    event["body"] = base64.b64encode(body).decode()
    event["isBase64Encoded"] = True
    return event


@pytest.fixture
def anonymous_voice(db, fake_llm, monkeypatch):
    # No token needed: the voice routes let anonymous callers in while this is on.
    monkeypatch.setenv("ALLOW_ANONYMOUS_SESSIONS", "true")
    reset_settings()
    return fake_llm


def test_speech_is_binary_and_a_recording_is_accepted_through_api_gateway(anonymous_voice):
    payload = json.dumps({"text": SENTENCE, "language": "hi"}).encode()
    spoken = lambda_handler.handler(
        _event("/text-to-speech", payload, "application/json"), FakeLambdaContext()
    )

    assert spoken["statusCode"] == 200, spoken["body"]
    assert spoken["isBase64Encoded"] is True
    assert spoken["headers"]["content-type"] == "audio/mpeg"
    assert spoken["headers"]["content-disposition"] == "inline"
    mp3 = base64.b64decode(spoken["body"])
    assert frame_header(mp3)["sync"] and frame_header(mp3)["layer"] == "III"

    boundary = "VoiceBoundary7MA4YWxkTrZu0gW"
    form = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="recording.mp3"\r\n'
            "Content-Type: audio/mpeg\r\n\r\n"
        ).encode()
        + mp3
        + f"\r\n--{boundary}--\r\n".encode()
    )
    heard = lambda_handler.handler(
        _event("/transcribe", form, f"multipart/form-data; boundary={boundary}"),
        FakeLambdaContext(),
    )

    assert heard["statusCode"] == 200, heard["body"]
    assert json.loads(heard["body"]) == {"text": SENTENCE}
