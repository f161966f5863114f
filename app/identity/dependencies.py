"""Who is calling: the bearer token turned into a principal, scopes checked with `Security`."""

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import OAuth2PasswordBearer, SecurityScopes

from app.core.config import SettingsDep
from app.core.db import SessionDep
from app.core.errors import AuthenticationError, PermissionDeniedError
from app.core.ratelimit import RateLimiter, RateLimits
from app.identity import service
from app.identity.models import SCOPE_DESCRIPTIONS, Scope
from app.identity.service import Principal

TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 - a path, not a secret

oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl=TOKEN_URL,
    scopes={scope.value: text for scope, text in SCOPE_DESCRIPTIONS.items()},
    auto_error=False,
)


def rate_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


def rate_limits(request: Request) -> RateLimits:
    limits: RateLimits = request.app.state.rate_limits
    return limits


def authenticate(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    limiter: Annotated[RateLimiter, Depends(rate_limiter)],
    limits: Annotated[RateLimits, Depends(rate_limits)],
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Principal:
    # Kept on the request: FastAPI caches a security dependency per set of scopes, and the
    # router-wide requirement and an endpoint's scoped one must not authenticate (and count
    # against the rate limit) twice.
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    if token is None:
        raise AuthenticationError("Not authenticated: send a bearer token.")
    principal = service.resolve_principal(session, settings=settings, token=token)
    limiter.hit(limits.per_principal, "principal", principal.key)
    request.state.principal = principal
    return principal


def require_scopes(
    security_scopes: SecurityScopes,
    principal: Annotated[Principal, Depends(authenticate)],
) -> Principal:
    missing = set(security_scopes.scopes) - set(principal.scopes)
    if missing:
        raise PermissionDeniedError(
            f"This needs the scope {', '.join(sorted(missing))}, which the caller lacks."
        )
    return principal


CurrentPrincipal = Annotated[Principal, Security(require_scopes)]
ReadPrincipal = Annotated[Principal, Security(require_scopes, scopes=[Scope.records_read])]
AdminPrincipal = Annotated[Principal, Security(require_scopes, scopes=[Scope.admin])]
