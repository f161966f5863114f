"""The webhook worker: change events fanned out to subscriptions, then sent, at least once.

The change feed's own table is the outbox: every write commits its change event in its own
transaction, in order of the events' numbers. Each subscription keeps the number of the last event
it was given (`last_seq`). Fanning out reads the events after it through the feed itself, as the
subscription's organisation would (so a webhook never tells of a record, or an unpublished
report, the feed would not show), queues one delivery per wanted event and moves the number on,
in one transaction with the subscription's row locked: two workers never queue an event twice.

Sending claims one due delivery at a time and pushes its due time out by a lease, committed
before the POST, so no other worker sends it meanwhile; the outcome is recorded afterwards. A
worker that dies between the two leaves the claim to expire: the delivery is sent again, with the
same `webhook-id`, and never lost. Receivers drop duplicates by that id.
"""

import email.utils
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from standardwebhooks import Webhook

from app import __version__
from app.api import api_router
from app.audit import service as audit
from app.core.config import Settings
from app.core.db import utcnow, writing_engine
from app.identity.models import Organisation, Role, Scope
from app.identity.service import Principal
from app.integrations import service as feed
from app.integrations.models import ChangeType
from app.integrations.service import UrlFor
from app.integrations.webhooks.addresses import RefusedAddressError, check_url
from app.integrations.webhooks.models import (
    EVERY_EVENT,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from app.integrations.webhooks.service import KIND as WEBHOOK
from app.integrations.webhooks.service import event_body, new_delivery_id

logger = logging.getLogger(__name__)

# Events read per subscription per transaction.
FAN_OUT_BATCH = 200
MAX_ERROR_LENGTH = 500
GONE = 410


@dataclass(frozen=True, slots=True)
class Claim:
    """A delivery a worker has claimed, with what it takes to send it."""

    delivery_id: str
    subscription_id: uuid.UUID
    event_type: str
    url: str
    secret: str
    payload: str


@dataclass(frozen=True, slots=True)
class Outcome:
    attempted_at: datetime
    status_code: int | None = None
    latency_ms: int | None = None
    error: str | None = None
    retry_after_seconds: float | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def links(settings: Settings) -> UrlFor:
    """Links to records as the API answers them, from the service's public URL."""
    base = settings.public_url.rstrip("/")
    return lambda name, **path: base + str(api_router.url_path_for(name, **path))


def _locking(engine: Engine) -> bool:
    # SQLite has one writer at a time already: a writing session is the lock.
    return engine.dialect.name == "postgresql"


# ---- fan-out --------------------------------------------------------------------------------


def fan_out(engine: Engine, *, url_for: UrlFor) -> int:
    """Queue deliveries of the events every active subscription has not been given yet; the
    number of events read (0 when there was nothing new).

    A deactivated organisation is sent nothing, as its tokens read nothing: its subscriptions
    wait where they were, and catch up if it is activated again, as its feed reader would.
    """
    with Session(engine) as session:
        ids = list(
            session.exec(
                select(WebhookSubscription.id)
                .join(
                    Organisation, col(Organisation.id) == col(WebhookSubscription.organisation_id)
                )
                .where(col(WebhookSubscription.active), col(Organisation.is_active))
            )
        )
    read = 0
    for subscription_id in ids:
        with Session(writing_engine(engine), expire_on_commit=False) as session:
            read += _fan_out_one(session, subscription_id, url_for)
    return read


def _fan_out_one(session: Session, subscription_id: uuid.UUID, url_for: UrlFor) -> int:
    statement = select(WebhookSubscription).where(
        WebhookSubscription.id == subscription_id, col(WebhookSubscription.active)
    )
    if _locking(session.get_bind()):  # type: ignore[arg-type]
        # Another worker fanning out this subscription now will have queued these events.
        statement = statement.with_for_update(skip_locked=True)
    subscription = session.exec(statement).first()
    if subscription is None:
        return 0
    organisation = session.get(Organisation, subscription.organisation_id)
    assert organisation is not None  # noqa: S101 - a foreign key
    if not organisation.is_active:  # deactivated since the subscriptions were listed
        return 0
    # What the organisation's callers who read records see in the feed, no more.
    principal = Principal(
        organisation=organisation, role=Role.reader, scopes=frozenset({Scope.records_read})
    )
    wanted = set(subscription.event_types)
    every = EVERY_EVENT in wanted
    types = [] if every else sorted({ChangeType(name.split(".", 1)[0]) for name in wanted})
    # Events commit in number order: every one up to the newest now is committed, and read below.
    newest = feed.newest_seq(session)
    found = feed.changes(
        session, principal=principal, after=subscription.last_seq, limit=FAN_OUT_BATCH, types=types
    )
    for change in found:
        event_type = f"{change.event.record_type}.{change.event.action.value}"
        if not every and event_type not in wanted:
            continue
        thin = change.public(url_for)
        session.add(
            WebhookDelivery(
                id=new_delivery_id(),
                subscription_id=subscription.id,
                event_type=event_type,
                payload=event_body(event_type, thin.occurred_at, thin.model_dump(mode="json")),
            )
        )
    last = found[-1].event.seq if found else None
    if len(found) == FAN_OUT_BATCH and last is not None:
        subscription.last_seq = last
    else:
        # Nothing the subscription may see lies between: skip the events it may not.
        subscription.last_seq = max(newest, last or 0, subscription.last_seq)
    session.add(subscription)
    session.commit()
    return len(found)


# ---- sending --------------------------------------------------------------------------------


def claim(engine: Engine, *, settings: Settings, due_by: datetime) -> Claim | None:
    """The next delivery due by `due_by`, claimed for the lease (committed), or None."""
    with Session(writing_engine(engine)) as session:
        statement = (
            select(WebhookDelivery, WebhookSubscription.url, WebhookSubscription.secret)
            .join(
                WebhookSubscription,
                col(WebhookSubscription.id) == col(WebhookDelivery.subscription_id),
            )
            .join(Organisation, col(Organisation.id) == col(WebhookSubscription.organisation_id))
            .where(
                WebhookDelivery.status == DeliveryStatus.pending,
                col(WebhookDelivery.next_attempt_at) <= due_by,
                col(WebhookSubscription.active),
                # Queued before its organisation was deactivated: held, not sent.
                col(Organisation.is_active),
            )
            .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.created_at))
            .limit(1)
        )
        if _locking(engine):
            statement = statement.with_for_update(skip_locked=True, of=WebhookDelivery)
        found = session.exec(statement).first()
        if found is None:
            return None
        delivery, url, secret = found
        delivery.next_attempt_at = utcnow() + timedelta(seconds=settings.webhook_lease_seconds)
        session.add(delivery)
        session.commit()
        return Claim(
            delivery_id=delivery.id,
            subscription_id=delivery.subscription_id,
            event_type=delivery.event_type,
            url=url,
            secret=secret,
            payload=delivery.payload,
        )


