"""Voice in the tutoring chat: the student's recordings become text, the tutor's messages
become speech, both through the audio components of the one LLM layer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from config import get_settings
from shared import llm
from shared.errors import UnsupportedMediaTypeError
from shared.llm.audio import looks_like_mp3
from shared.llm.components import SPEECH_TO_TEXT, TEXT_TO_SPEECH
from shared.models.enums import Language
from shared.uploads import read_limited

# The part types browsers' MediaRecorder produces (and the upstream contract lists), compared
# by base type: `audio/webm;codecs=opus` is `audio/webm`.
ACCEPTED_TYPES = (
    "audio/webm",
    "audio/ogg",
    "audio/mp4",
    "audio/mpeg",
    "audio/wav",
    "audio/x-wav",
    "audio/flac",
)
# Container of the bytes -> (file extension the provider reads the format from, media type).
_FORMATS = {
    "webm": "audio/webm",
    "ogg": "audio/ogg",
    "mp4": "audio/mp4",
    "wav": "audio/wav",
    "flac": "audio/flac",
    "mp3": "audio/mpeg",
}


@dataclass(frozen=True)
class Voice:
    name: str  # the provider's voice
    instructions: str  # how to speak (models that take instructions; see the README)


_STYLE = "warmly and clearly, like a friendly teacher talking to a school student, a little brisk"
# Like upstream: one voice for English, another for Hindi and Hinglish.
VOICES: dict[str, Voice] = {
    "en": Voice("nova", f"Speak English with an Indian accent, {_STYLE}."),
    "hi": Voice("shimmer", f"Speak Hindi, {_STYLE}."),
    "hinglish": Voice(
        "shimmer",
        f"Speak Hinglish (Hindi and English mixed, as Indian students talk), {_STYLE}.",
    ),
}
SPEED = 1.1  # upstream's speaking rate; only models without instructions use it


def base_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def container_of(data: bytes) -> str | None:
    """The audio container, told by the first bytes (never by name or declared type)."""
    if data[:4] == b"\x1a\x45\xdf\xa3":  # EBML: WebM / Matroska
        return "webm"
    if data[:4] == b"OggS":
        return "ogg"
    if data[4:8] == b"ftyp":
        return "mp4"
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:4] == b"fLaC":
        return "flac"
    if looks_like_mp3(data):
        return "mp3"
    return None


def _unsupported(what: str) -> UnsupportedMediaTypeError:
    return UnsupportedMediaTypeError(
        f"Unsupported audio format: {what}. Send WebM, Ogg, MP4, MP3, WAV or FLAC audio "
        f"({', '.join(ACCEPTED_TYPES)}).",
        code="unsupported_audio_type",
    )


def transcribe_recording(*, name: str | None, content_type: str | None, stream: BinaryIO) -> str:
    """The text of an uploaded recording. 415 for a type or content that is not supported
    audio, 413 above MAX_AUDIO_UPLOAD_BYTES, 400 for an empty file; 503 from the model."""
    declared = base_type(content_type)
    if declared not in ACCEPTED_TYPES:
        raise _unsupported(declared or "no content type")
    limit = get_settings().max_audio_upload_bytes
    data = read_limited(stream, name=name or "file", limit=limit)
    container = container_of(data)
    if container is None:
        raise _unsupported(f"the file's content is not {declared} audio")
    media_type = _FORMATS[container]
    audio = llm.AudioInput(data=data, media_type=media_type, filename=f"recording.{container}")
    return llm.transcribe(component=SPEECH_TO_TEXT, audio=audio)


def synthesize(*, text: str, language: Language) -> bytes:
    """`text` spoken in the voice of `language`, as MP3."""
    voice = VOICES[language]
    return llm.speak(
        component=TEXT_TO_SPEECH,
        text=text,
        voice=voice.name,
        instructions=voice.instructions,
        speed=SPEED,
    )
