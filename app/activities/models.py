"""Caucus meetings, seminars, exchange visits, oversight hearings and parliamentary debates."""

import uuid
from enum import StrEnum
from typing import Annotated

import sqlalchemy as sa
from pydantic import Field as PydanticField
from pydantic import StringConstraints
from sqlmodel import Field, SQLModel

from app.core.db import enum_column_type
from app.core.schemas import HttpUrlStr, IsoDate, NotBoolean, NotNull, SearchText, WriteModel
from app.countries.codes import CountryCode
from app.records.models import Record, RecordFilters, RecordPublic, Shared, Visibility
from app.treaties.models import InstrumentCodeIn


class ActivityKind(StrEnum):
    caucus_meeting = "caucus_meeting"
    seminar = "seminar"
    exchange_visit = "exchange_visit"
    oversight_hearing = "oversight_hearing"
    parliamentary_debate = "parliamentary_debate"
    other = "other"


Year = Annotated[int, PydanticField(ge=1, le=9999), NotBoolean]
Outcome = Annotated[str, StringConstraints(min_length=1, max_length=2000)]

MAX_LINKS = 100
EXAMPLE_ID = "5d70e6d8-033e-452a-a1bf-f36a6c165897"


class ActivityFields(SQLModel):
    kind: ActivityKind = Field(
        sa_type=enum_column_type(ActivityKind), schema_extra={"examples": ["seminar"]}
    )
    title: str = Field(
        min_length=1,
        max_length=500,
        schema_extra={"examples": ["Seminar with trade unions on the rights of domestic workers"]},
    )
    start_date: IsoDate | None = Field(
        default=None,
        description="The first day, when known.",
        schema_extra={"examples": ["2026-03-10"]},
    )
    end_date: IsoDate | None = Field(default=None, description="Not before start_date.")
    year: Year | None = Field(
        default=None,
        description="The year it took place: set from start_date, or given alone when only the "
        "year is known.",
        schema_extra={"examples": [2026]},
    )
    country: CountryCode | None = Field(
        default=None,
        sa_type=sa.String(2),
        foreign_key="countries.code",
        description="ISO 3166-1 alpha-2 code of the country where it took place.",
        schema_extra={"examples": ["MY"]},
    )
    city: str | None = Field(
        default=None, max_length=200, schema_extra={"examples": ["Kuala Lumpur"]}
    )
    summary: str | None = Field(default=None, max_length=20_000)
    outcomes: list[Outcome] = Field(
        default_factory=list,
        sa_type=sa.JSON,
        max_length=50,
        description="What was agreed or decided, one statement each.",
    )
    links: list[HttpUrlStr] = Field(
        default_factory=list,
        sa_type=sa.JSON,
        max_length=20,
        description="Programmes, minutes, press.",
    )


class Activity(ActivityFields, Record, table=True):
    __tablename__ = "activities"
    __table_args__ = (
        sa.Index("ix_activities_created_at_id", "created_at", "id"),
        sa.Index("ix_activities_country_created_at_id", "country", "created_at", "id"),
        sa.Index("ix_activities_updated_at", "updated_at"),
    )

    # Links to other records are read with the activity and never queried across activities,
    # so they are kept as lists of ids rather than one link table each.
    parliamentarian_ids: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    partner_organisation_ids: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    agreement_ids: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    law_ids: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    instrument_codes: list[str] = Field(default_factory=list, sa_type=sa.JSON)


PARLIAMENTARIAN_IDS = "Parliamentarians who took part; each must be one you can see."
ORGANISATION_IDS = "Partner organisations that took part, by their id."
AGREEMENT_IDS = "Agreements it dealt with; each must be one you can see."
LAW_IDS = "Laws it dealt with; each must be one you can see."
INSTRUMENT_CODES = "Instruments it dealt with, e.g. `C189`; any case, kept upper-case."
EACH_ONCE = " Kept once each, in order."


class ActivityLinks(SQLModel):
    parliamentarian_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=MAX_LINKS,
        description=PARLIAMENTARIAN_IDS + EACH_ONCE,
        schema_extra={"examples": [[EXAMPLE_ID]]},
    )
    partner_organisation_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=MAX_LINKS, description=ORGANISATION_IDS + EACH_ONCE
    )
    agreement_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=MAX_LINKS, description=AGREEMENT_IDS + EACH_ONCE
    )
    law_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=MAX_LINKS, description=LAW_IDS + EACH_ONCE
    )


class ActivityCreate(ActivityFields, ActivityLinks, Shared, WriteModel):
    instrument_codes: list[InstrumentCodeIn] = Field(
        default_factory=list,
        max_length=50,
        description=INSTRUMENT_CODES + EACH_ONCE,
        schema_extra={"examples": [["C189", "ICRMW"]]},
    )


class ActivityUpdate(WriteModel):
    kind: Annotated[ActivityKind | None, NotNull] = None
    title: Annotated[str | None, NotNull] = Field(
        default=None, min_length=1, max_length=500, schema_extra={"examples": ["Caucus meeting"]}
    )
    start_date: IsoDate | None = None
    end_date: IsoDate | None = Field(default=None, description="Not before start_date.")
    year: Year | None = None
    country: CountryCode | None = None
    city: str | None = Field(default=None, max_length=200)
    summary: str | None = Field(default=None, max_length=20_000)
    outcomes: Annotated[list[Outcome] | None, NotNull] = Field(default=None, max_length=50)
    links: Annotated[list[HttpUrlStr] | None, NotNull] = Field(default=None, max_length=20)
    parliamentarian_ids: Annotated[list[uuid.UUID] | None, NotNull] = Field(
        default=None, max_length=MAX_LINKS, description=PARLIAMENTARIAN_IDS + " Replaces the list."
    )
    partner_organisation_ids: Annotated[list[uuid.UUID] | None, NotNull] = Field(
        default=None, max_length=MAX_LINKS, description=ORGANISATION_IDS + " Replaces the list."
    )
    agreement_ids: Annotated[list[uuid.UUID] | None, NotNull] = Field(
        default=None, max_length=MAX_LINKS, description=AGREEMENT_IDS + " Replaces the list."
    )
    law_ids: Annotated[list[uuid.UUID] | None, NotNull] = Field(
        default=None, max_length=MAX_LINKS, description=LAW_IDS + " Replaces the list."
    )
    instrument_codes: Annotated[list[InstrumentCodeIn] | None, NotNull] = Field(
        default=None, max_length=50, description=INSTRUMENT_CODES + " Replaces the list."
    )
    visibility: Annotated[Visibility | None, NotNull] = None


class ActivityPublic(ActivityFields, ActivityLinks, RecordPublic):
    instrument_codes: list[str] = Field(schema_extra={"examples": [["C189", "ICRMW"]]})


class ActivityFilters(RecordFilters):
    kind: ActivityKind | None = None
    country: CountryCode | None = Field(default=None, description="Where it took place.")
    year: int | None = Field(default=None, ge=1, le=9999, description="The year it took place.")
    parliamentarian: uuid.UUID | None = Field(
        default=None, description="Activities this parliamentarian took part in, by id."
    )
    q: SearchText | None = Field(default=None, description="Words in the title, city or summary.")
