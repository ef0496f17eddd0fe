"""MP3 and text helpers for the audio calls: checking and joining MP3 answers, and splitting a
text the speech model takes in pieces."""

from __future__ import annotations

import re

# A sentence or clause ends here (Latin and Devanagari punctuation, line breaks).
_BREAK = re.compile(r"[.!?।॥;:]+[\"')\]]*(?=\s)|\n")


def id3_size(data: bytes) -> int:
    """Length of a leading ID3v2 tag (header, syncsafe size, optional footer), 0 without one."""
    if len(data) < 10 or data[:3] != b"ID3":
        return 0
    size = 0
    for byte in data[6:10]:
        size = (size << 7) | (byte & 0x7F)
    footer = 10 if data[5] & 0x10 else 0
    return 10 + size + footer


def looks_like_mp3(data: bytes) -> bool:
    """An ID3v2 tag or an MPEG audio frame sync (11 set bits, a valid layer) at the start."""
    start = id3_size(data)
    head = data[start : start + 2]
    return len(head) == 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0 and head[1] & 0x06 != 0


def join_mp3(parts: list[bytes]) -> bytes:
    """MP3 streams play back to back when concatenated; tags after the first are dropped so no
    player reads one as audio."""
    return b"".join(part if i == 0 else part[id3_size(part) :] for i, part in enumerate(parts))


def split_text(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut after a sentence where one ends
    within the limit, else at a space, else anywhere."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        # One character more, so a sentence that ends exactly at the limit is seen to end.
        window = rest[: limit + 1]
        cuts = [m.end() for m in _BREAK.finditer(window) if m.end() <= limit]
        space = window.rfind(" ")
        cut = cuts[-1] if cuts else space if space > 0 else limit
        pieces.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    if rest:
        pieces.append(rest)
    return pieces
