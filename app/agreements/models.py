"""MOUs, bilateral and multilateral agreements and regional frameworks, with their parties."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

import sqlalchemy as sa
from pydantic import GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema
from sqlalchemy.orm import Session
from sqlmodel import Field, Relationship, SQLModel

from app.assessments.models import LATEST_SCORE_DESCRIPTION, LatestScore
from app.core.db import UTCDateTime, enum_column_type
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


class AgreementKind(StrEnum):
    mou = "mou"
    bilateral_agreement = "bilateral_agreement"
    multilateral_agreement = "multilateral_agreement"
    regional_framework = "regional_framework"


class AgreementStatus(StrEnum):
    draft = "draft"
    under_negotiation = "under_negotiation"
    signed = "signed"
    in_force = "in_force"
    under_review = "under_review"
    suspended = "suspended"
    expired = "expired"
    terminated = "terminated"


class Sector(StrEnum):
    domestic_work = "domestic_work"
    construction = "construction"
    agriculture = "agriculture"
    fishing = "fishing"
    manufacturing = "manufacturing"
    care = "care"
    hospitality = "hospitality"
    seafaring = "seafaring"
    general = "general"


class PartyRole(StrEnum):
    origin = "origin"
    destination = "destination"
    party = "party"


TWO_PARTIES_AT_LEAST = frozenset({AgreementKind.mou, AgreementKind.bilateral_agreement})


class PartyBase(SQLModel):
    country: CountryCode = Field(
        sa_type=sa.String(2),
        foreign_key="countries.code",
        primary_key=True,
        description="ISO 3166-1 alpha-2.",
    )
    role: PartyRole = Field(
        sa_type=enum_column_type(PartyRole),
        description="`origin` sends workers, `destination` receives them; `party` for others.",
    )


class AgreementParty(PartyBase, table=True):
    __tablename__ = "agreement_parties"
    __table_args__ = (
        # A country's agreements (in a role) in the list's order, (created_at, id): a page of
        # the list filtered by a party reads about as many parties as it shows, however many
        # agreements there are, instead of sorting all the country's agreements for each page;
        # the first with each one's updated_at, so a walk asked for changes needs no other read.
        sa.Index(
            "ix_agreement_parties_country_created_at_agreement_id_updated_at",
            "country",
            "created_at",
            "agreement_id",
            "updated_at",
        ),
        sa.Index(
            "ix_agreement_parties_country_role_created_at_agreement_id",
            "country",
            "role",
            "created_at",
            "agreement_id",
        ),
        # A country's agreements changed since a time, with their place in the list: when few
        # changed, a page is these sorted, not a walk of all the country's agreements.
        sa.Index(
            "ix_agreement_parties_country_updated_at_created_at_agreement_id",
            "country",
            "updated_at",
            "created_at",
            "agreement_id",
        ),
        # The primary key leads with the country: loading an agreement's parties by its id
        # scanned every party of every agreement on PostgreSQL (33 ms a read at 100k records).
        sa.Index("ix_agreement_parties_agreement_id_position", "agreement_id", "position"),
    )

    # Set from the relationship when the agreement is saved.
    agreement_id: uuid.UUID | None = Field(
        default=None, foreign_key="agreements.id", primary_key=True, ondelete="CASCADE"
    )
    # The agreement's own created_at (not when this row was written), which never changes,
    # copied for the indexes above.
    created_at: datetime = Field(sa_type=UTCDateTime)
    # The agreement's updated_at, kept in step on every flush (`_parties_in_step`), for the
    # index above.
    updated_at: datetime = Field(sa_type=UTCDateTime)
    position: int = Field(description="Keeps the parties in the order they were given.")
    agreement: "Agreement" = Relationship(back_populates="parties")


class Party(PartyBase, WriteModel):
    pass


class PartyPublic(PartyBase):
    pass


class AgreementFields(SQLModel):
    title: str = Field(
        min_length=1,
        max_length=500,
        schema_extra={
            "examples": [
                "Memorandum of Understanding on the Recruitment of Domestic Workers "
                "(Philippines and Saudi Arabia)"
            ]
        },
    )
    kind: AgreementKind = Field(sa_type=enum_column_type(AgreementKind))
    status: AgreementStatus = Field(sa_type=enum_column_type(AgreementStatus))
    signed_on: IsoDate | None = None
    effective_on: IsoDate | None = Field(default=None, description="Not before signed_on.")
    expires_on: IsoDate | None = Field(
        default=None, description="Not before signed_on or effective_on."
    )
    sectors: list[Sector] = Field(
        default_factory=list,
        sa_type=sa.JSON,
        max_length=len(Sector),
        schema_extra={"examples": [["domestic_work"]]},
    )
    summary: str | None = Field(default=None, max_length=20_000)
    text_url: HttpUrlStr | None = Field(
        default=None, max_length=2048, description="Where the text of the agreement can be read."
    )
    language: LanguageTag | None = Field(default=None, max_length=35)
    sources: list[Source] = Field(
        default_factory=list,
        sa_type=sa.JSON,
        max_length=50,
        description="Citations or links the record rests on.",
    )
    external_ref: str | None = external_ref_field()


class Agreement(AgreementFields, Record, table=True):
    __tablename__ = "agreements"
    __table_args__ = (
        sa.Index("ix_agreements_created_at_id", "created_at", "id"),
        sa.Index("ix_agreements_updated_at", "updated_at"),
        sa.Index("ix_agreements_expires_on", "expires_on"),
        sa.Index("ix_agreements_external_ref", "external_ref", unique=True),
    )

    parties: list[AgreementParty] = Relationship(
        back_populates="agreement",
        sa_relationship_kwargs={
            "lazy": "selectin",
            "cascade": "all, delete-orphan",
            "order_by": "AgreementParty.position",
        },
    )


class AgreementCreate(AgreementFields, Shared, WriteModel):
    parties: list[Party] = Field(
        min_length=1,
        max_length=60,
        description="Each country once. A bilateral agreement or MOU has at least two.",
        schema_extra={
            "examples": [
                [{"country": "PH", "role": "origin"}, {"country": "SA", "role": "destination"}]
            ]
        },
    )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Say in the schema that an MOU or bilateral agreement needs two parties."""
        schema = handler.resolve_ref_schema(handler(core_schema))
        schema["if"] = {
            "properties": {"kind": {"enum": sorted(kind.value for kind in TWO_PARTIES_AT_LEAST)}},
            "required": ["kind"],
        }
        schema["then"] = {"properties": {"parties": {"minItems": 2}}}
        return schema


