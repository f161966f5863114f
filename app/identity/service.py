"""Organisations, users, API tokens and authentication.

Functions return models and raise domain errors, never HTTP ones. Every change is written to the
audit log in the same transaction.
"""

import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from pydantic import EmailStr, TypeAdapter
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, func, or_, select

from app.audit import service as audit
from app.audit.service import Actor
from app.core.config import Settings
from app.core.db import utcnow
from app.core.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from app.core.pagination import Page, PageParams, keyset_page
from app.core.security import InvalidTokenError, create_token, decode_token, hash_password
from app.core.security import verify_password as password_matches
from app.countries.codes import CountryCode
from app.identity.models import (
    ROLE_SCOPES,
    AccessToken,
    ApiToken,
    ApiTokenCreate,
    ApiTokenIssued,
    ApiTokenPublic,
    Organisation,
    OrganisationCreate,
    OrganisationKind,
    OrganisationUpdate,
    Role,
    Scope,
    User,
    UserCreate,
    UserUpdate,
)
from app.records.changes import refuse_nulls, save_changes

GENERATED_PASSWORD_BYTES = 18
SECRETARIAT_NAME = "Migrant Forum in Asia"
# Writing last_used_at on every request would turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
USER_SUBJECT = "user:"
ORGANISATION_SUBJECT = "organisation:"
_INVALID_TOKEN = "The token is invalid, expired or revoked."  # noqa: S105 - a message

