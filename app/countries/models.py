from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, enum_column_type, utcnow
from app.core.schemas import WriteModel


class Region(StrEnum):
    south_east_asia = "south_east_asia"
    south_asia = "south_asia"
    east_asia = "east_asia"
    west_asia = "west_asia"
    central_asia = "central_asia"
    other = "other"


class MigrationProfile(StrEnum):
    origin = "origin"
    destination = "destination"
    both = "both"


class CountryBase(SQLModel):
    code: str = Field(
        primary_key=True,
        max_length=2,
        description="ISO 3166-1 alpha-2.",
        schema_extra={"examples": ["PH"]},
    )
    name: str = Field(max_length=200, schema_extra={"examples": ["Philippines"]})
    region: Region = Field(
        default=Region.other, sa_type=enum_column_type(Region), description="UN M49 sub-region."
    )
    migration_profile: MigrationProfile | None = Field(
        default=None,
        sa_type=enum_column_type(MigrationProfile),
        description="Whether it mainly sends or receives migrant workers, or both; null if unset.",
    )


class Country(CountryBase, table=True):
    """An ISO 3166-1 country; names and regions are reference data, the profile is curated."""

    __tablename__ = "countries"
    __table_args__ = (sa.Index("ix_countries_region_code", "region", "code"),)

    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CountryPublic(CountryBase):
    updated_at: datetime


class CountryUpdate(WriteModel):
    migration_profile: MigrationProfile | None = Field(
        description="origin, destination, both, or null to clear it.",
        schema_extra={"examples": ["origin"]},
    )
