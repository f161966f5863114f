"""Password hashing and JWTs: the only module that touches jose or the password hasher."""

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from jose import JWTError, jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.core.config import Settings
from app.core.db import utcnow

# One fixed algorithm: a token naming any other, `none` included, is refused.
JWT_ALGORITHM = "HS256"
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub")

_password_hash = PasswordHash((Argon2Hasher(),))
# Verifying against this when no account matches makes a wrong e-mail cost as much as a wrong
# password, so response times do not reveal which e-mails have accounts.
_UNUSABLE_HASH = _password_hash.hash("no account has this password")


class InvalidTokenError(Exception):
    """The token is malformed, forged, expired or not meant for this service."""


@dataclass(frozen=True, slots=True)
class TokenClaims:
    subject: str
    issued_at: datetime
    expires_at: datetime
    token_id: str | None
    scopes: tuple[str, ...]


def hash_password(password: str) -> str:
    return _password_hash.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Check a password; pass `None` when there is no account, to spend the same time."""
    if password_hash is None:
        _password_hash.verify(password, _UNUSABLE_HASH)
        return False
    return _password_hash.verify(password, password_hash)


def create_token(
    settings: Settings,
    *,
    subject: str,
    lifetime: timedelta,
    scopes: tuple[str, ...] = (),
    token_id: str | None = None,
) -> str:
    now = utcnow()
    claims: dict[str, Any] = {
        "sub": subject,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
    }
    if scopes:
        claims["scope"] = " ".join(scopes)
    if token_id is not None:
        claims["jti"] = token_id
    return jwt.encode(claims, settings.secret_key.get_secret_value(), algorithm=JWT_ALGORITHM)


def decode_token(settings: Settings, token: str) -> TokenClaims:
    claims, expires = _verified(
        token, settings.secret_key.get_secret_value(), settings.jwt_audience, settings.jwt_issuer
    )
    # Of what `_verified` checked, only this changes with time (`nbf` only ever starts to hold).
    if expires < int(time.time()):
        raise InvalidTokenError("Signature has expired.")
    return claims


# Every request decodes its caller's token, and a caller sends the same one many times:
# verifying its signature and claims again each time cost about 40 us a request.
@lru_cache(maxsize=1024)
def _verified(token: str, secret: str, audience: str, issuer: str) -> tuple[TokenClaims, int]:
    """The claims of a token verified with this secret, audience and issuer, and the second
    it expires at; refused tokens are not kept."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[JWT_ALGORITHM],
            audience=audience,
            issuer=issuer,
            options={f"require_{claim}": True for claim in REQUIRED_CLAIMS},
        )
    except (JWTError, TypeError, OverflowError) as exc:
        # jose lets a signed but ill-typed claim (e.g. "iat": null) escape as TypeError.
        raise InvalidTokenError(str(exc)) from exc
    subject, scope, token_id = claims.get("sub"), claims.get("scope", ""), claims.get("jti")
    if (
        not isinstance(subject, str)
        or not subject
        or not isinstance(scope, str)
        or not isinstance(token_id, str | None)
    ):
        raise InvalidTokenError("malformed claims")
    try:
        issued_at = datetime.fromtimestamp(claims["iat"], tz=UTC)
        expires_at = datetime.fromtimestamp(claims["exp"], tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise InvalidTokenError("malformed time claims") from exc
    verified = TokenClaims(
        subject=subject,
        issued_at=issued_at,
        expires_at=expires_at,
        token_id=token_id,
        scopes=tuple(scope.split()),
    )
    # As jose compares it: a whole number of seconds.
    return verified, int(claims["exp"])
