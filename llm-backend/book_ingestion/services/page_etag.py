"""A page's entity tag and the `If-Match` check that makes `DELETE …/pages/{n}` safe to retry.

`/pages/{n}` names whichever page is number n now, and a delete renumbers the pages after it,
so a retried or duplicated delete would remove the next page. The tag names the page itself
(its id, quoted), not its content: approving or re-OCR-ing a page keeps its tag; only another
page taking number n changes what `/pages/{n}` answers with.
"""

from __future__ import annotations


def page_etag(page_id: str) -> str:
    return f'"{page_id}"'


def if_match_allows(if_match: str | None, page_id: str) -> bool:
    """RFC 9110 If-Match with strong comparison: no header or `*` allows whatever page is
    there; otherwise one of the listed tags must be this page's (a weak `W/"…"` tag never
    matches). A bare id counts as its tag, for clients that copy the `id` field."""
    if if_match is None:
        return True
    tags = {tag.strip() for tag in if_match.split(",")}
    return bool(tags & {"*", page_etag(page_id), page_id})
