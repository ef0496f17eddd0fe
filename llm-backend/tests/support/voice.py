"""Helpers for the voice tests: recordings in the formats browsers send, the calls' rows."""

from __future__ import annotations

from sqlalchemy import select

from database import session_scope
from shared.llm import config_store
from shared.models.entities import LLMCall, LLMConfig

# The first bytes of each container; the rest is arbitrary (the fake model reads nothing else).
WEBM = b"\x1a\x45\xdf\xa3" + b"\x00" * 60
OGG = b"OggS" + b"\x00" * 60
MP4 = b"\x00\x00\x00\x20ftypisom" + b"\x00" * 52
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 48


def recording(data: bytes = WEBM, content_type: str = "audio/webm", name: str = "recording.webm"):
    return {"file": (name, data, content_type)}


def calls() -> list[LLMCall]:
    with session_scope() as session:
        rows = list(session.scalars(select(LLMCall).order_by(LLMCall.started_at)))
        session.expunge_all()
        return rows


def frame_header(mp3: bytes) -> dict:
    """The fields of the first MPEG audio frame header after any ID3v2 tag."""
    start = 0
    if mp3[:3] == b"ID3":
        size = 0
        for byte in mp3[6:10]:
            size = (size << 7) | byte
        start = 10 + size
    b0, b1, b2, b3 = mp3[start : start + 4]
    return {
        "sync": b0 == 0xFF and b1 >> 5 == 0b111,
        "version": {0b11: "MPEG-1", 0b10: "MPEG-2", 0b00: "MPEG-2.5"}.get((b1 >> 3) & 0b11),
        "layer": {0b01: "III", 0b10: "II", 0b11: "I"}.get((b1 >> 1) & 0b11),
        "bitrate_index": b2 >> 4,
        "sample_rate_index": (b2 >> 2) & 0b11,
        "mono": b3 >> 6 == 0b11,
    }


def choose(component: str, provider: str, model: str) -> None:
    """What an admin does at /admin/llm-config."""
    with session_scope() as session:
        row = session.get(LLMConfig, component)
        row.provider, row.model_id = provider, model
    config_store.invalidate()
