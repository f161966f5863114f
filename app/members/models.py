"""Parliamentarians and their memberships of the caucus."""

import uuid
from enum import StrEnum
from typing import Annotated

import sqlalchemy as sa
from pydantic import EmailStr, StringConstraints
from sqlmodel import Field, Relationship, SQLModel

from app.core.db import enum_column_type, new_id
from app.core.schemas import HttpUrlStr, IsoDate, NotNull, SearchText, WriteModel
from app.countries.codes import CountryCode
from app.records.models import (
    Record,
    RecordFilters,
    RecordPublic,
    Shared,
    Visibility,
    external_ref_field,
)


class Chamber(StrEnum):
    lower_house = "lower_house"
    upper_house = "upper_house"
    unicameral = "unicameral"


class Gender(StrEnum):
    woman = "woman"
    man = "man"
    another = "another"
    not_stated = "not_stated"


class CaucusRole(StrEnum):
    member = "member"
    convenor = "convenor"
    focal_point = "focal_point"
    observer = "observer"
    advisory_committee = "advisory_committee"


Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Contact(WriteModel):
    """How to reach a parliamentarian: only the secretariat ever sees it."""

    email: EmailStr | None = Field(default=None, max_length=254)
    phone: str | None = Field(
        default=None, max_length=50, schema_extra={"examples": ["+63 2 8931 5001"]}
    )
    address: str | None = Field(default=None, max_length=500)
    notes: str | None = Field(default=None, max_length=2000)


class MembershipBase(SQLModel):
    role: CaucusRole = Field(sa_type=enum_column_type(CaucusRole))
    started_on: IsoDate = Field(schema_extra={"examples": ["2024-06-01"]})
    ended_on: IsoDate | None = Field(
        default=None, description="Not before started_on; none while the membership lasts."
    )


class Membership(MembershipBase, table=True):
    __tablename__ = "caucus_memberships"
    __table_args__ = (
        sa.Index(
            "ix_caucus_memberships_parliamentarian_id_position", "parliamentarian_id", "position"
        ),
        sa.Index("ix_caucus_memberships_role_started_on", "role", "started_on"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    parliamentarian_id: uuid.UUID | None = Field(
        default=None, foreign_key="parliamentarians.id", ondelete="CASCADE"
    )
    position: int
    parliamentarian: "Parliamentarian" = Relationship(back_populates="memberships")


class MembershipIn(MembershipBase, WriteModel):
    pass


class MembershipPublic(MembershipBase):
    pass


class ParliamentarianFields(SQLModel):
    name: str = Field(min_length=1, max_length=200, schema_extra={"examples": ["Maria Santos"]})
    other_names: list[Name] = Field(
        default_factory=list,
        sa_type=sa.JSON,
        max_length=20,
        description="Other spellings, or the name in another script.",
    )
    country: CountryCode = Field(
        sa_type=sa.String(2), foreign_key="countries.code", schema_extra={"examples": ["PH"]}
    )
    parliament: str = Field(
        min_length=1,
        max_length=200,
        schema_extra={"examples": ["House of Representatives of the Philippines"]},
    )
    chamber: Chamber | None = Field(default=None, sa_type=enum_column_type(Chamber))
    party: str | None = Field(default=None, max_length=200)
    constituency: str | None = Field(default=None, max_length=200)
    gender: Gender | None = Field(default=None, sa_type=enum_column_type(Gender))
    links: list[HttpUrlStr] = Field(
        default_factory=list,
        sa_type=sa.JSON,
        max_length=20,
        description="Official pages and profiles.",
    )
    external_ref: str | None = external_ref_field()


class Parliamentarian(ParliamentarianFields, Record, table=True):
    __tablename__ = "parliamentarians"
    __table_args__ = (
        sa.Index("ix_parliamentarians_created_at_id", "created_at", "id"),
        sa.Index("ix_parliamentarians_country_created_at_id", "country", "created_at", "id"),
        sa.Index("ix_parliamentarians_updated_at", "updated_at"),
        sa.Index("ix_parliamentarians_external_ref", "external_ref", unique=True),
    )

    contact: dict[str, str | None] | None = Field(default=None, sa_type=sa.JSON)
    # The other names as plain text, one a line, for `q`: the JSON column's text would match
    # its own brackets and escapes.
    other_names_text: str = Field(default="", sa_type=sa.Text)
    memberships: list[Membership] = Relationship(
        back_populates="parliamentarian",
        sa_relationship_kwargs={
            "lazy": "selectin",
            "cascade": "all, delete-orphan",
            "order_by": "Membership.position",
        },
    )


class ContactPublic(SQLModel):
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    notes: str | None = None


CONTACT_DESCRIPTION = (
    "Contact details: only the secretariat sees and sets them. Every other caller reads null, "
    "and a null it sends back leaves them as they are."
)


class ParliamentarianCreate(ParliamentarianFields, Shared, WriteModel):
    memberships: list[MembershipIn] = Field(
        default_factory=list,
        max_length=50,
        description="Caucus roles over time; past ones stay in the record.",
        schema_extra={"examples": [[{"role": "member", "started_on": "2024-06-01"}]]},
    )
    contact: Contact | None = Field(default=None, description=CONTACT_DESCRIPTION)


class ParliamentarianUpdate(WriteModel):
    name: Annotated[str | None, NotNull] = Field(
        default=None, min_length=1, max_length=200, schema_extra={"examples": ["Maria Santos"]}
    )
    other_names: Annotated[list[Name] | None, NotNull] = Field(default=None, max_length=20)
    country: Annotated[CountryCode | None, NotNull] = None
    parliament: Annotated[str | None, NotNull] = Field(default=None, min_length=1, max_length=200)
    chamber: Chamber | None = None
    party: str | None = Field(default=None, max_length=200)
    constituency: str | None = Field(default=None, max_length=200)
    gender: Gender | None = None
    links: Annotated[list[HttpUrlStr] | None, NotNull] = Field(default=None, max_length=20)
    memberships: Annotated[list[MembershipIn] | None, NotNull] = Field(default=None, max_length=50)
    contact: Contact | None = Field(default=None, description=CONTACT_DESCRIPTION)
    external_ref: str | None = external_ref_field()
    visibility: Annotated[Visibility | None, NotNull] = None


class ParliamentarianPublic(ParliamentarianFields, RecordPublic):
    memberships: list[MembershipPublic]
    contact: ContactPublic | None = Field(description=CONTACT_DESCRIPTION)


class ParliamentarianFilters(RecordFilters):
    country: CountryCode | None = None
    active_on: IsoDate | None = Field(
        default=None, description="Members of the caucus on this date (in any role, or `role`)."
    )
    role: CaucusRole | None = Field(
        default=None, description="Holding this caucus role (on `active_on`, if given)."
    )
    q: SearchText | None = Field(
        default=None, description="Part of the name (or another name), party or constituency."
    )
