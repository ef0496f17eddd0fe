"""Finds text the database cannot store: a NUL character or a surrogate code point.

PostgreSQL refuses NUL in text and psycopg2 cannot encode a lone surrogate (JSON's `"\\ud800"`),
so either one reaching SQL used to be a 500. `request_guard` runs these scans over every part of
a request a route can read, and names the first offending field: `body.title`,
`body.guideline_ids[1]`, `query.subject`, `path.book_id`, `form.files[1].filename`.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from python_multipart.multipart import MultipartParser, parse_options_header

from shared.errors import field_error

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

# Any surrogate left in a decoded str is unpaired: JSON's decoder joins a valid pair into one
# code point, and the raw-bytes case (`surrogatepass`) never yields a str PostgreSQL accepts.
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
# What a JSON document that could decode to such text must contain: an escape (`\u0000`,
# `\uD8..`-`\uDF..`), a UTF-8-encoded surrogate (json.loads decodes with `surrogatepass`), or
# a NUL byte (UTF-16/32 documents, which json.loads detects and accepts).
_SUSPECT_JSON = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])|\xed[\xa0-\xbf]|\x00")


class BadText(Exception):
    """Input the route must not see; `message` names the field and says what is wrong."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.message = str(self)

    def field_error(self) -> dict[str, Any]:
        """The 422's `errors` entry: `loc` is the part of the request, then the field's path
        within it as text (`["body", "guideline_ids[1]"]`, `["form", "files[1].filename"]`)."""
        return field_error(self.field.split(".", 1), self.reason, "invalid_text")


def printable(name: str) -> str:
    """A field name safe to put in a message (the name itself may be the bad text)."""
    if name.isprintable() and not _BAD_TEXT.search(name):
        return name
    return name.encode("unicode_escape").decode("ascii")


def check_text(field: str, value: str) -> None:
    if _BAD_TEXT.search(value):
        if "\x00" in value:
            raise BadText(field, "must not contain a NUL character (U+0000)")
        raise BadText(field, "must not contain an unpaired surrogate (U+D800-U+DFFF)")


def check_pairs(prefix: str, pairs: Iterable[tuple[str, str]]) -> None:
    """Query strings and URL-encoded forms: both the names and the values."""
    for name, value in pairs:
        field = f"{prefix}.{printable(name)}"
        check_text(field, name)
        check_text(field, value)


def check_json(body: bytes) -> None:
    """Raises BadText naming the first bad string (keys too) of a JSON body. A body that is not
    JSON is left to the route, which answers it with its own 422, except bytes that are no
    Unicode text at all, which FastAPI would answer with a vague 400."""
    try:
        # How json.loads (and so Starlette's Request.json()) turns bytes into text.
        body.decode(json.detect_encoding(body), "surrogatepass")
    except UnicodeDecodeError:
        raise BadText("body", "is not JSON text (UTF-8, UTF-16 or UTF-32)") from None
    if not _SUSPECT_JSON.search(body):
        return
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return
    # Iterative: a deeply nested document must not exhaust the interpreter's stack.
    stack: list[tuple[str, Any]] = [("body", document)]
    while stack:
        field, value = stack.pop()
        if isinstance(value, str):
            check_text(field, value)
        elif isinstance(value, dict):
            for key, item in value.items():
                child = f"{field}.{printable(key)}"
                check_text(child, key)
                stack.append((child, item))
        elif isinstance(value, list):
            stack.extend((f"{field}[{i}]", item) for i, item in enumerate(value))


def _decode(raw: bytes, charset: str) -> str:
    # Starlette's own rule for part names, file names and field values.
    try:
        return raw.decode(charset)
    except (UnicodeDecodeError, LookupError):
        return raw.decode("latin-1")


class MultipartScanner:
    """Follows a multipart/form-data body chunk by chunk as the route reads it and raises
    BadText at the first bad field name, field value or file name. File contents are never
    held: only the headers and the (small) plain fields are looked at."""

    # Starlette refuses plain fields above 1 MB itself; a longer one is not worth decoding.
    max_field_bytes = 1024 * 1024

    def __init__(self, content_type: str) -> None:
        _, params = parse_options_header(content_type)
        charset = params.get(b"charset", b"utf-8").decode("latin-1")
        try:
            self._charset = codecs.lookup(charset).name
        except LookupError:
            self._charset = "latin-1"
        boundary = params.get(b"boundary")
        self._parser = MultipartParser(boundary, self._callbacks()) if boundary else None
        self._seen: dict[str, int] = {}
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._field: str | None = None  # the current plain field's label; None for a file
        self._data = bytearray()

    def feed(self, chunk: bytes) -> None:
        if self._parser is None or not chunk:
            return
        try:
            self._parser.write(chunk)
        except BadText:
            raise
        except Exception:
            # A malformed body is the route's to refuse (400/422); this scan only looks for
            # text, and stops looking once it cannot follow the framing.
            self._parser = None

    def _callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value_part,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self._disposition = b""
        self._field = None
        self._data = bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_part(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name = b""
        self._header_value = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        name = _decode(options.get(b"name", b""), self._charset)
        index = self._seen.get(name, 0)
        self._seen[name] = index + 1
        label = f"form.{printable(name)}[{index}]"
        check_text(label, name)
        if b"filename" in options:
            check_text(f"{label}.filename", _decode(options[b"filename"], self._charset))
        else:
            self._field = label

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._field is not None and len(self._data) <= self.max_field_bytes:
            self._data += data[start:end]

    def _part_end(self) -> None:
        if self._field is not None and len(self._data) <= self.max_field_bytes:
            check_text(self._field, _decode(bytes(self._data), self._charset))
