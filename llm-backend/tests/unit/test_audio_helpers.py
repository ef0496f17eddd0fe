"""The LLM layer's MP3 and text helpers: telling MP3 from other bytes, joining MP3 answers,
and cutting a long text for the speech model at sentence ends."""

from __future__ import annotations

from shared.llm.audio import id3_size, join_mp3, looks_like_mp3, split_text
from tests.fakes.mp3 import FRAME_HEADER, silent_mp3, title_of


def test_mp3_is_told_by_its_tag_or_frame_sync():
    mp3 = silent_mp3("hi")
    assert looks_like_mp3(mp3)
    assert looks_like_mp3(mp3[id3_size(mp3) :])  # frames without a tag
    assert not looks_like_mp3(b"ID3\x04\x00\x00\x00\x00\x00\x05hello")  # a tag and no frame
    assert not looks_like_mp3(b'{"error": "x"}')
    assert not looks_like_mp3(b"\xff\xf9")  # sync, but layer bits 00 (reserved)
    assert not looks_like_mp3(b"")


def test_joined_mp3_keeps_only_the_first_tag():
    first, second = silent_mp3("one", frames=2), silent_mp3("two", frames=3)

    joined = join_mp3([first, second])

    assert joined == first + second[id3_size(second) :]
    assert title_of(joined) == "one"
    assert joined.count(FRAME_HEADER) == 5


def test_long_text_is_cut_after_sentences_then_spaces_then_anywhere():
    assert split_text("  short  ", 100) == ["short"]
    assert split_text("One two. Three four! Five six", 20) == ["One two. Three four!", "Five six"]
    assert split_text("यह आधा है। यह पूरा है।", 14) == ["यह आधा है।", "यह पूरा है।"]
    # Each piece as long as the limit allows.
    assert split_text("no breaks in this text at all", 12) == [
        "no breaks in",
        "this text at",
        "all",
    ]
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_pieces_never_exceed_the_limit_and_lose_no_words():
    text = ("A fraction names a part of a whole; " * 300).strip()
    pieces = split_text(text, 4096)
    assert all(len(p) <= 4096 for p in pieces)
    assert " ".join(pieces).split() == text.split()