def signed_headers(claim: Claim, now: datetime) -> dict[str, str]:
    """Standard Webhooks headers: the same id on every attempt, this attempt's time."""
    return {
        "content-type": "application/json",
        "user-agent": f"caucus-oversight-api/{__version__}",
        "webhook-id": claim.delivery_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(claim.secret).sign(claim.delivery_id, now, claim.payload),
    }


def send(claim: Claim, *, settings: Settings, client: httpx.Client) -> Outcome:
    """POST the delivery once, if its URL may still be sent to; the body of the answer is
    never read."""
    started = utcnow()
    try:
        checked = check_url(claim.url, settings=settings)
    except RefusedAddressError as exc:
        return Outcome(attempted_at=started, error=f"Refused: {exc}")
    url = httpx.URL(claim.url)
    headers = signed_headers(claim, started)
    extensions = {}
    if checked:
        # To the address just checked, not to what the name resolves to when connecting; the
        # certificate is still checked against the name.
        headers["host"] = url.netloc.decode("ascii")
        extensions["sni_hostname"] = url.host
        url = url.copy_with(host=str(checked[0]))
    clock = time.monotonic()
    try:
        with client.stream(
            "POST", url, content=claim.payload.encode(), headers=headers, extensions=extensions
        ) as response:
            status_code = response.status_code
            retry_after = response.headers.get("retry-after")
    except httpx.TimeoutException:
        return Outcome(attempted_at=started, latency_ms=_since(clock), error="Timed out.")
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]
        return Outcome(attempted_at=started, latency_ms=_since(clock), error=error)
    return Outcome(
        attempted_at=started,
        status_code=status_code,
        latency_ms=_since(clock),
        retry_after_seconds=retry_after_seconds(retry_after, utcnow()),
    )


