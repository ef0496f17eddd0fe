"""Voice (upstream contract §2.5): POST /transcribe and POST /text-to-speech on the real app,
real PostgreSQL and the fake model server's audio endpoints. The round trip carries a text
through real MP3 bytes: the fake speaks it into an ID3 tag in front of silent MPEG frames, and
transcribes such bytes back to that text."""

from __future__ import annotations

import pytest

from config import reset_settings
from tests.fakes.llm_server import DEFAULT_TRANSCRIPT
from tests.support.tutor import STUDENT_A
from tests.support.voice import MP4, OGG, WAV, WEBM, calls, choose, frame_header, recording

SENTENCE = "Two halves make one whole."


def _speak(client, text: str = SENTENCE, language: str | None = "en", headers=STUDENT_A):
    body = {"text": text} if language is None else {"text": text, "language": language}
    return client.post("/text-to-speech", json=body, headers=headers)


def test_round_trip_speech_is_mp3_and_transcribes_back_to_the_text(auth_client, fake_llm):
    spoken = _speak(auth_client)

    assert spoken.status_code == 200, spoken.text
    assert spoken.headers["content-type"] == "audio/mpeg"
    assert spoken.headers["content-disposition"] == "inline"
    assert frame_header(spoken.content) == {
        "sync": True,
        "version": "MPEG-1",
        "layer": "III",
        "bitrate_index": 1,  # 32 kbit/s
        "sample_rate_index": 0,  # 44.1 kHz
        "mono": True,
    }
    [speech] = fake_llm.requests
    assert speech.path == "/v1/audio/speech"
    assert (speech.body["model"], speech.body["voice"], speech.body["input"]) == (
        "gpt-4o-mini-tts",
        "nova",
        SENTENCE,
    )
    assert speech.body["response_format"] == "mp3"
    assert speech.body["instructions"].startswith("Speak English with an Indian accent")
    assert "speed" not in speech.body  # gpt-4o-mini-tts takes instructions, not a speed

    heard = auth_client.post(
        "/transcribe", files=recording(spoken.content, "audio/mpeg", "recording.mp3"),
        headers=STUDENT_A,
    )  # fmt: skip

    assert heard.status_code == 200, heard.text
    assert heard.json() == {"text": SENTENCE}
    transcription = fake_llm.requests[1]
    assert transcription.path == "/v1/audio/transcriptions"
    assert transcription.body["model"] == "gpt-4o-mini-transcribe"
    assert transcription.files["file"] == ("recording.mp3", "audio/mpeg", spoken.content)
    tts, stt = calls()
    assert (tts.component, tts.provider, tts.model, tts.outcome, tts.attempts) == (
        "text_to_speech", "openai", "gpt-4o-mini-tts", "ok", 1,
    )  # fmt: skip
    assert (tts.input_characters, tts.audio_seconds) == (len(SENTENCE), None)
    assert (stt.component, stt.model, stt.outcome, stt.attempts) == (
        "speech_to_text", "gpt-4o-mini-transcribe", "ok", 1,
    )  # fmt: skip
    assert (stt.input_tokens, stt.output_tokens) == (12, 7)  # billed by tokens


def test_languages_map_to_voices_and_hinglish_is_the_default(auth_client, fake_llm):
    for language in ("hi", "hinglish", None):
        assert _speak(auth_client, language=language).status_code == 200
    hi, hinglish, default = (r.body for r in fake_llm.requests)
    assert hi["voice"] == hinglish["voice"] == default["voice"] == "shimmer"
    assert hi["instructions"].startswith("Speak Hindi,")
    assert hinglish["instructions"].startswith("Speak Hinglish")
    assert default["instructions"] == hinglish["instructions"]


def test_tts_1_gets_the_upstream_speed_instead_of_instructions(auth_client, fake_llm):
    choose("text_to_speech", "openai", "tts-1")
    assert _speak(auth_client).status_code == 200
    [speech] = fake_llm.requests
    assert speech.body["speed"] == 1.1
    assert "instructions" not in speech.body


@pytest.mark.parametrize(
    ("data", "content_type", "sent_as"),
    [
        (WEBM, "audio/webm;codecs=opus", ("recording.webm", "audio/webm")),
        (MP4, "audio/mp4", ("recording.mp4", "audio/mp4")),
        (OGG, "audio/ogg; codecs=opus", ("recording.ogg", "audio/ogg")),
        (WAV, "audio/x-wav", ("recording.wav", "audio/wav")),
        (b"fLaC" + bytes(40), "AUDIO/FLAC", ("recording.flac", "audio/flac")),
    ],
)
def test_recordings_are_accepted_by_base_type_and_named_by_content(
    auth_client, fake_llm, data, content_type, sent_as
):
    r = auth_client.post(
        "/transcribe", files=recording(data, content_type, "blob"), headers=STUDENT_A
    )

    assert r.status_code == 200, r.text
    assert r.json() == {"text": DEFAULT_TRANSCRIPT}
    [request] = fake_llm.requests
    assert request.files["file"] == (*sent_as, data)