_email_adapter: TypeAdapter[str] = TypeAdapter(EmailStr)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a signed-in user, or an organisation through one of its API tokens."""

    organisation: Organisation
    role: Role
    scopes: frozenset[Scope]
    user: User | None = None
    api_token: ApiToken | None = None

    @property
    def key(self) -> str:
        """Identifies the caller for rate limits and idempotency keys."""
        if self.api_token is not None:
            return f"token:{self.api_token.id}"
        assert self.user is not None  # noqa: S101 - a principal is a user or a token
        return f"user:{self.user.id}"

    @property
    def actor(self) -> Actor:
        return Actor(
            user_id=self.user.id if self.user else None,
            token_id=self.api_token.id if self.api_token else None,
            organisation_id=self.organisation.id,
        )

    @property
    def is_secretariat(self) -> bool:
        return self.organisation.kind is OrganisationKind.secretariat


def _granted(requested: Iterable[str], role: Role) -> frozenset[Scope]:
    """The scopes asked for that the role allows; unknown names are dropped."""
    known = {scope.value for scope in Scope}
    return frozenset(Scope(s) for s in requested if s in known) & ROLE_SCOPES[role]


def api_token_role(organisation: Organisation) -> Role:
    """The role an organisation's API tokens act with: the secretariat's scripts curate."""
    return Role.admin if organisation.kind is OrganisationKind.secretariat else Role.partner


# ---- authentication ------------------------------------------------------------------------


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _valid_email(email: str) -> str:
    try:
        return normalise_email(_email_adapter.validate_python(email))
    except PydanticValidationError as exc:
        raise InvalidInputError("Not a valid e-mail address.") from exc


def get_user_by_email(session: Session, *, email: str) -> User | None:
    if "\x00" in email:  # no account has one, and PostgreSQL refuses it in a query
        return None
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


def authenticate(session: Session, *, email: str, password: str) -> User:
    """Return the active user these credentials belong to.

    Every failure, unknown e-mail, wrong password or deactivated account or organisation, says
    the same thing and costs one password verification, so neither the message nor the timing
    tells them apart. Each attempt is audited.
    """
    user = get_user_by_email(session, email=email)
    password_ok = password_matches(password, user.password_hash if user else None)
    organisation = session.get(Organisation, user.organisation_id) if user else None
    if (
        user is None
        or not password_ok
        or not user.is_active
        or organisation is None
        or not organisation.is_active
    ):
        audit.record(
            session,
            action="auth.login_failed",
            actor=Actor(user_id=user.id if user else None),
            details={"email": normalise_email(email)[:254]},
        )
        session.commit()
        raise AuthenticationError("Incorrect e-mail or password.")
    audit.record(
        session,
        action="auth.login_succeeded",
        actor=Actor(user_id=user.id, organisation_id=user.organisation_id),
    )
    session.commit()
    return user


def issue_login_token(
    settings: Settings, *, user: User, requested_scopes: Iterable[str] = ()
) -> AccessToken:
    """A short-lived token for a user; asking for scopes narrows it, never widens it."""
    requested = list(requested_scopes)
    scopes = _granted(requested, user.role) if requested else ROLE_SCOPES[user.role]
    lifetime = timedelta(minutes=settings.access_token_lifetime_minutes)
    token = create_token(
        settings,
        subject=f"{USER_SUBJECT}{user.id}",
        lifetime=lifetime,
        scopes=tuple(sorted(scopes)),
    )
    return AccessToken(access_token=token, expires_in=int(lifetime.total_seconds()))


# Built once: every request runs one of these, and building a statement (and its cache key)
# anew each time cost more than the query itself.
_USER_LOOKUP = (
    select(User, Organisation)
    .join(Organisation, col(Organisation.id) == User.organisation_id)
    .where(col(User.id) == sa.bindparam("user_id"))
)
_API_TOKEN_LOOKUP = (
    select(ApiToken, Organisation)
    .join(Organisation, col(Organisation.id) == ApiToken.organisation_id)
    .where(
        col(ApiToken.id) == sa.bindparam("token_id"),
        col(ApiToken.organisation_id) == sa.bindparam("organisation_id"),
    )
)


def resolve_principal(session: Session, *, settings: Settings, token: str) -> Principal:
    """Turn a bearer token into the principal it stands for, or raise AuthenticationError.

    The database decides, not the token alone: a deactivated user or organisation, a revoked
    token or a lowered role takes effect at once.
    """
    try:
        claims = decode_token(settings, token)
        kind, _, raw_id = claims.subject.partition(":")
        subject_id = uuid.UUID(raw_id)
    except (InvalidTokenError, ValueError) as exc:
        raise AuthenticationError(_INVALID_TOKEN) from exc

    if f"{kind}:" == USER_SUBJECT and claims.token_id is None:
        row = session.exec(_USER_LOOKUP, params={"user_id": subject_id}).first()
        if row is None or not row[0].is_active or not row[1].is_active:
            raise AuthenticationError(_INVALID_TOKEN)
        user, organisation = row
        return Principal(
            organisation=organisation,
            role=user.role,
            scopes=_granted(claims.scopes, user.role),
            user=user,
        )

    if f"{kind}:" == ORGANISATION_SUBJECT and claims.token_id is not None:
        try:
            token_id = uuid.UUID(claims.token_id)
        except ValueError as exc:
            raise AuthenticationError(_INVALID_TOKEN) from exc
        token_row = session.exec(
            _API_TOKEN_LOOKUP, params={"token_id": token_id, "organisation_id": subject_id}
        ).first()
        now = utcnow()
        if (
            token_row is None
            or token_row[0].revoked_at is not None
            or token_row[0].expires_at <= now
            or not token_row[1].is_active
        ):
            raise AuthenticationError(_INVALID_TOKEN)
        api_token, organisation = token_row
        role = api_token_role(organisation)
        if api_token.last_used_at is None or now - api_token.last_used_at > LAST_USED_RESOLUTION:
            # The read transaction ends first: on SQLite, a write that follows a read in one
            # transaction fails at once if another writer committed in between.
            session.commit()
            session.execute(
                sa.update(ApiToken).where(col(ApiToken.id) == api_token.id).values(last_used_at=now)
            )
            session.commit()
            set_committed_value(api_token, "last_used_at", now)
        return Principal(
            organisation=organisation,
            role=role,
            scopes=_granted(api_token.scopes, role),
            api_token=api_token,
        )

    raise AuthenticationError(_INVALID_TOKEN)


def change_password(
    session: Session, *, principal: Principal, current_password: str, new_password: str
) -> None:
    user = principal.user
    if user is None:
        raise PermissionDeniedError("API tokens have no password.")
    if not password_matches(current_password, user.password_hash):
        raise PermissionDeniedError("The current password is not correct.")
    user.password_hash = hash_password(new_password)
    user.updated_at = utcnow()
    session.add(user)
    audit.record(
        session,
        action="auth.password_changed",
        actor=principal.actor,
        subject_type="user",
        subject_id=user.id,
    )
    session.commit()


def update_profile(session: Session, *, principal: Principal, full_name: str) -> User:
    user = principal.user
    if user is None:
        raise PermissionDeniedError("API tokens have no profile.")
    save_changes(
        session,
        user,
        {"full_name": full_name},
        actor=principal.actor,
        kind="user",
        subject_id=user.id,
    )
    return user


# ---- organisations -------------------------------------------------------------------------


def get_organisation(session: Session, *, organisation_id: uuid.UUID) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFoundError("No organisation with this id.")
    return organisation


def known_organisation_ids(
    session: Session, ids: Iterable[uuid.UUID], *, field: str = "partner_organisation_ids"
) -> list[str]:
    """The ids each once, in id order, as a record's JSON column keeps them; each must name an
    organisation."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    known = set(session.exec(select(Organisation.id).where(col(Organisation.id).in_(wanted))))
    unknown = [str(organisation_id) for organisation_id in wanted if organisation_id not in known]
    if unknown:
        raise InvalidInputError(f"No organisation with the id {', '.join(unknown)}.", field=field)
    return [str(organisation_id) for organisation_id in wanted]


