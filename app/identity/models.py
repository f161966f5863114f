import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

import sqlalchemy as sa
from pydantic import EmailStr
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, enum_column_type, new_id, utcnow
from app.core.schemas import HttpUrlStr, NotNull, WriteModel
from app.countries.codes import CountryCode


class Role(StrEnum):
    admin = "admin"
    editor = "editor"
    partner = "partner"
    reader = "reader"


class Scope(StrEnum):
    records_read = "records:read"
    records_write = "records:write"
    reports_write = "reports:write"
    admin = "admin"


SCOPE_DESCRIPTIONS = {
    Scope.records_read: "Read the records the caller may see.",
    Scope.records_write: "Create and change oversight records.",
    Scope.reports_write: "Submit field-visit reports and recommendation updates.",
    Scope.admin: "Manage organisations, users, API tokens; read the audit log.",
}

# What each role may do at most; a token's scopes can only narrow this.
ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.admin: frozenset(Scope),
    Role.editor: frozenset({Scope.records_read, Scope.records_write, Scope.reports_write}),
    Role.partner: frozenset({Scope.records_read, Scope.reports_write}),
    Role.reader: frozenset({Scope.records_read}),
}


class OrganisationKind(StrEnum):
    secretariat = "secretariat"
    cso = "cso"
    trade_union = "trade_union"
    parliament = "parliament"
    government = "government"
    research = "research"
    media = "media"
    placement_agency = "placement_agency"
    other = "other"


# ---- organisations -------------------------------------------------------------------------


class OrganisationBase(SQLModel):
    name: str = Field(
        min_length=1, max_length=200, schema_extra={"examples": ["Migrant Forum in Asia"]}
    )
    kind: OrganisationKind = Field(sa_type=enum_column_type(OrganisationKind))
    country: CountryCode | None = Field(
        default=None, sa_type=sa.String(2), description="ISO 3166-1 alpha-2 code."
    )
    website: HttpUrlStr | None = Field(
        default=None, max_length=2048, schema_extra={"examples": ["https://mfasia.org"]}
    )
    is_active: bool = True


class Organisation(OrganisationBase, table=True):
    __tablename__ = "organisations"
    __table_args__ = (sa.Index("ix_organisations_created_at_id", "created_at", "id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OrganisationCreate(OrganisationBase, WriteModel):
    pass


class OrganisationUpdate(WriteModel):
    name: Annotated[str | None, NotNull] = Field(
        default=None,
        min_length=1,
        max_length=200,
        schema_extra={"examples": ["Migrant Workers Union of Malaysia"]},
    )
    kind: Annotated[OrganisationKind | None, NotNull] = None
    country: CountryCode | None = None
    website: HttpUrlStr | None = Field(default=None, max_length=2048)
    is_active: Annotated[bool | None, NotNull] = None


class OrganisationPublic(OrganisationBase):
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime


# ---- users ---------------------------------------------------------------------------------

Password = Annotated[str, Field(min_length=12, max_length=128, description="12 to 128 characters.")]


EMAIL_DESCRIPTION = "Addresses at reserved domains (.local, .test, .invalid, ...) are refused."


class UserBase(SQLModel):
    email: EmailStr = Field(
        max_length=254,
        description=EMAIL_DESCRIPTION,
        schema_extra={"examples": ["advocate@example.org"]},
    )
    full_name: str = Field(
        min_length=1, max_length=200, schema_extra={"examples": ["Maria Santos"]}
    )
    role: Role = Field(default=Role.reader, sa_type=enum_column_type(Role))
    organisation_id: uuid.UUID = Field(foreign_key="organisations.id", index=True)
    is_active: bool = True


class User(UserBase, table=True):
    __tablename__ = "users"
    __table_args__ = (sa.Index("ix_users_created_at_id", "created_at", "id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    # Stored lower-cased (see identity.service.normalise_email) so uniqueness ignores case.
    email: str = Field(max_length=254, unique=True)
    password_hash: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class UserCreate(UserBase, WriteModel):
    password: Password


class UserUpdate(WriteModel):
    email: Annotated[EmailStr | None, NotNull] = Field(
        default=None, max_length=254, description=EMAIL_DESCRIPTION
    )
    full_name: Annotated[str | None, NotNull] = Field(
        default=None, min_length=1, max_length=200, schema_extra={"examples": ["Maria Santos"]}
    )
    role: Annotated[Role | None, NotNull] = None
    organisation_id: Annotated[uuid.UUID | None, NotNull] = None
    is_active: Annotated[bool | None, NotNull] = None


class UserPublic(UserBase):
    id: uuid.UUID
    email: str
    created_at: datetime
    updated_at: datetime


class ProfileUpdate(WriteModel):
    """What a user may change about themselves; role and organisation are the secretariat's."""

    full_name: str = Field(
        min_length=1, max_length=200, schema_extra={"examples": ["Maria Santos"]}
    )


class PasswordChange(WriteModel):
    current_password: str = Field(max_length=128, schema_extra={"examples": ["the old one"]})
    new_password: Password = Field(
        schema_extra={"examples": ["a long passphrase of several words"]}
    )


# ---- API tokens ----------------------------------------------------------------------------


class ApiTokenBase(SQLModel):
    name: str = Field(
        min_length=1, max_length=100, schema_extra={"examples": ["nightly import script"]}
    )
    organisation_id: uuid.UUID = Field(foreign_key="organisations.id", index=True)


class ApiToken(ApiTokenBase, table=True):
    """An organisation's long-lived token; its id is the JWT's `jti`, so it can be revoked."""

    __tablename__ = "api_tokens"
    __table_args__ = (sa.Index("ix_api_tokens_created_at_id", "created_at", "id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    scopes: list[str] = Field(sa_type=sa.JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by_user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    expires_at: datetime = Field(sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiTokenCreate(ApiTokenBase, WriteModel):
    scopes: list[Scope] = Field(min_length=1, max_length=len(Scope))
    lifetime_days: int | None = Field(
        default=None, ge=1, le=3650, description="Defaults to the service's setting (365)."
    )


class ApiTokenPublic(ApiTokenBase):
    id: uuid.UUID
    scopes: list[str]
    created_at: datetime
    created_by_user_id: uuid.UUID | None
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiTokenIssued(ApiTokenPublic):
    token: str = Field(description="The bearer token. Shown only in this response: store it now.")


# ---- authentication responses --------------------------------------------------------------


class AccessToken(SQLModel):
    """The OAuth2 token response."""

    access_token: str = Field(
        schema_extra={"examples": ["eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9..."]}
    )
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int = Field(
        description="Seconds until the token expires.", schema_extra={"examples": [1800]}
    )


class Me(SQLModel):
    """Who the caller is, and what they may do."""

    principal_type: Literal["user", "api_token"]
    user: UserPublic | None
    api_token: ApiTokenPublic | None
    organisation: OrganisationPublic
    role: Role
    scopes: list[Scope]