def test_whisper_1_calls_are_recorded_with_their_audio_seconds(auth_client, fake_llm):
    choose("speech_to_text", "openai", "whisper-1")
    mp3 = _speak(auth_client).content

    r = auth_client.post("/transcribe", files=recording(mp3, "audio/mpeg"), headers=STUDENT_A)

    assert r.json() == {"text": SENTENCE}
    stt = calls()[-1]
    assert stt.model == "whisper-1"
    assert stt.audio_seconds == pytest.approx(10 * 1152 / 44100)  # ten frames of the fake MP3
    assert (stt.input_tokens, stt.output_tokens) == (None, None)


# --- bad input: 4xx, and no model call ----------------------------------------------------


@pytest.mark.parametrize(
    ("files", "status", "code"),
    [
        (recording(WEBM, "video/webm"), 415, "unsupported_audio_type"),
        (recording(WEBM, "application/octet-stream"), 415, "unsupported_audio_type"),
        (recording(b"just some text, not audio", "audio/webm"), 415, "unsupported_audio_type"),
        (recording(b"", "audio/webm"), 400, "empty_file"),
        ({"recording": ("r.webm", WEBM, "audio/webm")}, 422, "validation_error"),
    ],
    ids=["video-type", "no-audio-type", "not-audio-content", "empty", "wrong-field"],
)
def test_bad_recordings_are_refused_before_any_model_call(
    auth_client, fake_llm, files, status, code
):
    r = auth_client.post("/transcribe", files=files, headers=STUDENT_A)

    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code
    assert fake_llm.requests == []
    assert calls() == []


def test_unsupported_type_message_names_the_type_and_the_accepted_ones(auth_client, fake_llm):
    r = auth_client.post("/transcribe", files=recording(WEBM, "video/webm"), headers=STUDENT_A)
    message = r.json()["error"]["message"]
    assert message.startswith("Unsupported audio format: video/webm.")
    assert "audio/webm, audio/ogg, audio/mp4, audio/mpeg, audio/wav, audio/x-wav, audio/flac" in (
        message
    )


def test_a_recording_over_the_size_setting_is_413(auth_client, fake_llm, monkeypatch):
    monkeypatch.setenv("MAX_AUDIO_UPLOAD_BYTES", "1024")
    reset_settings()

    just_fits = auth_client.post(
        "/transcribe", files=recording(WEBM + bytes(1024 - len(WEBM))), headers=STUDENT_A
    )
    too_big = auth_client.post(
        "/transcribe", files=recording(WEBM + bytes(1025 - len(WEBM))), headers=STUDENT_A
    )

    assert just_fits.status_code == 200
    assert too_big.status_code == 413
    assert too_big.json()["error"] == {
        "code": "file_too_large",
        "message": "File 'recording.webm' is larger than the 1024 bytes limit.",
    }
    assert len(fake_llm.requests) == 1


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_body_over_the_cap_is_refused_while_it_streams_in(
    auth_client, fake_llm, monkeypatch, declared
):
    from shared.api.upload_limit import MULTIPART_OVERHEAD

    monkeypatch.setenv("MAX_AUDIO_UPLOAD_BYTES", str(1024 * 1024))
    reset_settings()
    boundary = "bound4ry"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="r.webm"\r\n'
        "Content-Type: audio/webm\r\n\r\n"
    ).encode()
    body = (
        head
        + WEBM
        + bytes(2 * 1024 * 1024 + MULTIPART_OVERHEAD)
        + f"\r\n--{boundary}--\r\n".encode()
    )

    def chunked():
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    r = auth_client.post(
        "/transcribe",
        content=body if declared else chunked(),
        headers={**STUDENT_A, "content-type": f"multipart/form-data; boundary={boundary}"},
    )

    assert r.status_code == 413, r.text
    assert r.json()["error"] == {
        "code": "request_too_large",
        "message": "The upload is larger than 2 MB; a recording may be at most 1 MB.",
    }
    assert fake_llm.requests == []


@pytest.mark.parametrize(
    "body",
    [
        {"text": "x" * 5001},
        {"text": ""},
        {"text": "   "},
        {"text": SENTENCE, "language": "fr"},
        {"text": SENTENCE, "language": "EN"},
        {"language": "en"},
    ],
    ids=["too-long", "empty", "blank", "unknown-language", "wrong-case", "no-text"],
)
def test_bad_speech_requests_are_422(auth_client, fake_llm, body):
    r = auth_client.post("/text-to-speech", json=body, headers=STUDENT_A)

    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "validation_error"
    assert fake_llm.requests == []


def test_5000_characters_are_spoken_in_pieces_joined_into_one_mp3(auth_client, fake_llm):
    sentence = "A fraction names a part of a whole. "
    text = (sentence * 200)[:5000]

    r = _speak(auth_client, text=text)

    assert r.status_code == 200
    pieces = [q.body["input"] for q in fake_llm.requests]
    assert len(pieces) == 2
    assert all(len(p) <= 4096 for p in pieces)
    assert pieces[0].endswith("whole.")  # cut after a sentence
    assert " ".join(pieces) == text.strip()
    assert r.content.count(b"ID3") == 1  # the second piece's tag is dropped
    assert frame_header(r.content)["sync"]
    [row] = calls()
    assert (row.outcome, row.attempts, row.input_characters) == ("ok", 2, 5000)
