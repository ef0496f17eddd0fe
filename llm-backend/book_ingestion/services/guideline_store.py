"""A book's guideline extraction state and its files under `books/{id}/guidelines/`.

`state.json` is the single source of truth and the commit point: it is written last, after the
files derived from it (one shard per subtopic at `topics/{topic_key}/{subtopic_key}.json`,
`index.json` = topics → subtopics with status and page range, `page_index.json` = page →
subtopic). A crash between the writes leaves an older state.json, and redoing the page from it
rewrites the same derived files, so a resumed run ends identical to an uninterrupted one.
"""

from __future__ import annotations

import json
import re
from typing import Literal

from pydantic import BaseModel, Field

from shared.storage import BlobNotFoundError, get_blob_store

SubtopicStatus = Literal["open", "stable", "final"]
JSON = "application/json"


def guidelines_prefix(book_id: str) -> str:
    return f"books/{book_id}/guidelines/"


def shard_key(book_id: str, topic_key: str, subtopic_key: str) -> str:
    return f"books/{book_id}/guidelines/topics/{topic_key}/{subtopic_key}.json"


def slug(value: str, *, fallback: str = "untitled") -> str:
    """Keys become path segments, so only `[a-z0-9-]` survives."""
    return re.sub(r"[^a-z0-9]+", "-", (value or "").lower()).strip("-")[:60] or fallback


class Topic(BaseModel):
    topic_key: str
    topic_title: str
    topic_summary: str = ""


class Subtopic(BaseModel):
    topic_key: str
    subtopic_key: str
    subtopic_title: str
    subtopic_summary: str = ""
    status: SubtopicStatus = "open"
    page_start: int
    page_end: int
    last_page: int  # the last page that touched it (stability is counted from here)
    guidelines: str = ""
    merge_fallbacks: list[int] = Field(default_factory=list)  # pages appended, not merged

    @property
    def ref(self) -> str:
        return f"{self.topic_key}/{self.subtopic_key}"


class ExtractionState(BaseModel):
    last_page: int = 0
    page_summaries: dict[int, str] = Field(default_factory=dict)
    topics: list[Topic] = Field(default_factory=list)
    subtopics: list[Subtopic] = Field(default_factory=list)
    page_index: dict[int, str] = Field(default_factory=dict)  # page -> "topic/subtopic"
    failed_pages: list[int] = Field(default_factory=list)

    def topic(self, key: str) -> Topic | None:
        return next((t for t in self.topics if t.topic_key == key), None)

    def topic_of(self, sub: Subtopic) -> Topic:
        """The subtopic's topic. A subtopic is only ever added under its topic and renames
        move both, so a missing one means a corrupt state file: the item fails saying so."""
        topic = self.topic(sub.topic_key)
        if topic is None:
            raise ValueError(f"subtopic {sub.ref} has no topic {sub.topic_key!r} in the state")
        return topic

    def subtopic(self, ref: str) -> Subtopic | None:
        return next((s for s in self.subtopics if s.ref == ref), None)

    def subtopics_of(self, topic_key: str) -> list[Subtopic]:
        return [s for s in self.subtopics if s.topic_key == topic_key]


class GuidelineShard(Subtopic):
    """One subtopic's file `topics/{topic_key}/{subtopic_key}.json`: the subtopic with its
    book and topic. What sync turns into a row and the admin list shows; the file holds
    exactly its fields (`save`), so a file reads back as this model."""

    book_id: str
    topic_title: str
    topic_summary: str = ""


def load_state(book_id: str) -> ExtractionState:
    try:
        raw = get_blob_store().get(guidelines_prefix(book_id) + "state.json")
    except BlobNotFoundError:
        return ExtractionState()
    return ExtractionState.model_validate_json(raw)


def shard(book_id: str, state: ExtractionState, sub: Subtopic) -> GuidelineShard:
    topic = state.topic(sub.topic_key)
    return GuidelineShard(
        **sub.model_dump(),
        book_id=book_id,
        topic_title=topic.topic_title if topic else sub.topic_key,
        topic_summary=topic.topic_summary if topic else "",
    )


def index(state: ExtractionState) -> dict:
    return {
        "last_page": state.last_page,
        "failed_pages": state.failed_pages,
        "topics": [
            {
                "topic_key": t.topic_key,
                "topic_title": t.topic_title,
                "topic_summary": t.topic_summary,
                "subtopics": [
                    {
                        "subtopic_key": s.subtopic_key,
                        "subtopic_title": s.subtopic_title,
                        "status": s.status,
                        "page_start": s.page_start,
                        "page_end": s.page_end,
                    }
                    for s in state.subtopics_of(t.topic_key)
                ],
            }
            for t in state.topics
        ],
    }


def _put(key: str, value: dict) -> None:
    data = json.dumps(value, indent=2, sort_keys=True).encode()
    get_blob_store().put(key, data, content_type=JSON)


def save(book_id: str, state: ExtractionState, *, shards: list[str] | None = None) -> None:
    """Writes the shards named in `shards` (refs; None = all, and deletes shard files no
    subtopic owns any more), the two indexes, then state.json."""
    store = get_blob_store()
    prefix = guidelines_prefix(book_id)
    wanted = {shard_key(book_id, s.topic_key, s.subtopic_key): s for s in state.subtopics}
    for key, sub in wanted.items():
        if shards is None or sub.ref in shards:
            _put(key, shard(book_id, state, sub).model_dump(mode="json"))
    if shards is None:
        for key in store.list_keys(prefix + "topics/"):
            if key not in wanted:
                store.delete(key)
    _put(prefix + "index.json", index(state))
    _put(prefix + "page_index.json", {str(p): r for p, r in sorted(state.page_index.items())})
    _put(prefix + "state.json", state.model_dump(mode="json"))


def shards(book_id: str, state: ExtractionState) -> list[GuidelineShard]:
    """The shards `state` describes, in index order: what sync snapshots and the book's
    guideline list shows. The shard files hold exactly these (`save` writes them from the
    state), so one read of state.json stands for every file."""
    return [shard(book_id, state, s) for t in state.topics for s in state.subtopics_of(t.topic_key)]


def read_shards(book_id: str) -> list[GuidelineShard]:
    return shards(book_id, load_state(book_id))
