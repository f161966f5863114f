from datetime import datetime
from enum import StrEnum
from typing import Annotated

import sqlalchemy as sa
from pydantic import StringConstraints
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, enum_column_type, utcnow
from app.core.schemas import IsoDate, NotNull, Source, WriteModel
from app.countries.models import Region
from app.records.models import Record, RecordFilters, RecordPublic, Shared


class InstrumentBody(StrEnum):
    ILO = "ILO"
    UN = "UN"
    other = "other"


class InstrumentCategory(StrEnum):
    fundamental = "fundamental"
    governance = "governance"
    migrant_workers = "migrant_workers"
    domestic_workers = "domestic_workers"
    un_human_rights = "un_human_rights"
    technical = "technical"
    other = "other"


InstrumentCode = Annotated[
    str,
    StringConstraints(min_length=2, max_length=16, pattern=r"^[A-Z][A-Z0-9-]*$"),
    Field(
        description="ILO conventions as C plus three digits (C189, C087); others by acronym.",
        schema_extra={"examples": ["C190"]},
    ),
]

# An instrument's code as a caller may write it: any case, stored upper-case (c189 -> C189).
InstrumentCodeIn = Annotated[
    str,
    StringConstraints(min_length=2, max_length=16, pattern=r"^[A-Za-z][A-Za-z0-9-]*$"),
]


class InstrumentFields(SQLModel):
    body: InstrumentBody = Field(sa_type=enum_column_type(InstrumentBody))
    title: str = Field(
        min_length=1,
        max_length=300,
        schema_extra={"examples": ["Domestic Workers Convention, 2011"]},
    )
    short_title: str | None = Field(default=None, max_length=120)
    adopted_on: IsoDate | None = None
    entered_into_force_on: IsoDate | None = Field(
        default=None, description="Not before adopted_on."
    )
    category: InstrumentCategory = Field(
        default=InstrumentCategory.other, sa_type=enum_column_type(InstrumentCategory)
    )


class Instrument(InstrumentFields, table=True):
    """An international instrument the caucus follows, keyed by its code."""

    __tablename__ = "instruments"

    code: str = Field(primary_key=True, max_length=16)
    named_in_founding_statement: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class InstrumentCreate(InstrumentFields, WriteModel):
    code: InstrumentCode


class InstrumentUpdate(WriteModel):
    body: Annotated[InstrumentBody | None, NotNull] = None
    title: Annotated[str | None, NotNull] = Field(
        default=None,
        min_length=1,
        max_length=300,
        schema_extra={"examples": ["Violence and Harassment Convention, 2019"]},
    )
    short_title: str | None = Field(default=None, max_length=120)
    adopted_on: IsoDate | None = None
    entered_into_force_on: IsoDate | None = None
    category: Annotated[InstrumentCategory | None, NotNull] = None


class InstrumentPublic(InstrumentFields):
    code: str
    named_in_founding_statement: bool = Field(
        description="One of the six instruments the caucus's founding statement names."
    )
    created_at: datetime
    updated_at: datetime


# ---- ratifications -------------------------------------------------------------------------


class RatificationAction(StrEnum):
    signature = "signature"
    ratification = "ratification"
    accession = "accession"
    succession = "succession"


class RatificationStatus(StrEnum):
    not_ratified = "not_ratified"
    signed = "signed"
    ratified_not_in_force = "ratified_not_in_force"
    in_force = "in_force"
    denounced = "denounced"


class RatificationFields(SQLModel):
    action: RatificationAction | None = Field(
        default=None,
        sa_type=enum_column_type(RatificationAction),
        description="How the country became (or is becoming) bound.",
    )
    signed_on: IsoDate | None = None
    ratified_on: IsoDate | None = Field(
        default=None,
        description="The national act of ratification, accession or succession; "
        "not before signed_on.",
    )
    registered_on: IsoDate | None = Field(
        default=None,
        description="Registered with the ILO or deposited with the UN; not before ratified_on.",
    )
    in_force_on: IsoDate | None = Field(
        default=None, description="In force for the country; not before ratified_on."
    )
    status: RatificationStatus = Field(sa_type=enum_column_type(RatificationStatus))
    declarations: str | None = Field(
        default=None, max_length=5000, description="Declarations and reservations made."
    )
    sources: list[Source] = Field(
        default_factory=list,
        sa_type=sa.JSON,
        max_length=50,
        schema_extra={"examples": [["UN Treaty Collection, Chapter IV.13 (treaties.un.org)"]]},
    )
    as_of: IsoDate | None = Field(default=None, description="When the facts were last checked.")
    notes: str | None = Field(default=None, max_length=5000)


