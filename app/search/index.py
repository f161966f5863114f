"""Writing the search index: a record's entries replaced whole, in the transaction of its write."""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session

from app.search.models import SearchEntry, SearchPart, SearchType
from app.search.text import index_terms


def _lines(texts: Sequence[str | None]) -> str:
    return "\n".join(text for text in texts if text)


_ENTRY = SearchEntry.__table__.c  # type: ignore[attr-defined]
# Built once: building a statement and its cache key cost about as much as running it.
_DELETE_ENTRIES = sa.delete(SearchEntry.__table__).where(  # type: ignore[attr-defined]
    _ENTRY.record_id == sa.bindparam("record_id"),
    _ENTRY.record_type == sa.bindparam("record_type"),
)
_INSERT_ENTRIES = sa.insert(SearchEntry.__table__)  # type: ignore[attr-defined]


def write(
    session: Session,
    record_type: str,
    record_id: uuid.UUID,
    parts: Sequence[SearchPart],
    *,
    new: bool = False,
) -> None:
    """Make the record's entries `parts` (none, for a deleted record); a `new` record has none
    to replace yet."""
    connection = session.connection()
    if not new:
        connection.execute(_DELETE_ENTRIES, {"record_id": record_id, "record_type": record_type})
    if not parts:
        return
    connection.execute(
        _INSERT_ENTRIES,
        [
            {
                "record_type": SearchType(record_type),
                "record_id": record_id,
                "part": part.part,
                "audience": part.audience,
                "title": part.title,
                "names": _lines(part.names),
                "texts": _lines(part.texts),
                "name_terms": index_terms(*part.names),
                "text_terms": index_terms(*part.texts),
            }
            for part in parts
        ],
    )
