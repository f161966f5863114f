"""Webhook subscriptions of an organisation: registered, changed, tested, and their delivery log.

A subscription belongs to its organisation: any of its callers who may read records manages it,
and no other organisation learns it exists. It pushes only what the change feed would show the
organisation (see `delivery`), so reading records is all it takes.
"""

import base64
import secrets
import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from app.audit import service as audit
from app.core.config import Settings
from app.core.db import utcnow
from app.core.errors import ConflictError, InvalidInputError, NotFoundError
from app.core.pagination import Page, PageParams, keyset_page
from app.identity.service import Principal
from app.integrations import service as feed
from app.integrations.webhooks.addresses import RefusedAddressError, check_url
from app.integrations.webhooks.models import (
    TEST_EVENT,
    WebhookAttempt,
    WebhookCreate,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
    WebhookUpdate,
)
from app.records.changes import refuse_nulls, save_changes, unique

# Standard Webhooks asks for 24 to 64 random bytes.
SECRET_BYTES = 32
SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
KIND = "webhook"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def new_delivery_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def event_body(event_type: str, timestamp: datetime, data: dict[str, Any]) -> str:
    """A delivery's body, as it is frozen when queued and sent on every attempt."""
    return WebhookEvent(type=event_type, timestamp=timestamp, data=data).model_dump_json()


def _checked_url(url: str, settings: Settings) -> str:
    try:
        check_url(url, settings=settings)
    except RefusedAddressError as exc:
        raise InvalidInputError(str(exc), field="url") from exc
    return url


def create_webhook(
    session: Session, *, principal: Principal, settings: Settings, data: WebhookCreate
) -> WebhookSubscription:
    """Register a subscription; it is told of changes made from now on, none before."""
    row = WebhookSubscription(
        organisation_id=principal.organisation.id,
        url=_checked_url(data.url, settings),
        event_types=unique(data.event_types),
        active=data.active,
        secret=new_secret(),
        last_seq=feed.newest_seq(session),
    )
    session.add(row)
    audit.record(
        session,
        action=f"{KIND}.created",
        actor=principal.actor,
        subject_type=KIND,
        subject_id=row.id,
        details={"event_types": row.event_types},
    )
    session.commit()
    return row


def get_webhook(
    session: Session, *, principal: Principal, webhook_id: uuid.UUID
) -> WebhookSubscription:
    row = session.get(WebhookSubscription, webhook_id)
    if row is None or row.organisation_id != principal.organisation.id:
        raise NotFoundError("No webhook here, or not one of your organisation's.")
    return row


def list_webhooks(
    session: Session, *, principal: Principal, params: PageParams
) -> Page[WebhookSubscription]:
    statement = select(WebhookSubscription).where(
        WebhookSubscription.organisation_id == principal.organisation.id
    )
    return keyset_page(
        session,
        statement,
        key=(WebhookSubscription.created_at, WebhookSubscription.id),  # type: ignore[arg-type]
        params=params,
    )


def update_webhook(
    session: Session,
    *,
    principal: Principal,
    settings: Settings,
    row: WebhookSubscription,
    data: WebhookUpdate,
) -> WebhookSubscription:
    changes = data.model_dump(exclude_unset=True)
    refuse_nulls(changes, "url", "event_types", "active")
    if "url" in changes:
        _checked_url(changes["url"], settings)
    if "event_types" in changes:
        changes["event_types"] = unique(changes["event_types"])
    if changes.get("active"):
        changes["disabled_reason"] = None
    save_changes(session, row, changes, actor=principal.actor, kind=KIND, subject_id=row.id)
    return row


def delete_webhook(session: Session, *, principal: Principal, row: WebhookSubscription) -> None:
    """Delete the subscription with its queued deliveries and their log."""
    session.delete(row)
    audit.record(
        session,
        action=f"{KIND}.deleted",
        actor=principal.actor,
        subject_type=KIND,
        subject_id=row.id,
    )
    session.commit()


def rotate_secret(
    session: Session, *, principal: Principal, row: WebhookSubscription
) -> WebhookSubscription:
    """Replace the secret; every delivery from now on, retries included, is signed with it."""
    row.secret = new_secret()
    row.updated_at = utcnow()
    session.add(row)
    audit.record(
        session,
        action=f"{KIND}.secret_rotated",
        actor=principal.actor,
        subject_type=KIND,
        subject_id=row.id,
    )
    session.commit()
    return row


def queue_test(session: Session, *, row: WebhookSubscription) -> WebhookDelivery:
    """Queue a `webhook.test` event, sent by the worker like any other delivery."""
    if not row.active:
        raise ConflictError("The webhook is not active: turn it on before testing it.")
    delivery_id = new_delivery_id()
    delivery = WebhookDelivery(
        id=delivery_id,
        subscription_id=row.id,
        event_type=TEST_EVENT,
        payload=event_body(TEST_EVENT, utcnow(), {"subscription_id": str(row.id)}),
    )
    session.add(delivery)
    session.commit()
    return delivery


def list_attempts(
    session: Session, *, row: WebhookSubscription, params: PageParams
) -> Page[WebhookAttempt]:
    """Every attempt at a delivery to this subscription, newest first."""
    statement = select(WebhookAttempt).where(col(WebhookAttempt.subscription_id) == row.id)
    return keyset_page(
        session,
        statement,
        key=(WebhookAttempt.id,),  # type: ignore[arg-type]
        params=params,
        descending=True,
    )
