"""Where a book's objects live. Book ids are slugs and page numbers ints, so keys built here
never contain user input unescaped."""

from __future__ import annotations


def book_prefix(book_id: str) -> str:
    return f"books/{book_id}/"


def metadata_key(book_id: str) -> str:
    return f"books/{book_id}/metadata.json"


def image_key(book_id: str, number: int) -> str:
    return f"books/{book_id}/pages/{number}.png"


def text_key(book_id: str, number: int) -> str:
    return f"books/{book_id}/pages/{number}.txt"


def original_key(book_id: str, number: int, ext: str) -> str:
    return f"books/{book_id}/originals/{number}.{ext}"
