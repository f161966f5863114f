"""What every oversight record shares, and the tables the record lifecycle writes beside it."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, enum_column_type, new_id, utcnow
from app.core.schemas import Timestamp


class Visibility(StrEnum):
    public = "public"
    partners = "partners"
    restricted = "restricted"


VISIBILITY_DESCRIPTION = (
    "`public` and `partners`: every signed-in caller; `restricted`: the secretariat and the "
    "owning organisation only."
)


class RecordAction(StrEnum):
    created = "created"
    updated = "updated"
    deleted = "deleted"
    restored = "restored"
    # An update that makes a record public in its final form (a field-visit report).
    published = "published"


EXTERNAL_REF_DESCRIPTION = (
    "Your own key for the record, e.g. its row id in a spreadsheet or another system; unique "
    "among records of its type. A bulk import finds the record by it, so importing the same "
    "file again changes nothing."
)
EXTERNAL_REF_EXAMPLE = "MFA-2024-017"


def external_ref_field() -> Any:
    """The `external_ref` of a record type that bulk imports find records of by a key of the
    caller's; the table adds a unique index on it."""
    return Field(
        default=None,
        min_length=1,
        max_length=200,
        description=EXTERNAL_REF_DESCRIPTION,
        schema_extra={"examples": [EXTERNAL_REF_EXAMPLE]},
    )


class Shared(SQLModel):
    """The field a caller sets on any record: who may see it."""

    visibility: Visibility = Field(
        default=Visibility.partners,
        sa_type=enum_column_type(Visibility),
        description=VISIBILITY_DESCRIPTION,
    )


class Record(Shared):
    """Columns of every record table; the lifecycle sets all of them, callers none."""

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisations.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(max_length=64)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: str = Field(max_length=64)
    version: int = 1
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    # Every UPDATE is made conditional on the version it read, so of two concurrent writers
    # starting from one version exactly one wins (the other gets StaleDataError).
    @declared_attr  # type: ignore[arg-type]
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805 - declared_attr takes the class
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class RecordPublic(SQLModel):
    id: uuid.UUID
    visibility: Visibility = Field(description=VISIBILITY_DESCRIPTION)
    organisation_id: uuid.UUID = Field(description="The organisation that owns the record.")
    created_at: datetime
    created_by: str = Field(description="`user:<id>`, `token:<id>` or `system`.")
    updated_at: datetime
    updated_by: str
    version: int = Field(description="Goes up by one with every change; the ETag carries it.")


BOOKKEEPING_FIELDS = frozenset(RecordPublic.model_fields) - {"visibility"}


class RecordFilters(SQLModel):
    """Query parameters every record collection takes; each adds its own."""

    updated_since: Timestamp | None = Field(
        default=None, description="Only records changed at or after this time (RFC 3339)."
    )
    include_deleted: bool = Field(
        default=False, description="Also list deleted records (secretariat admins only)."
    )


class Revision(SQLModel, table=True):
    """A full snapshot of a record as one write left it."""

    __tablename__ = "record_revisions"

    record_id: uuid.UUID = Field(primary_key=True)
    version: int = Field(primary_key=True)
    record_type: str = Field(max_length=32)
    action: RecordAction = Field(sa_type=enum_column_type(RecordAction))
    changed_fields: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    snapshot: dict[str, Any] = Field(sa_type=sa.JSON)
    actor: str = Field(max_length=64)
    actor_organisation_id: uuid.UUID | None = None
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RevisionPublic(SQLModel):
    version: int
    action: RecordAction
    changed_fields: list[str] = Field(
        description="Fields whose value differs from the previous revision.",
        schema_extra={"examples": [["status", "expires_on"]]},
    )
    snapshot: dict[str, Any] = Field(description="The record as this write left it.")
    actor: str = Field(description="`user:<id>`, `token:<id>` or `system`.")
    actor_organisation_id: uuid.UUID | None
    occurred_at: datetime


class ChangeEvent(SQLModel, table=True):
    """One write to one record, numbered in commit order for the change feed."""

    __tablename__ = "change_events"
    __table_args__ = (sa.Index("ix_change_events_record_id_seq", "record_id", "seq"),)

    # BIGINT on PostgreSQL; on SQLite only INTEGER PRIMARY KEY is the autoincrementing rowid.
    seq: int | None = Field(
        default=None,
        primary_key=True,
        sa_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
    )
    record_type: str = Field(max_length=32)
    record_id: uuid.UUID
    action: RecordAction = Field(sa_type=enum_column_type(RecordAction))
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor_organisation_id: uuid.UUID | None = None
    # Who may see the record after this write, so the feed can filter without reading it.
    organisation_id: uuid.UUID
    visibility: Visibility = Field(sa_type=enum_column_type(Visibility))


class IdempotencyKey(SQLModel, table=True):
    """A POST made with an `Idempotency-Key`, and the response it got, for replays."""

    __tablename__ = "idempotency_keys"

    caller: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=255)
    fingerprint: str = Field(max_length=64, description="SHA-256 of method, path and body.")
    # Null while the first request is still being handled.
    status_code: int | None = None
    response_body: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    response_headers: dict[str, str] = Field(default_factory=dict, sa_type=sa.JSON)
    # When the request handling it claimed the key, and which attempt that is: a claim left by
    # a request that died is taken over by a retry, and the dead one's write, if it was still
    # running after all, can tell its claim was lost.
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    attempt: uuid.UUID | None = Field(default_factory=uuid.uuid4)
    # The record the request wrote, set in the write's own transaction: a retry after a crash
    # or an outage between that commit and the stored response is answered from the record.
    record_type: str | None = Field(default=None, max_length=32)
    record_id: uuid.UUID | None = None
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
