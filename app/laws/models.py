"""National laws, labour codes, regulations, policies, executive orders and bills."""

import uuid
from enum import StrEnum
from typing import Annotated

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from app.assessments.models import LATEST_SCORE_DESCRIPTION, LatestScore
from app.core.db import enum_column_type
from app.core.schemas import (
    HttpUrlStr,
    IsoDate,
    LanguageTag,
    NotNull,
    SearchText,
    Source,
    WriteModel,
)
from app.countries.codes import CountryCode
from app.records.models import (
    Record,
    RecordFilters,
    RecordPublic,
    Shared,
    Visibility,
    external_ref_field,
)
from app.treaties.models import InstrumentCodeIn


class LawKind(StrEnum):
    constitution = "constitution"
    act = "act"
    labour_code = "labour_code"
    regulation = "regulation"
    policy = "policy"
    executive_order = "executive_order"
    bill = "bill"


class LawStatus(StrEnum):
    bill = "bill"
    enacted = "enacted"
    in_force = "in_force"
    amended = "amended"
    repealed = "repealed"


class LawFields(SQLModel):
    country: CountryCode = Field(
        sa_type=sa.String(2),
        foreign_key="countries.code",
        description="ISO 3166-1 alpha-2 code of the country whose law it is.",
        schema_extra={"examples": ["PH"]},
    )
    title: str = Field(
        min_length=1,
        max_length=500,
        description="The title in English.",
        schema_extra={"examples": ["Domestic Workers Act (Batas Kasambahay)"]},
    )
    title_original: str | None = Field(
        default=None,
        max_length=1000,
        description="The title in the law's own language and script.",
        schema_extra={"examples": ["Batas Kasambahay"]},
    )
    language: LanguageTag | None = Field(default=None, max_length=35)
    kind: LawKind = Field(sa_type=enum_column_type(LawKind))
    reference: str | None = Field(
        default=None,
        max_length=200,
        description="Its official number, e.g. `Republic Act No. 10361`.",
        schema_extra={"examples": ["Republic Act No. 10361"]},
    )
    status: LawStatus = Field(sa_type=enum_column_type(LawStatus))
    enacted_on: IsoDate | None = None
    effective_on: IsoDate | None = Field(default=None, description="Not before enacted_on.")
    summary: str | None = Field(default=None, max_length=20_000)
    url: HttpUrlStr | None = Field(
        default=None, max_length=2048, description="Where the text can be read."
    )
    sources: list[Source] = Field(
        default_factory=list,
        sa_type=sa.JSON,
        max_length=50,
        description="Citations or links the record rests on.",
    )
    external_ref: str | None = external_ref_field()


class LawInstrument(SQLModel, table=True):
    """An instrument a law relates to (implements, or falls short of)."""

    __tablename__ = "law_instruments"
    __table_args__ = (sa.Index("ix_law_instruments_instrument_law_id", "instrument", "law_id"),)

    law_id: uuid.UUID | None = Field(
        default=None, foreign_key="laws.id", primary_key=True, ondelete="CASCADE"
    )
    instrument: str = Field(max_length=16, foreign_key="instruments.code", primary_key=True)
    law: "Law" = Relationship(back_populates="instrument_links")


class LawAgreement(SQLModel, table=True):
    """An agreement a law implements."""

    __tablename__ = "law_agreements"
    __table_args__ = (sa.Index("ix_law_agreements_agreement_id_law_id", "agreement_id", "law_id"),)

    law_id: uuid.UUID | None = Field(
        default=None, foreign_key="laws.id", primary_key=True, ondelete="CASCADE"
    )
    agreement_id: uuid.UUID = Field(foreign_key="agreements.id", primary_key=True)
    law: "Law" = Relationship(back_populates="agreement_links")


class Law(LawFields, Record, table=True):
    __tablename__ = "laws"
    __table_args__ = (
        sa.Index("ix_laws_created_at_id", "created_at", "id"),
        sa.Index("ix_laws_country_created_at_id", "country", "created_at", "id"),
        sa.Index("ix_laws_updated_at", "updated_at"),
        sa.Index("ix_laws_external_ref", "external_ref", unique=True),
    )

    instrument_links: list[LawInstrument] = Relationship(
        back_populates="law",
        sa_relationship_kwargs={
            "lazy": "selectin",
            "cascade": "all, delete-orphan",
            "order_by": "LawInstrument.instrument",
        },
    )
    agreement_links: list[LawAgreement] = Relationship(
        back_populates="law",
        sa_relationship_kwargs={
            "lazy": "selectin",
            "cascade": "all, delete-orphan",
            "order_by": "LawAgreement.agreement_id",
        },
    )

    @property
    def instrument_codes(self) -> list[str]:
        return [link.instrument for link in self.instrument_links]

    @property
    def agreement_ids(self) -> list[uuid.UUID]:
        return [link.agreement_id for link in self.agreement_links]


