import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from app.core.config import SettingsDep
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.pagination import Page, PageParamsDep, page_response
from app.core.ratelimit import RateLimiter, RateLimits
from app.core.schemas import SearchText
from app.countries.codes import CountryCode
from app.identity import service
from app.identity.dependencies import (
    AdminPrincipal,
    AuthenticatedRoute,
    CurrentPrincipal,
    ReadPrincipal,
    rate_limiter,
    rate_limits,
)
from app.identity.models import (
    AccessToken,
    ApiToken,
    ApiTokenCreate,
    ApiTokenIssued,
    ApiTokenPublic,
    Me,
    Organisation,
    OrganisationCreate,
    OrganisationKind,
    OrganisationPublic,
    OrganisationUpdate,
    PasswordChange,
    ProfileUpdate,
    Role,
    User,
    UserCreate,
    UserPublic,
    UserUpdate,
)

AUTH_PROBLEMS = problem_responses(401, 403, 422, 429)

# ---- auth ----------------------------------------------------------------------------------

auth_router = APIRouter(prefix="/auth", tags=["auth"], route_class=AuthenticatedRoute)

EXAMPLE_ID = "0b9a6c1e-6f3d-4c2a-9a51-3f4e8d2b7c10"


class LoginFormData(OAuth2PasswordRequestForm):
    """The OAuth2 password form, with examples for the docs."""

    def __init__(
        self,
        *,
        username: Annotated[
            str, Form(description="Your e-mail address.", examples=["admin@example.org"])
        ],
        password: Annotated[
            str, Form(json_schema_extra={"format": "password"}, examples=["your password"])
        ],
        grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
        scope: Annotated[
            str,
            Form(
                description="Space-separated scopes to narrow the token.", examples=["records:read"]
            ),
        ] = "",
        client_id: Annotated[str | None, Form()] = None,
        client_secret: Annotated[str | None, Form(json_schema_extra={"format": "password"})] = None,
    ) -> None:
        super().__init__(
            grant_type=grant_type,
            username=username,
            password=password,
            scope=scope,
            client_id=client_id,
            client_secret=client_secret,
        )


LoginForm = Annotated[LoginFormData, Depends()]


def limit_login_attempts(
    form: LoginForm,
    request: Request,
    limiter: Annotated[RateLimiter, Depends(rate_limiter)],
    limits: Annotated[RateLimits, Depends(rate_limits)],
) -> None:
    limiter.hit(limits.login_per_email, "login-email", service.normalise_email(form.username))
    address = request.client.host if request.client else "unknown"
    limiter.hit(limits.login_per_address, "login-address", address)


@auth_router.post(
    "/token",
    summary="Log in with e-mail and password",
    responses=problem_responses(401, 422, 429),
    dependencies=[Depends(limit_login_attempts)],
)
def login(form: LoginForm, session: SessionDep, settings: SettingsDep) -> AccessToken:
    """Exchange e-mail (as `username`) and password for a short-lived bearer token.

    Ask for fewer `scope`s than your role allows to get a narrower token.
    """
    user = service.authenticate(session, email=form.username, password=form.password)
    return service.issue_login_token(settings, user=user, requested_scopes=form.scopes)


def _me(principal: service.Principal) -> Me:
    return Me(
        principal_type="user" if principal.user is not None else "api_token",
        user=UserPublic.model_validate(principal.user) if principal.user else None,
        api_token=(
            ApiTokenPublic.model_validate(principal.api_token) if principal.api_token else None
        ),
        organisation=OrganisationPublic.model_validate(principal.organisation),
        role=principal.role,
        scopes=sorted(principal.scopes),
    )


@auth_router.get("/me", summary="Who am I", responses=AUTH_PROBLEMS)
def read_me(principal: CurrentPrincipal) -> Me:
    """The caller: user or API token, organisation, role and effective scopes."""
    return _me(principal)


@auth_router.patch("/me", summary="Update my profile", responses=AUTH_PROBLEMS)
def update_me(principal: CurrentPrincipal, session: SessionDep, data: ProfileUpdate) -> Me:
    """Change your own name; role and organisation are set by the secretariat."""
    service.update_profile(session, principal=principal, full_name=data.full_name)
    return _me(principal)


@auth_router.post(
    "/password",
    summary="Change my password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=AUTH_PROBLEMS,
)
def change_password(principal: CurrentPrincipal, session: SessionDep, data: PasswordChange) -> None:
    """Change your own password; the current one is required."""
    service.change_password(
        session,
        principal=principal,
        current_password=data.current_password,
        new_password=data.new_password,
    )


# ---- organisations -------------------------------------------------------------------------

organisations_router = APIRouter(
    prefix="/organisations", tags=["organisations"], route_class=AuthenticatedRoute
)


def organisation_by_id(
    session: SessionDep, organisation_id: Annotated[uuid.UUID, Path(examples=[EXAMPLE_ID])]
) -> Organisation:
    return service.get_organisation(session, organisation_id=organisation_id)


OrganisationDep = Annotated[Organisation, Depends(organisation_by_id)]


@organisations_router.get("", summary="List organisations", responses=AUTH_PROBLEMS)
def list_organisations(
    _: ReadPrincipal,
    session: SessionDep,
    request: Request,
    response: Response,
    page: PageParamsDep,
    kind: OrganisationKind | None = None,
    country: CountryCode | None = None,
    is_active: bool | None = None,
    q: Annotated[SearchText | None, Query(description="Part of the name.")] = None,
) -> Page[OrganisationPublic]:
    """Partner organisations, the secretariat and others, oldest first."""
    result = service.list_organisations(
        session, params=page, kind=kind, country=country, is_active=is_active, q=q
    )
    return page_response(request, response, result, OrganisationPublic)


