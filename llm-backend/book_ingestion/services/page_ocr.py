"""A page's OCR fields (stage, error, job, image and text keys and their files), written here
and nowhere else: a page is queued for a job's OCR, then gets the job's text or its error."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import JSON, String, Text, Update, bindparam, column, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import FromClause

from book_ingestion.models.database import BookPage
from book_ingestion.models.status import PageStage
from book_ingestion.services import keys
from shared.sql import table_of
from shared.storage import StoredObject, get_blob_store

PAGES = table_of(BookPage)
TEXT_TYPE = "text/plain; charset=utf-8"


# A checkpoint's pages arrive as ONE JSON parameter, read as a table (`v`) of the columns
# below: a statement of one shape whatever the number of pages, so it is compiled once and
# cached, where a VALUES list or CASE per page was a new statement (compiled, and cached as
# long-lived objects that set off full garbage collections mid-job) for each batch size.
_FIELDS = ("id", "status", "error", "image_key", "text_key")


def _rows_postgresql() -> FromClause:
    columns = [column(name, Text if name == "error" else String) for name in _FIELDS]
    rows = func.json_to_recordset(bindparam("rows", type_=JSON))
    return rows.table_valued(*columns).render_derived(name="v", with_types=True)


def _rows_sqlite() -> FromClause:
    each = func.json_each(bindparam("rows", type_=JSON)).table_valued("value")
    fields = [func.json_extract(each.c.value, f"$.{name}").label(name) for name in _FIELDS]
    return select(*fields).subquery("v")


def _update(rows: FromClause) -> Update:
    v = rows.c
    return (
        update(PAGES)
        .where(PAGES.c.id == v.id)
        .values(
            status=v.status,
            ocr_error=v.error,
            image_s3_key=func.coalesce(PAGES.c.image_s3_key, v.image_key),
            text_s3_key=func.coalesce(PAGES.c.text_s3_key, v.text_key),
        )
        .returning(PAGES.c.id, PAGES.c.image_s3_key, PAGES.c.text_s3_key)
    )


_UPDATES = {"postgresql": _update(_rows_postgresql()), "sqlite": _update(_rows_sqlite())}


def queue(page: BookPage, *, job_id: str) -> None:
    """The page waits for job `job_id`'s OCR; until the job writes, it keeps the text it has."""
    page.status, page.ocr_error, page.ocr_job_id = PageStage.QUEUED, None, job_id


@dataclass(frozen=True)
class OcrResult:
    """A page's OCR as its job's checkpoint writes it (a `shared.jobs.items.BatchedWrite`):
    its text and PNG image, the page then awaiting review; or its error (`ocr_failed`: it
    keeps any earlier text, and can be retried)."""

    book_id: str
    page_id: str
    text: str = ""
    png: bytes = b""
    error: str | None = None

    @classmethod
    def write_all(cls, session: Session, results: Sequence[OcrResult]) -> None:
        """Every page of a checkpoint in ONE UPDATE, then the files of those that got text, in
        one blob-store call. A page keeps the keys it has: one stored before files were named
        by id may have been renumbered, and its `pages/{n}.*` keys no longer match its number;
        RETURNING gives the keys as stored, and a page deleted meanwhile returns no row and
        gets no file. Keys and bytes depend only on the page and the result, so a retried
        transaction writes the same objects again."""
        if not results:
            return
        rows = [
            {"id": r.page_id, "status": str(PageStage.OCR_FAILED), "error": r.error}
            if r.error is not None
            # An error page's keys are NULL here: it keeps the ones it has (or none).
            else {
                "id": r.page_id,
                "status": str(PageStage.PENDING_REVIEW),
                "image_key": keys.image_key(r.book_id, page_id=r.page_id),
                "text_key": keys.text_key(r.book_id, page_id=r.page_id),
            }
            for r in results
        ]
        statement = _UPDATES[session.get_bind().dialect.name]
        stored = {row.id: row for row in session.execute(statement, {"rows": rows})}
        files: list[StoredObject] = []
        for result in results:
            if result.error is not None:
                continue
            row = stored.get(result.page_id)
            if row is not None:
                files.append((row.image_s3_key, result.png, "image/png"))
                files.append((row.text_s3_key, result.text.encode(), TEXT_TYPE))
        get_blob_store().put_many(files)  # one call for the checkpoint's files
