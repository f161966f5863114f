"""Argon2 password hashes, and JWTs that are refused unless everything about them is right."""

import base64
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from jose import jwt  # noqa: TID251 - tests forge tokens that the service must refuse
from pydantic import SecretStr

from app.core.config import Settings
from app.core.security import (
    InvalidTokenError,
    create_token,
    decode_token,
    hash_password,
    verify_password,
)

PASSWORD = "correct horse battery staple"


@pytest.fixture
def jwt_settings() -> Settings:
    return Settings(_env_file=None, secret_key="k" * 48)


def valid_claims(settings: Settings, **overrides: Any) -> dict[str, Any]:
    now = int(datetime.now(UTC).timestamp())
    claims: dict[str, Any] = {
        "sub": "7d0c6f3e-2c1a-4b8e-9a55-0f4f1b2c3d4e",
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + 300,
    }
    claims.update(overrides)
    return claims


def sign(claims: dict[str, Any], key: str, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def secret_of(settings: Settings) -> str:
    return settings.secret_key.get_secret_value()


def b64url(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


# --- passwords --------------------------------------------------------------------------------


def test_password_hash_is_argon2id_and_verifies() -> None:
    hashed = hash_password(PASSWORD)

    assert hashed.startswith("$argon2id$")
    assert PASSWORD not in hashed
    assert verify_password(PASSWORD, hashed)


def test_wrong_password_does_not_verify() -> None:
    assert not verify_password(PASSWORD + "!", hash_password(PASSWORD))


def test_same_password_hashes_differently_each_time() -> None:
    assert hash_password(PASSWORD) != hash_password(PASSWORD)


def test_password_without_an_account_does_not_verify() -> None:
    assert not verify_password("no account has this password", None)


# --- tokens that are accepted -----------------------------------------------------------------


def test_created_token_decodes_to_its_claims(jwt_settings: Settings) -> None:
    before = datetime.now(UTC).replace(microsecond=0)

    token = create_token(
        jwt_settings,
        subject="user-1",
        lifetime=timedelta(minutes=30),
        scopes=("records:read", "reports:write"),
        token_id="token-1",
    )
    claims = decode_token(jwt_settings, token)

    assert claims.subject == "user-1"
    assert claims.scopes == ("records:read", "reports:write")
    assert claims.token_id == "token-1"
    assert claims.issued_at.tzinfo is not None
    assert before <= claims.issued_at <= datetime.now(UTC)
    assert claims.expires_at - claims.issued_at == timedelta(minutes=30)


def test_created_token_is_hs256_with_every_required_claim(jwt_settings: Settings) -> None:
    token = create_token(jwt_settings, subject="user-1", lifetime=timedelta(minutes=5))

    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.get_unverified_claims(token)
    assert {"exp", "iat", "iss", "aud", "sub"} <= set(claims)
    assert claims["iss"] == jwt_settings.jwt_issuer
    assert claims["aud"] == jwt_settings.jwt_audience


def test_token_without_scopes_or_id_decodes_to_none(jwt_settings: Settings) -> None:
    token = create_token(jwt_settings, subject="user-1", lifetime=timedelta(minutes=5))

    claims = decode_token(jwt_settings, token)

    assert claims.scopes == ()
    assert claims.token_id is None


def test_forged_helper_makes_tokens_the_service_accepts(jwt_settings: Settings) -> None:
    # The refusals below change one thing each about this token.
    token = sign(valid_claims(jwt_settings), secret_of(jwt_settings))

    assert decode_token(jwt_settings, token).subject == "7d0c6f3e-2c1a-4b8e-9a55-0f4f1b2c3d4e"


# --- tokens that are refused ------------------------------------------------------------------


def test_expired_token_is_refused(jwt_settings: Settings) -> None:
    now = int(datetime.now(UTC).timestamp())
    token = sign(valid_claims(jwt_settings, iat=now - 600, exp=now - 1), secret_of(jwt_settings))

    with pytest.raises(InvalidTokenError):
        decode_token(jwt_settings, token)


def test_token_accepted_before_is_refused_once_expired(jwt_settings: Settings) -> None:
    token = create_token(jwt_settings, subject="someone", lifetime=timedelta(seconds=1))
    assert decode_token(jwt_settings, token).subject == "someone"

    time.sleep(2.1)  # expiry is to the second

    with pytest.raises(InvalidTokenError):
        decode_token(jwt_settings, token)


def test_token_created_with_a_past_lifetime_is_refused(jwt_settings: Settings) -> None:
    token = create_token(jwt_settings, subject="user-1", lifetime=timedelta(seconds=-5))

    with pytest.raises(InvalidTokenError):
        decode_token(jwt_settings, token)


def test_token_for_another_audience_is_refused(jwt_settings: Settings) -> None:
    token = sign(valid_claims(jwt_settings, aud="another-service"), secret_of(jwt_settings))

    with pytest.raises(InvalidTokenError):
        decode_token(jwt_settings, token)


def test_token_from_another_issuer_is_refused(jwt_settings: Settings) -> None:
    token = sign(valid_claims(jwt_settings, iss="another-issuer"), secret_of(jwt_settings))

    with pytest.raises(InvalidTokenError):
        decode_token(jwt_settings, token)


def test_token_signed_with_another_key_is_refused(jwt_settings: Settings) -> None:
    token = sign(valid_claims(jwt_settings), "another-key-" + "x" * 40)

    with pytest.raises(InvalidTokenError):
        decode_token(jwt_settings, token)


def test_token_from_a_service_with_another_secret_is_refused(jwt_settings: Settings) -> None:
    other = jwt_settings.model_copy(update={"secret_key": SecretStr("o" * 48)})
    token = create_token(other, subject="user-1", lifetime=timedelta(minutes=5))

    with pytest.raises(InvalidTokenError):
        decode_token(jwt_settings, token)


def test_token_with_a_tampered_payload_is_refused(jwt_settings: Settings) -> None:
    header, _, signature = sign(valid_claims(jwt_settings), secret_of(jwt_settings)).split(".")
    tampered = f"{header}.{b64url(valid_claims(jwt_settings, sub='someone-else'))}.{signature}"

    with pytest.raises(InvalidTokenError):
        decode_token(jwt_settings, tampered)


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_unsigned_token_is_refused(jwt_settings: Settings, alg: str) -> None:
    token = f"{b64url({'alg': alg, 'typ': 'JWT'})}.{b64url(valid_claims(jwt_settings))}."

    with pytest.raises(InvalidTokenError):
        decode_token(jwt_settings, token)


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_token_signed_with_another_algorithm_and_the_same_key_is_refused(
    jwt_settings: Settings, algorithm: str
) -> None:
    token = sign(valid_claims(jwt_settings), secret_of(jwt_settings), algorithm=algorithm)

    with pytest.raises(InvalidTokenError):
        decode_token(jwt_settings, token)


@pytest.mark.parametrize("claim", ["exp", "iat", "iss", "aud", "sub"])
def test_token_missing_a_required_claim_is_refused(jwt_settings: Settings, claim: str) -> None:
    claims = valid_claims(jwt_settings)
    del claims[claim]
    token = sign(claims, secret_of(jwt_settings))

    with pytest.raises(InvalidTokenError):
        decode_token(jwt_settings, token)


def test_token_with_an_empty_subject_is_refused(jwt_settings: Settings) -> None:
    token = sign(valid_claims(jwt_settings, sub=""), secret_of(jwt_settings))

    with pytest.raises(InvalidTokenError):
        decode_token(jwt_settings, token)


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c", "a.b"])
def test_malformed_token_is_refused(jwt_settings: Settings, token: str) -> None:
    with pytest.raises(InvalidTokenError):
        decode_token(jwt_settings, token)


@pytest.mark.parametrize(
    ("claim", "value"),
    [("iat", "1700000000"), ("iat", None), ("iat", 10**20), ("exp", None), ("exp", "9999999999")],
    ids=["iat-string", "iat-null", "iat-huge", "exp-null", "exp-string"],
)
def test_signed_token_with_an_unusable_time_claim_is_refused(
    jwt_settings: Settings, claim: str, value: object
) -> None:
    token = sign(valid_claims(jwt_settings, **{claim: value}), secret_of(jwt_settings))

    with pytest.raises(InvalidTokenError):
        decode_token(jwt_settings, token)