class AgreementUpdate(WriteModel):
    title: Annotated[str | None, NotNull] = Field(default=None, min_length=1, max_length=500)
    kind: Annotated[AgreementKind | None, NotNull] = None
    status: Annotated[AgreementStatus | None, NotNull] = Field(
        default=None, schema_extra={"examples": ["in_force"]}
    )
    signed_on: IsoDate | None = None
    effective_on: IsoDate | None = None
    expires_on: IsoDate | None = None
    sectors: Annotated[list[Sector] | None, NotNull] = Field(default=None, max_length=len(Sector))
    summary: str | None = Field(default=None, max_length=20_000)
    text_url: HttpUrlStr | None = Field(default=None, max_length=2048)
    language: LanguageTag | None = Field(default=None, max_length=35)
    sources: Annotated[list[Source] | None, NotNull] = Field(default=None, max_length=50)
    parties: Annotated[list[Party] | None, NotNull] = Field(
        default=None, min_length=1, max_length=60
    )
    external_ref: str | None = external_ref_field()
    visibility: Annotated[Visibility | None, NotNull] = None


class AgreementPublic(AgreementFields, RecordPublic):
    parties: list[PartyPublic]
    latest_score: LatestScore | None = Field(default=None, description=LATEST_SCORE_DESCRIPTION)


class AgreementFilters(RecordFilters):
    country: CountryCode | None = Field(default=None, description="Any party.")
    origin: CountryCode | None = Field(default=None, description="A party in the origin role.")
    destination: CountryCode | None = Field(
        default=None, description="A party in the destination role."
    )
    kind: AgreementKind | None = None
    status: AgreementStatus | None = None
    sector: Sector | None = None
    signed_from: IsoDate | None = Field(default=None, description="Signed on or after.")
    signed_to: IsoDate | None = Field(default=None, description="Signed on or before.")
    expiring_from: IsoDate | None = Field(
        default=None, description="Expires on or after this date (and has an expiry date)."
    )
    expiring_before: IsoDate | None = Field(
        default=None, description="Expires before this date (and has an expiry date)."
    )
    q: SearchText | None = Field(default=None, description="Words in the title or summary.")


@sa.event.listens_for(Session, "before_flush")
def _parties_in_step(session: Session, *_: object) -> None:
    """Give each party row its agreement's updated_at before it is written, whichever write
    (create, update, delete, restore, import) stamped the agreement."""
    for row in (*session.new, *session.dirty):
        if isinstance(row, Agreement):
            for party in row.parties:
                if party.updated_at != row.updated_at:
                    party.updated_at = row.updated_at
