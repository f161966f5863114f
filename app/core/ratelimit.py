"""Rate limits: a moving window per key, kept in memory or, when configured, in Redis."""

import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from app.core.config import Settings
from app.core.errors import DomainError

logger = logging.getLogger(__name__)


class RateLimitedError(DomainError):
    status = 429

    def __init__(self, detail: str, *, retry_after_seconds: int) -> None:
        super().__init__(detail)
        self.retry_after_seconds = retry_after_seconds

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_seconds)}


class RateLimiter:
    def __init__(self, storage_uri: str) -> None:
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))

    def hit(self, limit: RateLimitItem, *key: str) -> None:
        """Count one request against `limit` for `key`; raise once the limit is spent."""
        try:
            allowed = self._limiter.hit(limit, *key)
            if allowed:
                return
            reset_at = self._limiter.get_window_stats(limit, *key).reset_time
        except Exception:
            # An unreachable limit store must not take the whole API down with it.
            logger.warning("rate limit store unavailable; request allowed", exc_info=True)
            return
        raise RateLimitedError(
            "Too many requests; try again later.",
            retry_after_seconds=max(1, math.ceil(reset_at - time.time())),
        )


@dataclass(frozen=True, slots=True)
class RateLimits:
    per_principal: RateLimitItem
    login_per_email: RateLimitItem
    login_per_address: RateLimitItem

    @classmethod
    def from_settings(cls, settings: Settings) -> "RateLimits":
        return cls(
            per_principal=parse(settings.rate_limit_per_principal),
            login_per_email=parse(settings.login_rate_limit_per_email),
            login_per_address=parse(settings.login_rate_limit_per_address),
        )
