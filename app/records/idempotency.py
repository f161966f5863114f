"""`Idempotency-Key` on POST: a retried request gets the first response and creates nothing.

A key is claimed, in a transaction of its own, before the request is handled; the response is
kept with it once it succeeds. Keys belong to the caller and are kept for a day. A request that
fails releases its key, so the caller can correct it and retry with the same key.
"""

import hashlib
from datetime import timedelta
from enum import Enum, auto

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from app.core.db import utcnow
from app.records.models import IdempotencyKey

KEY_LIFETIME = timedelta(hours=24)
HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
# Response headers a replay repeats; others (request id, rate limits) belong to the new request.
KEPT_HEADERS = ("content-type", "location", "etag")


class Claim(Enum):
    claimed = auto()
    replay = auto()
    in_progress = auto()
    mismatch = auto()


def fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def claim(
    engine: sa.Engine, *, caller: str, key: str, fingerprint: str
) -> tuple[Claim, IdempotencyKey | None]:
    """Claim `key` for this request, or say why not: replay, still in progress, other body."""
    now = utcnow()
    with Session(engine, expire_on_commit=False) as session:
        session.exec(delete(IdempotencyKey).where(col(IdempotencyKey.expires_at) < now))
        session.add(
            IdempotencyKey(
                caller=caller, key=key, fingerprint=fingerprint, expires_at=now + KEY_LIFETIME
            )
        )
        try:
            session.commit()
            return Claim.claimed, None
        except IntegrityError:
            session.rollback()
        existing = session.exec(
            select(IdempotencyKey).where(IdempotencyKey.caller == caller, IdempotencyKey.key == key)
        ).first()
    if existing is None:  # released meanwhile: the first request failed
        return claim(engine, caller=caller, key=key, fingerprint=fingerprint)
    if existing.fingerprint != fingerprint:
        return Claim.mismatch, existing
    if existing.status_code is None:
        return Claim.in_progress, existing
    return Claim.replay, existing


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


def release(engine: sa.Engine, *, caller: str, key: str) -> None:
    with Session(engine) as session:
        session.exec(
            delete(IdempotencyKey).where(
                col(IdempotencyKey.caller) == caller,
                col(IdempotencyKey.key) == key,
                col(IdempotencyKey.status_code).is_(None),
            )
        )
        session.commit()
