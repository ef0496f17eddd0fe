"""OCR of one page image with the `book_ingestion` model."""

from __future__ import annotations

from pathlib import Path

from shared.llm import ImageInput, complete
from shared.prompts import load_prompt

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"


def ocr_page(*, png: bytes, subject: str, grade: int, job_id: str | None = None) -> str:
    prompt = load_prompt(PROMPTS, "ocr_page", subject=subject, grade=grade)
    text = complete(
        component="book_ingestion",
        messages=[{"role": "user", "content": prompt}],
        images=[ImageInput(png, "image/png")],
        job_id=job_id,
    )
    return text.strip() + "\n" if text.strip() else ""
