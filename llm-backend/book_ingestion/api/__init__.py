"""Book ingestion admin API."""

from fastapi import APIRouter

from book_ingestion.api import books, guidelines, jobs, pages

router = APIRouter()
router.include_router(books.router)
router.include_router(pages.router)
router.include_router(jobs.router)
router.include_router(guidelines.book_router)
router.include_router(guidelines.router)
