"""The audit log: written in the same transaction as the change it records, never altered."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from app.audit.models import AuditEntry
from app.core.db import new_id, utcnow
from app.core.middleware import current_client_address, current_request_id
from app.core.pagination import Page, PageParams, keyset_page


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something: a user, an organisation's API token, or (None) nobody signed in."""

    user_id: uuid.UUID | None = None
    token_id: uuid.UUID | None = None
    organisation_id: uuid.UUID | None = None

    @property
    def key(self) -> str:
        """How records name who created or changed them: `user:<id>`, `token:<id>` or `system`."""
        if self.user_id is not None:
            return f"user:{self.user_id}"
        if self.token_id is not None:
            return f"token:{self.token_id}"
        return "system"


# Built once: building the statement and its cache key cost about as much as running it.
_INSERT_ENTRY = sa.insert(AuditEntry.__table__)  # type: ignore[attr-defined]


def record(
    session: Session,
    *,
    action: str,
    actor: Actor | None,
    subject_type: str | None = None,
    subject_id: uuid.UUID | str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Write an entry in the session's transaction: it is committed, or rolled back, with the
    change itself. A plain insert, since nothing reads the entry back in that transaction."""
    actor = actor or Actor()
    session.connection().execute(
        _INSERT_ENTRY,
        {
            "id": new_id(),
            "occurred_at": utcnow(),
            "action": action,
            "actor_user_id": actor.user_id,
            "actor_token_id": actor.token_id,
            "actor_organisation_id": actor.organisation_id,
            "subject_type": subject_type,
            "subject_id": str(subject_id) if subject_id is not None else None,
            "request_id": current_request_id(),
            "client_address": current_client_address(),
            "details": details or {},
        },
    )


def list_entries(
    session: Session,
    *,
    params: PageParams,
    actor_user_id: uuid.UUID | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[AuditEntry]:
    statement = select(AuditEntry)
    if actor_user_id is not None:
        statement = statement.where(AuditEntry.actor_user_id == actor_user_id)
    if action is not None:
        statement = statement.where(AuditEntry.action == action)
    if since is not None:
        statement = statement.where(AuditEntry.occurred_at >= since)
    if until is not None:
        statement = statement.where(AuditEntry.occurred_at < until)
    return keyset_page(
        session,
        statement,
        key=(AuditEntry.occurred_at, AuditEntry.id),  # type: ignore[arg-type]
        params=params,
        descending=True,
    )
