"""Writing the search index: a record's entries replaced whole, in the transaction of its write."""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session, col

from app.search.models import SearchEntry, SearchPart, SearchType
from app.search.text import index_terms


def _lines(texts: Sequence[str | None]) -> str:
    return "\n".join(text for text in texts if text)


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
        connection.execute(
            sa.delete(SearchEntry).where(
                col(SearchEntry.record_id) == record_id,
                col(SearchEntry.record_type) == record_type,
            )
        )
    if not parts:
        return
    connection.execute(
        sa.insert(SearchEntry),
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