MAX_INSTRUMENTS = 50
MAX_AGREEMENTS = 100
INSTRUMENT_CODES_DESCRIPTION = (
    "Codes of the instruments the law relates to, e.g. `C189`, `C087`, `ICRMW`; each must be a "
    "known instrument. Any case is accepted; kept once each, upper-case, in code order."
)
AGREEMENT_IDS_DESCRIPTION = (
    "Ids of the agreements the law implements; each must be an agreement you can see. "
    "Kept once each, in id order."
)
INSTRUMENT_CODES_EXAMPLE = ["C189", "C087"]
AGREEMENT_IDS_EXAMPLE = ["5d70e6d8-033e-452a-a1bf-f36a6c165897"]


class LawCreate(LawFields, Shared, WriteModel):
    instrument_codes: list[InstrumentCodeIn] = Field(
        default_factory=list,
        max_length=MAX_INSTRUMENTS,
        description=INSTRUMENT_CODES_DESCRIPTION,
        schema_extra={"examples": [INSTRUMENT_CODES_EXAMPLE]},
    )
    agreement_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=MAX_AGREEMENTS,
        description=AGREEMENT_IDS_DESCRIPTION,
        schema_extra={"examples": [AGREEMENT_IDS_EXAMPLE]},
    )


class LawUpdate(WriteModel):
    country: Annotated[CountryCode | None, NotNull] = None
    title: Annotated[str | None, NotNull] = Field(default=None, min_length=1, max_length=500)
    title_original: str | None = Field(default=None, max_length=1000)
    language: LanguageTag | None = Field(default=None, max_length=35)
    kind: Annotated[LawKind | None, NotNull] = None
    reference: str | None = Field(default=None, max_length=200)
    status: Annotated[LawStatus | None, NotNull] = Field(
        default=None, schema_extra={"examples": ["amended"]}
    )
    enacted_on: IsoDate | None = None
    effective_on: IsoDate | None = Field(default=None, description="Not before enacted_on.")
    summary: str | None = Field(default=None, max_length=20_000)
    url: HttpUrlStr | None = Field(default=None, max_length=2048)
    sources: Annotated[list[Source] | None, NotNull] = Field(default=None, max_length=50)
    instrument_codes: Annotated[list[InstrumentCodeIn] | None, NotNull] = Field(
        default=None,
        max_length=MAX_INSTRUMENTS,
        description=INSTRUMENT_CODES_DESCRIPTION + " Replaces the list whole.",
        schema_extra={"examples": [["C189", "C143", "ICRMW"]]},
    )
    agreement_ids: Annotated[list[uuid.UUID] | None, NotNull] = Field(
        default=None,
        max_length=MAX_AGREEMENTS,
        description=AGREEMENT_IDS_DESCRIPTION + " Replaces the list whole.",
    )
    external_ref: str | None = external_ref_field()
    visibility: Annotated[Visibility | None, NotNull] = None


class LawPublic(LawFields, RecordPublic):
    instrument_codes: list[str] = Field(
        description="Codes of the instruments the law relates to, in code order.",
        schema_extra={"examples": [INSTRUMENT_CODES_EXAMPLE]},
    )
    agreement_ids: list[uuid.UUID] = Field(
        description="Ids of the agreements the law implements, in id order.",
        schema_extra={"examples": [AGREEMENT_IDS_EXAMPLE]},
    )
    latest_score: LatestScore | None = Field(default=None, description=LATEST_SCORE_DESCRIPTION)


class LawFilters(RecordFilters):
    country: CountryCode | None = Field(default=None, description="The law's country.")
    kind: LawKind | None = None
    status: LawStatus | None = None
    instrument: InstrumentCodeIn | None = Field(
        default=None,
        description="Laws relating to this instrument, by code (any case), e.g. `C189`.",
    )
    q: SearchText | None = Field(
        default=None, description="Words in the title, the original title or the summary."
    )
