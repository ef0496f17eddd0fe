"""Voice routes of the chat (upstream contract §2.5): a recording in, its text out; a text in,
MP3 speech out. Signed-in callers, or anonymous ones while ALLOW_ANONYMOUS_SESSIONS is on (the
rule of the sessions they talk in); a bad token is always a 401."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Response, UploadFile
from pydantic import BaseModel, Field, StringConstraints

from config import get_settings
from shared.api.responses import errors
from shared.api.route import ApiRoute
from shared.api.upload_limit import MULTIPART_OVERHEAD, CappedBodyRoute
from shared.auth.dependencies import SessionOwner
from shared.models.enums import Language
from tutor.services import voice_service

MAX_SPEECH_CHARS = 5000


class AudioUploadRoute(CappedBodyRoute):
    file_role = "a recording"

    def body_limit(self) -> int:
        return self.file_limit() + MULTIPART_OVERHEAD

    def file_limit(self) -> int:
        return get_settings().max_audio_upload_bytes


upload_router = APIRouter(tags=["voice"], route_class=AudioUploadRoute)
router = APIRouter(tags=["voice"], route_class=ApiRoute)


class TranscriptRead(BaseModel):
    text: str = Field(description="What was said; empty when nothing was heard")


class SpeechCreate(BaseModel):
    text: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_SPEECH_CHARS)
    ]
    language: Language = "hinglish"


@upload_router.post(
    "/transcribe",
    responses=errors(400, 415, 503),
    summary="Transcribe a recording",
    description="Multipart field `file`: WebM, Ogg, MP4, MP3, WAV or FLAC audio (the part's "
    "type, parameters allowed, and the content must agree with that list), at most "
    "MAX_AUDIO_UPLOAD_BYTES (25 MB). 400 empty file, 413 too large, 415 not supported audio.",
)
def transcribe(owner: SessionOwner, file: Annotated[UploadFile, File()]) -> TranscriptRead:
    text = voice_service.transcribe_recording(
        name=file.filename, content_type=file.content_type, stream=file.file
    )
    return TranscriptRead(text=text)


@router.post(
    "/text-to-speech",
    response_class=Response,
    responses={
        200: {
            "content": {"audio/mpeg": {"schema": {"type": "string", "format": "binary"}}},
            "description": "The text spoken, as MP3 (`Content-Disposition: inline`)",
        },
        **errors(503),
    },
    summary="Read a text aloud",
)
def text_to_speech(owner: SessionOwner, body: SpeechCreate) -> Response:
    audio = voice_service.synthesize(text=body.text, language=body.language)
    return Response(
        content=audio, media_type="audio/mpeg", headers={"Content-Disposition": "inline"}
    )