@organisations_router.post(
    "",
    summary="Create an organisation",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 409, 422, 429),
)
def create_organisation(
    principal: AdminPrincipal, session: SessionDep, data: OrganisationCreate
) -> OrganisationPublic:
    """Register a partner organisation (admin)."""
    organisation = service.create_organisation(session, actor=principal.actor, data=data)
    return OrganisationPublic.model_validate(organisation)


@organisations_router.get(
    "/{organisation_id}",
    summary="Read an organisation",
    responses=problem_responses(401, 403, 404, 422, 429),
)
def read_organisation(_: ReadPrincipal, organisation: OrganisationDep) -> OrganisationPublic:
    """One organisation."""
    return OrganisationPublic.model_validate(organisation)


@organisations_router.patch(
    "/{organisation_id}",
    summary="Update an organisation",
    responses=problem_responses(401, 403, 404, 409, 422, 429),
)
def update_organisation(
    principal: AdminPrincipal,
    session: SessionDep,
    organisation: OrganisationDep,
    data: OrganisationUpdate,
) -> OrganisationPublic:
    """Change an organisation (admin); deactivating it stops its users and tokens at once."""
    updated = service.update_organisation(
        session, principal=principal, organisation=organisation, data=data
    )
    return OrganisationPublic.model_validate(updated)


# ---- users ---------------------------------------------------------------------------------

users_router = APIRouter(prefix="/users", tags=["users"], route_class=AuthenticatedRoute)


def user_by_id(
    session: SessionDep, user_id: Annotated[uuid.UUID, Path(examples=[EXAMPLE_ID])]
) -> User:
    return service.get_user(session, user_id=user_id)


UserDep = Annotated[User, Depends(user_by_id)]


@users_router.get("", summary="List users", responses=AUTH_PROBLEMS)
def list_users(
    _: AdminPrincipal,
    session: SessionDep,
    request: Request,
    response: Response,
    page: PageParamsDep,
    role: Role | None = None,
    organisation_id: uuid.UUID | None = None,
    is_active: bool | None = None,
    q: Annotated[SearchText | None, Query(description="Part of e-mail or name.")] = None,
) -> Page[UserPublic]:
    """Accounts, oldest first (admin)."""
    result = service.list_users(
        session, params=page, role=role, organisation_id=organisation_id, is_active=is_active, q=q
    )
    return page_response(request, response, result, UserPublic)


@users_router.post(
    "",
    summary="Create a user",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404, 409, 422, 429),
)
def create_user(principal: AdminPrincipal, session: SessionDep, data: UserCreate) -> UserPublic:
    """Create an account in an organisation, with a role (admin)."""
    return UserPublic.model_validate(service.create_user(session, actor=principal.actor, data=data))


@users_router.get(
    "/{user_id}", summary="Read a user", responses=problem_responses(401, 403, 404, 422, 429)
)
def read_user(_: AdminPrincipal, user: UserDep) -> UserPublic:
    """One account (admin)."""
    return UserPublic.model_validate(user)


@users_router.patch(
    "/{user_id}",
    summary="Update a user",
    responses=problem_responses(401, 403, 404, 409, 422, 429),
)
def update_user(
    principal: AdminPrincipal, session: SessionDep, user: UserDep, data: UserUpdate
) -> UserPublic:
    """Change an account (admin); deactivating it stops its logins at once."""
    updated = service.update_user(session, principal=principal, user=user, data=data)
    return UserPublic.model_validate(updated)


# ---- API tokens ----------------------------------------------------------------------------

api_tokens_router = APIRouter(
    prefix="/api-tokens", tags=["api-tokens"], route_class=AuthenticatedRoute
)


def api_token_by_id(
    session: SessionDep, token_id: Annotated[uuid.UUID, Path(examples=[EXAMPLE_ID])]
) -> ApiToken:
    return service.get_api_token(session, token_id=token_id)


@api_tokens_router.post(
    "",
    summary="Issue an API token",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404, 409, 422, 429),
)
def issue_api_token(
    principal: AdminPrincipal, session: SessionDep, settings: SettingsDep, data: ApiTokenCreate
) -> ApiTokenIssued:
    """Issue a token for an organisation's scripts (admin). The token is shown only once."""
    return service.issue_api_token(session, settings=settings, actor=principal.actor, data=data)


@api_tokens_router.get("", summary="List API tokens", responses=AUTH_PROBLEMS)
def list_api_tokens(
    _: AdminPrincipal,
    session: SessionDep,
    request: Request,
    response: Response,
    page: PageParamsDep,
    organisation_id: uuid.UUID | None = None,
    include_revoked: bool = False,
) -> Page[ApiTokenPublic]:
    """Issued tokens without their secret, with when each was last used (admin)."""
    result = service.list_api_tokens(
        session, params=page, organisation_id=organisation_id, include_revoked=include_revoked
    )
    return page_response(request, response, result, ApiTokenPublic)


@api_tokens_router.delete(
    "/{token_id}",
    summary="Revoke an API token",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 422, 429),
)
def revoke_api_token(
    principal: AdminPrincipal,
    session: SessionDep,
    api_token: Annotated[ApiToken, Depends(api_token_by_id)],
) -> None:
    """Revoke a token (admin); it stops working at once."""
    service.revoke_api_token(session, actor=principal.actor, api_token=api_token)