def find_organisation(session: Session, *, id_or_name: str) -> Organisation:
    """An organisation by its id or its exact name, as people type them on a command line."""
    try:
        return get_organisation(session, organisation_id=uuid.UUID(id_or_name))
    except ValueError:
        pass
    found = session.exec(select(Organisation).where(Organisation.name == id_or_name)).first()
    if found is None:
        raise NotFoundError(f"No organisation with the id or name {id_or_name!r}.")
    return found


def list_organisations(
    session: Session,
    *,
    params: PageParams,
    kind: OrganisationKind | None = None,
    country: str | None = None,
    is_active: bool | None = None,
    q: str | None = None,
) -> Page[Organisation]:
    statement = select(Organisation)
    if kind is not None:
        statement = statement.where(Organisation.kind == kind)
    if country is not None:
        statement = statement.where(Organisation.country == country)
    if is_active is not None:
        statement = statement.where(Organisation.is_active == is_active)
    if q:
        statement = statement.where(
            func.lower(Organisation.name).contains(q.lower(), autoescape=True)
        )
    return keyset_page(
        session,
        statement,
        key=(Organisation.created_at, Organisation.id),  # type: ignore[arg-type]
        params=params,
    )


def _ensure_unique_name(session: Session, name: str, *, except_id: uuid.UUID | None = None) -> None:
    statement = select(Organisation.id).where(Organisation.name == name)
    if except_id is not None:
        statement = statement.where(Organisation.id != except_id)
    if session.exec(statement).first() is not None:
        raise ConflictError("An organisation with this name already exists.")


def create_organisation(
    session: Session, *, actor: Actor | None, data: OrganisationCreate
) -> Organisation:
    _ensure_unique_name(session, data.name)
    organisation = Organisation.model_validate(data)
    session.add(organisation)
    session.flush()
    audit.record(
        session,
        action="organisation.created",
        actor=actor,
        subject_type="organisation",
        subject_id=organisation.id,
        details={"name": organisation.name, "kind": organisation.kind.value},
    )
    session.commit()
    return organisation


