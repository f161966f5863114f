"""The search index: one entry per searchable part of a record, and what a search answers."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.db import enum_column_type


class SearchType(StrEnum):
    """The record types searched, named as their record kinds are."""

    agreement = "agreement"
    law = "law"
    field_visit = "field_visit"
    activity = "activity"
    recommendation = "recommendation"
    parliamentarian = "parliamentarian"


class Audience(StrEnum):
    """Who may find a part, among those who may find its record."""

    record = "record"
    # The organisation that owns the record, and the secretariat.
    owner = "owner"
    secretariat = "secretariat"


RECORD_PART = "record"


@dataclass(frozen=True, slots=True)
class SearchPart:
    """What a record gives the index: a part whose `names` hold every word ranks before those
    found by their `texts`."""

    title: str
    names: Sequence[str | None] = ()
    texts: Sequence[str | None] = ()
    # `record`, or a name of the part's own, e.g. `testimony:<id>`.
    part: str = RECORD_PART
    audience: Audience = Audience.record


class SearchEntry(SQLModel, table=True):
    """A searchable part of a record, in the words it was written in and as tokens.

    The engine's own index reads the tokens: on SQLite the FTS5 tables `search_fts` (names and
    texts) and `search_fts_names`, kept in step by triggers, as is `search_fts_terms`, every
    token they hold; on PostgreSQL GIN indexes of their tsvectors, the columns `document` (names
    and texts) and `name_document` (names alone) PostgreSQL computes from them. None is in this
    metadata, since SQLite has no tsvector and autogenerate can see neither index (see
    `unmodelled`); migrations 0009, 0014, 0017 and 0018 make them.
    """

    __tablename__ = "search_entries"
    __table_args__ = (
        sa.Index("ix_search_entries_record_id_record_type", "record_id", "record_type"),
    )

    # On SQLite, the rowid FTS5 refers to.
    id: int | None = Field(
        default=None,
        primary_key=True,
        sa_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
    )
    record_type: SearchType = Field(sa_type=enum_column_type(SearchType))
    record_id: uuid.UUID
    part: str = Field(max_length=64)
    audience: Audience = Field(sa_type=enum_column_type(Audience))
    title: str = Field(sa_type=sa.Text)
    names: str = Field(sa_type=sa.Text)
    texts: str = Field(sa_type=sa.Text)
    name_terms: str = Field(sa_type=sa.Text)
    text_terms: str = Field(sa_type=sa.Text)


FTS_TABLE = "search_fts"
# SQLite's FTS5 table of the names alone, and its record of every token (migration 0018).
NAMES_FTS_TABLE = FTS_TABLE + "_names"
TERMS_TABLE = FTS_TABLE + "_terms"
DOCUMENT_INDEX = "ix_search_entries_document"
DOCUMENT_COLUMN = "document"
NAME_DOCUMENT_INDEX = "ix_search_entries_name_document"
NAME_DOCUMENT_COLUMN = "name_document"


def unmodelled(name: str | None, type_: str, parent_names: object) -> bool:
    """Whether a database object is one of the engines' own search indexes, which migrations
    0009, 0014, 0017 and 0018 make outside the metadata (SQLite's FTS5 tables, their shadow
    tables and the record of their tokens; PostgreSQL's tsvector columns and their GIN
    indexes)."""
    if name is None:
        return False
    if type_ == "table":
        return name == FTS_TABLE or name.startswith(FTS_TABLE + "_")
    if type_ == "column":
        return (
            name in (DOCUMENT_COLUMN, NAME_DOCUMENT_COLUMN)
            and isinstance(parent_names, dict)
            and parent_names.get("table_name") == SearchEntry.__tablename__
        )
    return type_ == "index" and name in (DOCUMENT_INDEX, NAME_DOCUMENT_INDEX)


class SearchHit(SQLModel):
    type: SearchType = Field(description="The record's type.")
    id: uuid.UUID = Field(description="The record's id.")
    title: str = Field(
        description="Its title (a parliamentarian's name; the start of a recommendation).",
        schema_extra={"examples": ["Domestic Workers Act"]},
    )
    snippet: str = Field(
        description="The words around the first match, as written.",
        schema_extra={"examples": ["…workers met had their passports held by their employers…"]},
    )
    link: str = Field(
        description="Where to read the record.",
        schema_extra={
            "examples": ["http://127.0.0.1:8000/api/v1/laws/0f8a4c1e-6b2d-4e57-9a3c-2d1e7f6b5a40"]
        },
    )