def _since(clock: float) -> int:
    return round((time.monotonic() - clock) * 1000)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """`Retry-After` as seconds from now: given as seconds, or as an HTTP date (RFC 9110)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_seconds(
    attempts: int, settings: Settings, rng: Callable[[], float] = random.random
) -> float:
    """Exponential backoff with full jitter: anywhere up to base * 2^(attempts - 1), capped."""
    ceiling: float = min(
        settings.webhook_backoff_max_seconds,
        settings.webhook_backoff_base_seconds * 2.0 ** (attempts - 1),
    )
    return ceiling * rng()


def record(
    engine: Engine,
    claim: Claim,
    outcome: Outcome,
    *,
    settings: Settings,
    rng: Callable[[], float] = random.random,
) -> DeliveryStatus | None:
    """Log the attempt and decide what comes next: delivered, retried later or given up on
    (a 410 Gone turns the subscription off). None if the subscription was deleted meanwhile."""
    with Session(writing_engine(engine)) as session:
        statement = select(WebhookDelivery).where(WebhookDelivery.id == claim.delivery_id)
        delivery = session.exec(statement.with_for_update()).first()
        if delivery is None:
            return None
        session.add(
            WebhookAttempt(
                delivery_id=delivery.id,
                subscription_id=delivery.subscription_id,
                event_type=delivery.event_type,
                attempted_at=outcome.attempted_at,
                status_code=outcome.status_code,
                latency_ms=outcome.latency_ms,
                error=outcome.error,
            )
        )
        delivery.attempts += 1
        # Already settled by a worker that sent it after this one's claim expired.
        if delivery.status is DeliveryStatus.pending:
            _settle(session, delivery, outcome, settings=settings, rng=rng)
        session.add(delivery)
        session.commit()
        return delivery.status


def _settle(
    session: Session,
    delivery: WebhookDelivery,
    outcome: Outcome,
    *,
    settings: Settings,
    rng: Callable[[], float],
) -> None:
    now = utcnow()
    if outcome.succeeded:
        delivery.status = DeliveryStatus.delivered
        delivery.delivered_at = now
    elif outcome.status_code == GONE:
        delivery.status = DeliveryStatus.failed
        _disable(session, delivery.subscription_id)
    elif delivery.attempts >= settings.webhook_max_attempts:
        delivery.status = DeliveryStatus.failed
    else:
        delay = outcome.retry_after_seconds
        if delay is None:
            delay = backoff_seconds(delivery.attempts, settings, rng)
        delay = min(delay, settings.webhook_backoff_max_seconds)
        delivery.next_attempt_at = now + timedelta(seconds=delay)


def _disable(session: Session, subscription_id: uuid.UUID) -> None:
    session.execute(
        sa.update(WebhookSubscription)
        .where(col(WebhookSubscription.id) == subscription_id)
        .values(
            active=False,
            disabled_reason="The receiver answered 410 Gone.",
            updated_at=utcnow(),
        )
    )
    audit.record(
        session,
        action=f"{WEBHOOK}.disabled",
        actor=None,
        subject_type=WEBHOOK,
        subject_id=subscription_id,
        details={"reason": "410 Gone"},
    )


def deliver_due(engine: Engine, *, settings: Settings, client: httpx.Client) -> int:
    """Send every delivery due now, each once at most; the number of attempts made."""
    due_by = utcnow()
    attempts = 0
    while (claimed := claim(engine, settings=settings, due_by=due_by)) is not None:
        outcome = send(claimed, settings=settings, client=client)
        record(engine, claimed, outcome, settings=settings)
        attempts += 1
    return attempts


def new_client(settings: Settings) -> httpx.Client:
    return httpx.Client(
        timeout=settings.webhook_timeout_seconds,
        # A redirect would lead past the address check, to wherever the receiver points.
        follow_redirects=False,
        # Connections are made to checked addresses: one kept open for a name must not carry a
        # request for another name that resolved to the same address.
        limits=httpx.Limits(max_keepalive_connections=0),
    )


PRUNE_EVERY_SECONDS = 60 * 60


def prune(engine: Engine, *, settings: Settings) -> int:
    """Forget deliveries received or given up on more than `webhook_log_days` ago, with their
    attempts, so the log does not grow for ever; how many were forgotten."""
    before = utcnow() - timedelta(days=settings.webhook_log_days)
    with Session(writing_engine(engine)) as session:
        # Their attempts go with them: the foreign key cascades.
        deleted = session.execute(
            sa.delete(WebhookDelivery).where(
                col(WebhookDelivery.status) != DeliveryStatus.pending,
                col(WebhookDelivery.created_at) < before,
            )
        )
        session.commit()
    forgotten: int = deleted.rowcount  # type: ignore[attr-defined]
    if forgotten:
        logger.info(
            "webhooks: forgot %d deliveries older than %d days",
            forgotten,
            settings.webhook_log_days,
        )
    return forgotten


def work(engine: Engine, *, settings: Settings, once: bool, stop: threading.Event) -> None:
    """Fan out and send until stopped; with `once`, fan out everything, attempt what is due
    once, and return (retries wait for a later run)."""
    url_for = links(settings)
    with new_client(settings) as client:
        if once:
            while fan_out(engine, url_for=url_for):
                pass
            deliver_due(engine, settings=settings, client=client)
            prune(engine, settings=settings)
            return
        pruned_at = 0.0
        while not stop.is_set():
            if time.monotonic() - pruned_at >= PRUNE_EVERY_SECONDS:
                prune(engine, settings=settings)
                pruned_at = time.monotonic()
            read = fan_out(engine, url_for=url_for)
            sent = deliver_due(engine, settings=settings, client=client)
            if read or sent:
                logger.info("webhooks: %d events read, %d attempts made", read, sent)
            else:
                stop.wait(settings.webhook_poll_seconds)
