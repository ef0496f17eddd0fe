"""Where a book's objects live. Book ids are slugs and page ids UUIDs, so keys built here never
contain user input unescaped.

A page's files are named by the page's id, which never changes: deleting a page renumbers
rows only and moves no file, so a failure half way can never leave a file under another
page's name. Rows written before this layout name their files by page number
(`pages/{n}.png`); those keys stay valid because every reader goes through the row's stored
key (`image_s3_key`, `text_s3_key`, `original_s3_key`) and no key is built from a number any
more, so an old key is never handed to another page.
"""

from __future__ import annotations


def book_prefix(book_id: str) -> str:
    return f"books/{book_id}/"


def metadata_key(book_id: str) -> str:
    return f"books/{book_id}/metadata.json"


# Keyword-only `page_id`: a call that still passes a page number fails loudly.
def image_key(book_id: str, *, page_id: str) -> str:
    return f"books/{book_id}/pages/{page_id}.png"


def text_key(book_id: str, *, page_id: str) -> str:
    return f"books/{book_id}/pages/{page_id}.txt"


def original_key(book_id: str, *, page_id: str, ext: str) -> str:
    return f"books/{book_id}/originals/{page_id}.{ext}"