def update_organisation(
    session: Session, *, principal: Principal, organisation: Organisation, data: OrganisationUpdate
) -> Organisation:
    changes = data.model_dump(exclude_unset=True)
    if changes.get("name") is not None:
        _ensure_unique_name(session, changes["name"], except_id=organisation.id)
    if changes.get("is_active") is False and organisation.id == principal.organisation.id:
        raise ConflictError("You cannot deactivate your own organisation.")
    refuse_nulls(changes, "name", "kind", "is_active")
    save_changes(
        session,
        organisation,
        changes,
        actor=principal.actor,
        kind="organisation",
        subject_id=organisation.id,
    )
    return organisation


# ---- users ---------------------------------------------------------------------------------


def get_user(session: Session, *, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError("No user with this id.")
    return user


def list_users(
    session: Session,
    *,
    params: PageParams,
    role: Role | None = None,
    organisation_id: uuid.UUID | None = None,
    is_active: bool | None = None,
    q: str | None = None,
) -> Page[User]:
    statement = select(User)
    if role is not None:
        statement = statement.where(User.role == role)
    if organisation_id is not None:
        statement = statement.where(User.organisation_id == organisation_id)
    if is_active is not None:
        statement = statement.where(User.is_active == is_active)
    if q:
        needle = q.lower()
        statement = statement.where(
            or_(
                col(User.email).contains(needle, autoescape=True),
                func.lower(User.full_name).contains(needle, autoescape=True),
            )
        )
    return keyset_page(
        session,
        statement,
        key=(User.created_at, User.id),  # type: ignore[arg-type]
        params=params,
    )


def create_user(session: Session, *, actor: Actor | None, data: UserCreate) -> User:
    email = _valid_email(data.email)
    if get_user_by_email(session, email=email) is not None:
        raise ConflictError("A user with this e-mail already exists.")
    get_organisation(session, organisation_id=data.organisation_id)
    user = User.model_validate(
        data.model_dump(exclude={"password"}),
        update={"email": email, "password_hash": hash_password(data.password)},
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        action="user.created",
        actor=actor,
        subject_type="user",
        subject_id=user.id,
        details={"role": user.role.value, "organisation_id": str(user.organisation_id)},
    )
    session.commit()
    return user


def update_user(session: Session, *, principal: Principal, user: User, data: UserUpdate) -> User:
    changes = data.model_dump(exclude_unset=True)
    refuse_nulls(changes, "email", "full_name", "role", "organisation_id", "is_active")
    if (
        principal.user is not None
        and user.id == principal.user.id
        and (
            changes.get("is_active") is False
            or changes.get("role", user.role) != user.role
            or changes.get("organisation_id", user.organisation_id) != user.organisation_id
        )
    ):
        raise ConflictError("You cannot deactivate yourself or change your own role.")
    if "email" in changes:
        changes["email"] = _valid_email(changes["email"])
        other = get_user_by_email(session, email=changes["email"])
        if other is not None and other.id != user.id:
            raise ConflictError("A user with this e-mail already exists.")
    if "organisation_id" in changes:
        get_organisation(session, organisation_id=changes["organisation_id"])
    save_changes(session, user, changes, actor=principal.actor, kind="user", subject_id=user.id)
    return user


@dataclass(frozen=True)
class NewAdmin:
    user: User
    generated_password: str | None


def create_admin(
    session: Session,
    *,
    email: str,
    full_name: str,
    password: str | None,
    organisation_id: uuid.UUID | None = None,
) -> NewAdmin:
    """Create an admin; without a password one is generated and returned, to be shown once.

    Without an organisation the admin joins the secretariat, which is created if need be.
    """
    generated: str | None = None
    if password is None:
        password = generated = secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
    if organisation_id is None:
        organisation_id = secretariat(session).id
    data = UserCreate(
        email=_valid_email(email),
        full_name=full_name,
        role=Role.admin,
        organisation_id=organisation_id,
        password=password,
    )
    return NewAdmin(user=create_user(session, actor=None, data=data), generated_password=generated)


def first_secretariat(session: Session) -> Organisation | None:
    """The secretariat's organisation, if there is one yet; the first, should there be more."""
    return session.exec(
        select(Organisation)
        .where(Organisation.kind == OrganisationKind.secretariat)
        .order_by(col(Organisation.created_at))
    ).first()


def secretariat(session: Session) -> Organisation:
    """The secretariat's organisation, made if there is none yet (e.g. before the first admin)."""
    existing = first_secretariat(session)
    if existing is not None:
        return existing
    return create_organisation(
        session,
        actor=None,
        data=OrganisationCreate(
            name=SECRETARIAT_NAME, kind=OrganisationKind.secretariat, country=CountryCode("PH")
        ),
    )


def ensure_bootstrap_admin(
    session: Session, *, email: str, password: str | None
) -> NewAdmin | None:
    """On a database with no users, create the first admin and the secretariat; else nothing."""
    if session.exec(select(func.count()).select_from(User)).one() > 0:
        return None
    return create_admin(
        session, email=email, full_name="Secretariat administrator", password=password
    )


# ---- API tokens ----------------------------------------------------------------------------


def issue_api_token(
    session: Session, *, settings: Settings, actor: Actor | None, data: ApiTokenCreate
) -> ApiTokenIssued:
    organisation = get_organisation(session, organisation_id=data.organisation_id)
    if not organisation.is_active:
        raise ConflictError("The organisation is deactivated.")
    role = api_token_role(organisation)
    beyond_role = set(data.scopes) - ROLE_SCOPES[role]
    if beyond_role:
        raise InvalidInputError(
            f"A {organisation.kind.value} organisation's token cannot have "
            f"{', '.join(sorted(beyond_role))}."
        )
    lifetime = timedelta(days=data.lifetime_days or settings.api_token_lifetime_days)
    api_token = ApiToken(
        name=data.name,
        organisation_id=organisation.id,
        scopes=sorted({scope.value for scope in data.scopes}),
        created_by_user_id=actor.user_id if actor else None,
        expires_at=utcnow() + lifetime,
    )
    session.add(api_token)
    session.flush()
    token = create_token(
        settings,
        subject=f"{ORGANISATION_SUBJECT}{organisation.id}",
        lifetime=lifetime,
        token_id=str(api_token.id),
    )
    audit.record(
        session,
        action="api_token.issued",
        actor=actor,
        subject_type="api_token",
        subject_id=api_token.id,
        details={"organisation_id": str(organisation.id), "scopes": api_token.scopes},
    )
    session.commit()
    return ApiTokenIssued.model_validate(
        ApiTokenPublic.model_validate(api_token).model_dump() | {"token": token}
    )


def get_api_token(session: Session, *, token_id: uuid.UUID) -> ApiToken:
    api_token = session.get(ApiToken, token_id)
    if api_token is None:
        raise NotFoundError("No API token with this id.")
    return api_token


def list_api_tokens(
    session: Session,
    *,
    params: PageParams,
    organisation_id: uuid.UUID | None = None,
    include_revoked: bool = False,
) -> Page[ApiToken]:
    statement = select(ApiToken)
    if organisation_id is not None:
        statement = statement.where(ApiToken.organisation_id == organisation_id)
    if not include_revoked:
        statement = statement.where(col(ApiToken.revoked_at).is_(None))
    return keyset_page(
        session,
        statement,
        key=(ApiToken.created_at, ApiToken.id),  # type: ignore[arg-type]
        params=params,
    )


def revoke_api_token(session: Session, *, actor: Actor, api_token: ApiToken) -> None:
    if api_token.revoked_at is not None:
        return
    api_token.revoked_at = utcnow()
    session.add(api_token)
    audit.record(
        session,
        action="api_token.revoked",
        actor=actor,
        subject_type="api_token",
        subject_id=api_token.id,
    )
    session.commit()
