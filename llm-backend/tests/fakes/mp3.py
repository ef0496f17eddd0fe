"""A tiny valid MP3, made in code: an ID3v2.4 tag whose title frame holds the spoken text, then
silent MPEG-1 Layer III frames (32 kbit/s, 44.1 kHz, mono; side info all zero, so every granule
decodes to silence). The fake model server answers speech requests with it, and reads the title
back when the same bytes are sent for transcription: a voice round trip stays offline and
still carries the text through real MP3 bytes."""

from __future__ import annotations

# Sync, MPEG-1, Layer III, no CRC | 32 kbit/s, 44.1 kHz, no padding | mono.
FRAME_HEADER = bytes([0xFF, 0xFB, 0x10, 0xC0])
FRAME_BYTES = 144 * 32_000 // 44_100  # 104
SAMPLES_PER_FRAME = 1152
SAMPLE_RATE = 44_100


def _syncsafe(size: int) -> bytes:
    return bytes((size >> shift) & 0x7F for shift in (21, 14, 7, 0))


def _id3(title: str) -> bytes:
    payload = b"\x03" + title.encode("utf-8")  # encoding 3: UTF-8
    frame = b"TIT2" + _syncsafe(len(payload)) + b"\x00\x00" + payload
    return b"ID3\x04\x00\x00" + _syncsafe(len(frame)) + frame


def silent_mp3(text: str, frames: int = 10) -> bytes:
    frame = FRAME_HEADER + bytes(FRAME_BYTES - len(FRAME_HEADER))
    return _id3(text) + frame * frames


def title_of(data: bytes) -> str | None:
    """The TIT2 text of a leading ID3v2.4 tag (as silent_mp3 writes it), else None."""
    if data[:3] != b"ID3" or len(data) < 10:
        return None
    end = 10 + _size(data[6:10])
    at = 10
    while at + 10 <= end:
        frame_id, size = data[at : at + 4], _size(data[at + 4 : at + 8])
        if frame_id == b"TIT2" and data[at + 10 : at + 11] == b"\x03":
            return data[at + 11 : at + 10 + size].decode("utf-8", "replace")
        at += 10 + size
    return None


def _size(raw: bytes) -> int:
    value = 0
    for byte in raw:
        value = (value << 7) | (byte & 0x7F)
    return value


def duration_seconds(data: bytes) -> float:
    """Playing time of the frames silent_mp3 writes (every frame the same size)."""
    start = 10 + _size(data[6:10]) if data[:3] == b"ID3" else 0
    return (len(data) - start) // FRAME_BYTES * SAMPLES_PER_FRAME / SAMPLE_RATE
