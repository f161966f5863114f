"""Who is calling: the bearer token turned into a principal, scopes checked with `Security`."""

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import OAuth2PasswordBearer, SecurityScopes
from sqlmodel import Session
from starlette.requests import ClientDisconnect

from app.core.admission import Admission
from app.core.config import Settings
from app.core.db import SessionDep
from app.core.errors import AuthenticationError, PermissionDeniedError
from app.core.paths import API_PREFIX
from app.core.ratelimit import RateLimiter, RateLimits
from app.identity import service
from app.identity.models import SCOPE_DESCRIPTIONS, Scope
from app.identity.service import Principal

TOKEN_URL = f"{API_PREFIX}/auth/token"

oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl=TOKEN_URL,
    scopes={scope.value: text for scope, text in SCOPE_DESCRIPTIONS.items()},
    auto_error=False,
)


# Dependencies that only read what the app holds are `async def`: FastAPI runs a plain `def`
# dependency in the threadpool, and a request's handful of thread hops cost more than its SQL.
async def rate_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


async def rate_limits(request: Request) -> RateLimits:
    limits: RateLimits = request.app.state.rate_limits
    return limits


async def authenticate(
    request: Request,
    session: SessionDep,
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
    # The settings and rate limits are read from the app here, not declared as dependencies:
    # every request paid for FastAPI solving each of them (and finding them in its cache for
    # the second, scoped, solving of this one), for what is an attribute read.
    state = request.app.state
    principal = await run_in_threadpool(
        _identify, session, state.settings, state.rate_limiter, state.rate_limits, token
    )
    request.state.principal = principal
    return principal


def _identify(
    session: Session, settings: Settings, limiter: RateLimiter, limits: RateLimits, token: str
) -> Principal:
    """The token's principal, counted against its rate limit: database and limit store I/O."""
    principal = service.resolve_principal(session, settings=settings, token=token)
    limiter.hit(limits.per_principal, "principal", principal.key)
    return principal


def _authenticate_before_body(request: Request, token: str | None) -> None:
    if token is None:
        raise AuthenticationError("Not authenticated: send a bearer token.")
    state = request.app.state
    with Session(state.engine, expire_on_commit=False) as session:
        request.state.principal = _identify(
            session, state.settings, state.rate_limiter, state.rate_limits, token
        )


async def authenticate_request(request: Request) -> Principal:
    """Authenticate outside the dependency system; endpoints then find the principal cached."""
    # Asked again by what wraps an endpoint (an Idempotency-Key's replay) once the route has
    # authenticated: found here, it costs no thread hop.
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    token = await oauth2_scheme(request)
    await run_in_threadpool(_authenticate_before_body, request, token)
    principal: Principal = request.state.principal
    return principal


def _needs_authentication(dependant: Dependant) -> bool:
    return any(
        sub.call is authenticate or _needs_authentication(sub) for sub in dependant.dependencies
    )


def _caller_gone() -> Response:
    # No one hears it, and nothing of the request was done.
    return Response(status_code=400)


class AuthenticatedRoute(APIRoute):
    """Let a request in (see `app.core.admission`) once its body has arrived, and authenticate
    it before FastAPI parses that body.

    A body read after the request was let in would let a slow upload hold a place others wait
    for; it is read as bytes, and checked for nothing but its size, before anyone is known.
    FastAPI parses a JSON body before it solves any dependency, so without authenticating
    first a caller with no valid token who sends a broken body would get 422, not 401.

    A caller gone by the time its request is let in (it gave up waiting) is not worked for:
    under a load that keeps requests waiting, the work no one would hear the answer to would
    keep those behind it waiting longer.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = self.admitted_handler()
        authenticate_first = self.body_field is not None and _needs_authentication(self.dependant)

        async def admit_then_handle(request: Request) -> Response:
            # Every request's body, empty or not, so that what arrives after it can only be
            # word that the caller has gone. Some read their body themselves (a CSV import):
            # they find it read.
            try:
                await request.body()
            except ClientDisconnect:
                return _caller_gone()
            admission: Admission = request.app.state.admission
            async with admission.admitted():
                if await request.is_disconnected():
                    return _caller_gone()
                if authenticate_first:
                    await authenticate_request(request)
                return await handler(request)

        return admit_then_handle

    def admitted_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """What runs once the request is let in: FastAPI's handler, and what a subclass wraps
        around it."""
        return super().get_route_handler()


async def require_scopes(
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
WritePrincipal = Annotated[
    Principal, Security(require_scopes, scopes=[Scope.records_read, Scope.records_write])
]
# Partners write field-visit reports and recommendation updates; editors and admins too.
ReportPrincipal = Annotated[
    Principal, Security(require_scopes, scopes=[Scope.records_read, Scope.reports_write])
]
AdminPrincipal = Annotated[Principal, Security(require_scopes, scopes=[Scope.admin])]
