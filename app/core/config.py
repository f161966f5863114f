"""Settings, read from `CAUCUS_*` environment variables and an optional `.env` file."""

from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Self

import limits
from fastapi import Depends, Request
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Known so that production can refuse it; only ever good enough for a developer's laptop.
DEVELOPMENT_SECRET_KEY = "development-only-secret-key-never-use-in-production"  # noqa: S105
MIN_SECRET_KEY_BYTES = 32
HOW_TO_MAKE_A_KEY = (
    "Set CAUCUS_SECRET_KEY to a random value of at least 32 bytes, for example the output of "
    "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
)


class Environment(StrEnum):
    development = "development"
    production = "production"


class LogFormat(StrEnum):
    text = "text"
    json = "json"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CAUCUS_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        # A refused setting must not be echoed: it may be the secret key.
        hide_input_in_errors=True,
    )

    environment: Environment = Environment.development
    database_url: str = "sqlite:///./caucus.db"
    database_pool_size: int = Field(default=5, ge=1)
    database_max_overflow: int = Field(default=0, ge=0)
    database_pool_timeout_seconds: float = Field(default=10.0, gt=0)
    database_connect_timeout_seconds: int = Field(default=5, ge=1)
    sqlite_busy_timeout_ms: int = Field(default=15_000, ge=0)
    max_requests_in_progress: int = Field(
        default=4,
        ge=1,
        description="Requests a worker works on at once; the others wait in line, in order of "
        "arrival. More at once only share the same core, each finishing later. Keep it at or "
        "below the pool size, so that a request let in never waits for a connection.",
    )
    max_request_wait_seconds: float = Field(
        default=10.0,
        gt=0,
        description="How long a request waits in line before it is answered 503.",
    )

    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET_KEY)
    jwt_issuer: str = "caucus-oversight-api"
    jwt_audience: str = "caucus-oversight-api"
    access_token_lifetime_minutes: int = Field(default=30, ge=1, le=24 * 60)
    api_token_lifetime_days: int = Field(default=365, ge=1)

    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    cors_origins: Annotated[list[str], NoDecode] = []
    log_format: LogFormat = LogFormat.text
    log_level: str = "INFO"

    redis_url: str | None = Field(
        default=None, description="Keep rate-limit counters in Redis, shared by every worker."
    )
    rate_limit_per_principal: str = "600/minute"
    login_rate_limit_per_email: str = "10 per 15 minutes"
    login_rate_limit_per_address: str = "60 per 15 minutes"

    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Where callers reach the service: the base of the links webhook deliveries "
        "carry, which have no request to take it from.",
    )
    webhook_allow_private_addresses: bool = Field(
        default=False,
        description="Let webhooks point at loopback and private addresses (development only).",
    )
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    webhook_max_attempts: int = Field(
        default=10, ge=1, description="Attempts at one delivery before giving up on it."
    )
    webhook_backoff_base_seconds: float = Field(default=30.0, gt=0)
    webhook_backoff_max_seconds: float = Field(default=6 * 60 * 60.0, gt=0)
    webhook_lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description="How long a worker's claim on a delivery holds; one that crashed mid-send "
        "is resent, with the same webhook-id, once it expires. Must outlast the timeout.",
    )
    webhook_poll_seconds: float = Field(default=1.0, gt=0)
    webhook_log_days: int = Field(
        default=30,
        ge=1,
        description="How long a delivery received or given up on is kept, with its attempts.",
    )

    admin_email: str = "admin@example.org"
    admin_password: SecretStr | None = None

    @model_validator(mode="before")
    @classmethod
    def _split_cors_origins(cls, data: object) -> object:
        """Let CORS origins be given as one comma-separated variable, as people write them."""
        if isinstance(data, dict) and isinstance(data.get("cors_origins"), str):
            raw = data["cors_origins"]
            data = {**data, "cors_origins": [o.strip() for o in raw.split(",") if o.strip()]}
        return data

    @model_validator(mode="after")
    def _refuse_weak_secret_in_production(self) -> Self:
        if self.environment is Environment.production:
            key = self.secret_key.get_secret_value()
            if key == DEVELOPMENT_SECRET_KEY or len(key.encode()) < MIN_SECRET_KEY_BYTES:
                raise ValueError(
                    "refusing to start in production with a missing, default or short secret "
                    f"key. {HOW_TO_MAKE_A_KEY}"
                )
        return self

    @model_validator(mode="after")
    def _lease_outlasts_a_send(self) -> Self:
        # A claim expiring mid-send would let a second worker send the same delivery at once.
        if self.webhook_lease_seconds <= self.webhook_timeout_seconds:
            raise ValueError("CAUCUS_WEBHOOK_LEASE_SECONDS must exceed the webhook timeout")
        return self

    @field_validator(
        "rate_limit_per_principal", "login_rate_limit_per_email", "login_rate_limit_per_address"
    )
    @classmethod
    def _parseable_rate_limit(cls, value: str) -> str:
        # limits.parse would keep only the first of "3/minute; 50/hour", silently, and take 0.
        parsed = limits.parse_many(value)  # raises ValueError with the reason
        if len(parsed) != 1 or parsed[0].amount < 1:
            raise ValueError("expected one limit of at least 1, e.g. 600/minute")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()


async def settings_of_app(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(settings_of_app)]