class Ratification(RatificationFields, Record, table=True):
    """Where one country stands on one instrument."""

    __tablename__ = "ratifications"
    __table_args__ = (
        sa.UniqueConstraint("country", "instrument"),
        sa.Index("ix_ratifications_instrument_status", "instrument", "status"),
        sa.Index("ix_ratifications_updated_at", "updated_at"),
    )

    country: str = Field(sa_type=sa.String(2), foreign_key="countries.code")
    instrument: str = Field(max_length=16, foreign_key="instruments.code")


# ---- ratifications over the API -------------------------------------------------------------

# In paths and filters a code may come in any case; the service upper-cases it.
COUNTRY_CODE_ANY_CASE = r"^[A-Za-z]{2}$"
INSTRUMENT_CODE_ANY_CASE = r"^[A-Za-z][A-Za-z0-9-]{1,15}$"


class RatificationPut(RatificationFields, Shared, WriteModel):
    """The whole record for one country and instrument: a field left out gets its default."""


class RatificationPair(SQLModel):
    country: str = Field(description="ISO 3166-1 alpha-2.", schema_extra={"examples": ["PH"]})
    instrument: str = Field(
        description="The instrument's code.", schema_extra={"examples": ["C189"]}
    )


class RatificationPublic(RecordPublic, RatificationFields, RatificationPair):
    pass


class RatificationFilters(RecordFilters):
    country: Annotated[str, StringConstraints(pattern=COUNTRY_CODE_ANY_CASE)] | None = Field(
        default=None,
        description="ISO 3166-1 alpha-2, in any case.",
        schema_extra={"examples": ["PH"]},
    )
    instrument: Annotated[str, StringConstraints(pattern=INSTRUMENT_CODE_ANY_CASE)] | None = Field(
        default=None,
        description="The instrument's code, in any case.",
        schema_extra={"examples": ["C189"]},
    )
    status: RatificationStatus | None = None
    region: Region | None = Field(default=None, description="The country's UN M49 sub-region.")


# ---- the ratification matrix ----------------------------------------------------------------


class MatrixStatus(StrEnum):
    """A ratification status, or `unknown` where no record (that the caller may see) says."""

    not_ratified = "not_ratified"
    signed = "signed"
    ratified_not_in_force = "ratified_not_in_force"
    in_force = "in_force"
    denounced = "denounced"
    unknown = "unknown"


class StatusTotals(SQLModel):
    """How many of the matrix's countries are at each status for one instrument."""

    not_ratified: int = 0
    signed: int = 0
    ratified_not_in_force: int = 0
    in_force: int = 0
    denounced: int = 0
    unknown: int = Field(default=0, description="No record, or none the caller may see.")


class MatrixInstrument(SQLModel):
    code: str = Field(schema_extra={"examples": ["C189"]})
    short_title: str | None = Field(schema_extra={"examples": ["Domestic Workers"]})
    totals: StatusTotals = Field(
        schema_extra={
            "examples": [
                {
                    "not_ratified": 0,
                    "signed": 0,
                    "ratified_not_in_force": 0,
                    "in_force": 1,
                    "denounced": 0,
                    "unknown": 47,
                }
            ]
        }
    )


class MatrixRow(SQLModel):
    country: str = Field(description="ISO 3166-1 alpha-2.", schema_extra={"examples": ["PH"]})
    name: str = Field(schema_extra={"examples": ["Philippines"]})
    region: Region = Field(schema_extra={"examples": ["south_east_asia"]})
    statuses: dict[str, MatrixStatus] = Field(
        description="The status for each instrument of the matrix, by instrument code.",
        schema_extra={"examples": [{"C189": "in_force", "ICRMW": "in_force", "C143": "unknown"}]},
    )


class RatificationMatrix(SQLModel):
    """Countries by instruments: where each country stands on each instrument."""

    instruments: list[MatrixInstrument] = Field(
        description="The columns, in the order asked for, each with its totals over the rows."
    )
    countries: list[MatrixRow] = Field(description="The rows, by country code.")
