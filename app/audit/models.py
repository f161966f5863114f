import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, new_id, utcnow


class AuditEntryBase(SQLModel):
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    action: str = Field(
        max_length=64,
        description="What happened, e.g. `auth.login_failed`.",
        schema_extra={"examples": ["agreement.updated"]},
    )
    actor_user_id: uuid.UUID | None = Field(default=None, description="The user who acted.")
    actor_token_id: uuid.UUID | None = Field(default=None, description="The API token used.")
    actor_organisation_id: uuid.UUID | None = None
    subject_type: str | None = Field(default=None, max_length=64)
    subject_id: str | None = Field(default=None, max_length=64)
    request_id: str | None = Field(default=None, max_length=128)
    client_address: str | None = Field(default=None, max_length=64)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)


class AuditEntry(AuditEntryBase, table=True):
    """One line of the append-only audit log: the database refuses to change or delete it."""

    __tablename__ = "audit_log"
    __table_args__ = (
        sa.Index("ix_audit_log_occurred_at_id", "occurred_at", "id"),
        sa.Index("ix_audit_log_actor_user_id_occurred_at", "actor_user_id", "occurred_at"),
        sa.Index("ix_audit_log_action_occurred_at", "action", "occurred_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)


class AuditEntryPublic(AuditEntryBase):
    id: uuid.UUID
