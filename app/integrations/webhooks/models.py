"""Webhook subscriptions, the deliveries queued for them and the log of each attempt."""

import re
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import AfterValidator
from pydantic.json_schema import WithJsonSchema
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, enum_column_type, new_id, utcnow
from app.core.schemas import HttpUrlStr, NotNull, WriteModel
from app.integrations.models import ChangeType
from app.records.models import RecordAction

EVERY_EVENT = "*"
TEST_EVENT = "webhook.test"
_EVENT_TYPE = re.compile(rf"^(\*|({'|'.join(ChangeType)})\.({'|'.join(RecordAction)}))$")


def _known_event_type(value: str) -> str:
    if not _EVENT_TYPE.match(value):
        raise ValueError("expected `*` or `<record type>.<action>`, e.g. `law.created`")
    return value


EventType = Annotated[
    str,
    AfterValidator(_known_event_type),
    WithJsonSchema({"type": "string", "pattern": _EVENT_TYPE.pattern, "maxLength": 64}),
]
EVENT_TYPES_DESCRIPTION = (
    "What to be told of: `<record type>.<action>` such as `law.created` or "
    "`field_visit.published` (record types as in the change feed; actions `created`, "
    "`updated`, `deleted`, `restored`, `published`), or `*` for every change."
)


# ---- subscriptions -------------------------------------------------------------------------


class WebhookBase(SQLModel):
    url: str = Field(
        max_length=2048,
        description="Where deliveries are POSTed; `https` in production, and never a private, "
        "loopback or link-local address.",
        schema_extra={"examples": ["https://partner.example.org/caucus/webhooks"]},
    )
    event_types: list[str] = Field(sa_type=sa.JSON, description=EVENT_TYPES_DESCRIPTION)
    active: bool = Field(
        default=True,
        description="Deliveries are made only while true; turned off when the receiver answers "
        "410 Gone. Turned on again, it resumes from where it stopped.",
    )


class WebhookSubscription(WebhookBase, table=True):
    __tablename__ = "webhook_subscriptions"
    __table_args__ = (
        sa.Index(
            "ix_webhook_subscriptions_organisation_id_created_at_id",
            "organisation_id",
            "created_at",
            "id",
        ),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisations.id")
    # Kept as given: deliveries are signed with it. Shown once, when made.
    secret: str = Field(max_length=64)
    # The last change event fanned out to this subscription (or skipped as not for it).
    last_seq: int = Field(sa_type=sa.BigInteger)
    disabled_reason: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WebhookCreate(WriteModel):
    url: HttpUrlStr = Field(
        description="Where deliveries are POSTed; `https` in production, and never a private, "
        "loopback or link-local address.",
        schema_extra={"examples": ["https://partner.example.org/caucus/webhooks"]},
    )
    event_types: list[EventType] = Field(
        min_length=1,
        max_length=64,
        description=EVENT_TYPES_DESCRIPTION,
        schema_extra={"examples": [["law.created", "field_visit.published"]]},
    )
    active: bool = True


class WebhookUpdate(WriteModel):
    url: Annotated[HttpUrlStr | None, NotNull] = None
    event_types: Annotated[list[EventType] | None, NotNull] = Field(
        default=None, min_length=1, max_length=64, description=EVENT_TYPES_DESCRIPTION
    )
    active: Annotated[bool | None, NotNull] = Field(
        default=None, schema_extra={"examples": [False]}
    )


class WebhookPublic(WebhookBase):
    id: uuid.UUID
    organisation_id: uuid.UUID
    disabled_reason: str | None = Field(
        description="Why the service turned the subscription off, if it did."
    )
    created_at: datetime
    updated_at: datetime


class WebhookWithSecret(WebhookPublic):
    secret: str = Field(
        description="Verifies deliveries' `webhook-signature` (Standard Webhooks). Shown only "
        "in this response: store it now.",
        schema_extra={"examples": ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]},
    )


# ---- deliveries ----------------------------------------------------------------------------


class DeliveryStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    # Given up on: too many attempts, or the receiver answered 410 Gone.
    failed = "failed"


class WebhookDelivery(SQLModel, table=True):
    """One event to send to one subscription, sent until it is received or given up on."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        sa.Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    )

    # The `webhook-id`: the same on every attempt, so the receiver can drop duplicates.
    id: str = Field(primary_key=True, max_length=40)
    subscription_id: uuid.UUID = Field(
        foreign_key="webhook_subscriptions.id", ondelete="CASCADE", index=True
    )
    event_type: str = Field(max_length=64)
    # The exact body, frozen when queued, so every attempt sends and signs the same bytes.
    payload: str = Field(sa_type=sa.Text)
    status: DeliveryStatus = Field(
        default=DeliveryStatus.pending, sa_type=enum_column_type(DeliveryStatus)
    )
    attempts: int = 0
    # While pending: when it is due, or until when a worker's claim on it holds.
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebhookAttempt(SQLModel, table=True):
    """One POST of a delivery, or one refused before it was made."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (sa.Index("ix_webhook_attempts_subscription_id_id", "subscription_id", "id"),)

    id: int | None = Field(
        default=None,
        primary_key=True,
        sa_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
    )
    delivery_id: str = Field(
        foreign_key="webhook_deliveries.id", ondelete="CASCADE", index=True, max_length=40
    )
    subscription_id: uuid.UUID = Field(foreign_key="webhook_subscriptions.id", ondelete="CASCADE")
    event_type: str = Field(max_length=64)
    attempted_at: datetime = Field(sa_type=UTCDateTime)
    status_code: int | None = None
    latency_ms: int | None = None
    error: str | None = Field(default=None, max_length=500)


class WebhookAttemptPublic(SQLModel):
    webhook_id: str = Field(
        description="The delivery's `webhook-id`, the same on each of its attempts.",
        schema_extra={"examples": ["msg_5f0c8f0d2f4a4c6b9a3e1d7c2b8a6f40"]},
    )
    event_type: str = Field(schema_extra={"examples": ["law.created"]})
    attempted_at: datetime
    status_code: int | None = Field(description="The receiver's answer; null if none came.")
    latency_ms: int | None = Field(description="Until the answer came, or the attempt failed.")
    error: str | None = Field(
        description="Why the attempt failed without an answer (timeout, refused address...)."
    )


class WebhookTestQueued(SQLModel):
    webhook_id: str = Field(
        description="The `webhook-id` the test event is sent with; its attempts appear in the "
        "subscription's delivery log.",
        schema_extra={"examples": ["msg_5f0c8f0d2f4a4c6b9a3e1d7c2b8a6f40"]},
    )


class WebhookEvent(SQLModel):
    """The body of every delivery (a Standard Webhooks payload)."""

    type: str = Field(
        description="`<record type>.<action>`, or `webhook.test` for a test event.",
        schema_extra={"examples": ["law.created"]},
    )
    timestamp: datetime = Field(description="When the change was made (or the test asked for).")
    data: dict[str, Any] = Field(
        description="The change as the change feed lists it (`seq`, `type`, `id`, `action`, "
        "`occurred_at`, `actor_organisation_id`, `link`); for a test event, `subscription_id`."
    )
