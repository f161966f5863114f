import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import EmailStr
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, enum_column_type, new_id, utcnow


class Role(StrEnum):
    admin = "admin"
    editor = "editor"
    partner = "partner"
    reader = "reader"


class UserBase(SQLModel):
    email: EmailStr = Field(max_length=254)
    full_name: str = Field(min_length=1, max_length=200)
    role: Role = Field(default=Role.reader, sa_type=enum_column_type(Role))
    is_active: bool = True


class User(UserBase, table=True):
    __tablename__ = "users"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    # Stored lower-cased (see identity.service.normalise_email) so uniqueness ignores case.
    email: str = Field(max_length=254, unique=True)
    password_hash: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class UserPublic(UserBase):
    id: uuid.UUID
    email: str
    created_at: datetime
    updated_at: datetime


class AccessToken(SQLModel):
    """The OAuth2 token response."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int = Field(description="Seconds until the token expires.")
