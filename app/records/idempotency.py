"""`Idempotency-Key` on POST: a retried request gets the first response and creates nothing.

A key is claimed, in a transaction of its own, before the request is handled; the record the
request writes is noted on the key in the write's own transaction, and the response is kept with
it once it succeeds. Keys belong to the caller and are kept for a day. A request that fails
before it writes releases its key, so the caller can correct it and retry with the same key.
A request that dies (the server killed, the database gone) leaves its claim: a retry is answered
from the record it wrote, or, once the claim is old enough to be abandoned, handled anew.
"""

import hashlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum, auto

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from app.core.db import utcnow
from app.core.errors import ConflictError
from app.records.models import IdempotencyKey

KEY_LIFETIME = timedelta(hours=24)
HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
# Response headers a replay repeats; others (request id, rate limits) belong to the new request.
KEPT_HEADERS = ("content-type", "location", "etag")


# A request is never handled for this long (the pool and busy timeouts end it well before):
# a claim older than this with nothing written was left by a request that died.
ABANDONED_AFTER = timedelta(minutes=2)


class Claim(Enum):
    claimed = auto()
    replay = auto()
    written = auto()
    in_progress = auto()
    mismatch = auto()


@dataclass(slots=True)
class Attempt:
    """The claim the request being handled holds, for its write to mark with what it wrote."""

    caller: str
    key: str
    attempt: uuid.UUID
    record_type: str
    marked: bool = False


_current: ContextVar[Attempt | None] = ContextVar("idempotency_attempt", default=None)


def fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def claim(
    engine: sa.Engine, *, caller: str, key: str, fingerprint: str
) -> tuple[Claim, IdempotencyKey]:
    """Claim `key` for this request, or say why not: replay, written by an earlier attempt,
    still in progress, other body."""
    now = utcnow()
    with Session(engine, expire_on_commit=False) as session:
        session.exec(delete(IdempotencyKey).where(col(IdempotencyKey.expires_at) < now))
        claimed = IdempotencyKey(
            caller=caller, key=key, fingerprint=fingerprint, expires_at=now + KEY_LIFETIME
        )
        session.add(claimed)
        try:
            session.commit()
            return Claim.claimed, claimed
        except IntegrityError:
            session.rollback()
        existing = session.exec(
            select(IdempotencyKey).where(IdempotencyKey.caller == caller, IdempotencyKey.key == key)
        ).first()
        if existing is None:  # released meanwhile: the first request failed
            return claim(engine, caller=caller, key=key, fingerprint=fingerprint)
        if existing.fingerprint != fingerprint:
            return Claim.mismatch, existing
        if existing.status_code is not None:
            return Claim.replay, existing
        if existing.record_id is not None:
            return Claim.written, existing
        if now - existing.created_at < ABANDONED_AFTER:
            return Claim.in_progress, existing
        taken_over = session.execute(
            sa.update(IdempotencyKey)
            .where(
                col(IdempotencyKey.caller) == caller,
                col(IdempotencyKey.key) == key,
                col(IdempotencyKey.created_at) == existing.created_at,
                col(IdempotencyKey.status_code).is_(None),
                col(IdempotencyKey.record_id).is_(None),
            )
            .values(created_at=now, attempt=uuid.uuid4())
            .returning(col(IdempotencyKey.attempt))
        ).scalar_one_or_none()
        session.commit()
    if taken_over is None:  # another retry took it over, or the first attempt finished
        return claim(engine, caller=caller, key=key, fingerprint=fingerprint)
    existing.created_at, existing.attempt = now, taken_over
    return Claim.claimed, existing


@contextmanager
def attempting(claimed: IdempotencyKey, record_type: str) -> Iterator[None]:
    """While the request runs, its write of a `record_type` record marks the claim."""
    assert claimed.attempt is not None  # noqa: S101 - a claim made or taken over has one
    token = _current.set(Attempt(claimed.caller, claimed.key, claimed.attempt, record_type))
    try:
        yield
    finally:
        _current.reset(token)


_KEY = IdempotencyKey.__table__.c  # type: ignore[attr-defined]
# A plain update, built once: nothing in the session holds the key, so the ORM's update (and
# its synchronising of the session) has nothing to do but cost.
_MARK_WRITTEN = (
    sa.update(IdempotencyKey.__table__)  # type: ignore[attr-defined]
    .where(
        _KEY.caller == sa.bindparam("claim_caller"),
        _KEY.key == sa.bindparam("claim_key"),
        _KEY.attempt == sa.bindparam("claim_attempt"),
        _KEY.record_id.is_(None),
    )
    .values(record_type=sa.bindparam("written_type"), record_id=sa.bindparam("written_id"))
)


def mark_written(session: Session, record_type: str, record_id: uuid.UUID) -> None:
    """Note, in the write's own transaction, the record the request handling a key wrote.

    Only the first record of the route's own type counts: that is the one its response shows.
    If a retry took the claim over meanwhile, this write is refused, so that of the two only
    the retry writes.
    """
    attempt = _current.get()
    if attempt is None or attempt.marked or attempt.record_type != record_type:
        return
    marked = session.connection().execute(
        _MARK_WRITTEN,
        {
            "claim_caller": attempt.caller,
            "claim_key": attempt.key,
            "claim_attempt": attempt.attempt,
            "written_type": record_type,
            "written_id": record_id,
        },
    )
    if marked.rowcount != 1:
        raise ConflictError(
            "This request took so long that a retry with its Idempotency-Key took over; "
            "nothing was written by it."
        )
    attempt.marked = True


def remember(
    engine: sa.Engine,
    *,
    caller: str,
    key: str,
    status_code: int,
    body: bytes,
    headers: dict[str, str],
) -> None:
    with Session(engine) as session:
        stored = session.get(IdempotencyKey, (caller, key))
        if stored is None:
            return
        stored.status_code = status_code
        stored.response_body = body
        stored.response_headers = headers
        session.add(stored)
        session.commit()


def release(engine: sa.Engine, *, claimed: IdempotencyKey) -> None:
    """Free the key of a request that failed, unless it wrote (a retry is answered from what it
    wrote) or a retry took it over."""
    with Session(engine) as session:
        session.exec(
            delete(IdempotencyKey).where(
                col(IdempotencyKey.caller) == claimed.caller,
                col(IdempotencyKey.key) == claimed.key,
                col(IdempotencyKey.attempt) == claimed.attempt,
                col(IdempotencyKey.status_code).is_(None),
                col(IdempotencyKey.record_id).is_(None),
            )
        )
        session.commit()
