"""Recommendations the caucus makes, and the dated timeline of what became of each."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from app.core.db import UTCDateTime, enum_column_type, new_id, utcnow
from app.core.schemas import HttpUrlStr, IsoDate, NotNull, SearchText, WriteModel
from app.countries.codes import CountryCode
from app.field_visits.models import Priority
from app.records.models import Record, RecordFilters, RecordPublic, Shared, Visibility
from app.treaties.models import InstrumentCodeIn


class RecommendationStatus(StrEnum):
    open = "open"
    in_progress = "in_progress"
    partially_implemented = "partially_implemented"
    implemented = "implemented"
    rejected = "rejected"
    superseded = "superseded"


# No further follow-up is expected of these, so they are never overdue.
CLOSED_STATUSES = frozenset(
    {
        RecommendationStatus.implemented,
        RecommendationStatus.rejected,
        RecommendationStatus.superseded,
    }
)


class SourceType(StrEnum):
    field_visit = "field_visit"
    activity = "activity"


class SourceFilter(StrEnum):
    field_visit = "field_visit"
    activity = "activity"
    none = "none"


EXAMPLE_ID = "5d70e6d8-033e-452a-a1bf-f36a6c165897"
STATUS_DESCRIPTION = (
    "`open`, `in_progress`, `partially_implemented`, `implemented`, `rejected` or `superseded`; "
    "moved by posting an update to the recommendation's timeline."
)


class RecommendationFields(SQLModel):
    text: str = Field(
        min_length=1,
        max_length=5000,
        schema_extra={"examples": ["Include domestic workers in the minimum wage order."]},
    )
    source_type: SourceType | None = Field(
        default=None,
        sa_type=enum_column_type(SourceType),
        description="Where it was made: a field visit, an activity, or none.",
        schema_extra={"examples": ["activity"]},
    )
    source_id: uuid.UUID | None = Field(
        default=None,
        description="The id of that field-visit report or activity; given with source_type.",
        schema_extra={"examples": [EXAMPLE_ID]},
    )
    addressed_to: str = Field(
        min_length=1,
        max_length=300,
        description="The body it is addressed to.",
        schema_extra={"examples": ["Ministry of Human Resources"]},
    )
    country: CountryCode | None = Field(
        default=None,
        sa_type=sa.String(2),
        foreign_key="countries.code",
        description="The country of that body, ISO 3166-1 alpha-2.",
        schema_extra={"examples": ["MY"]},
    )
    agreement_id: uuid.UUID | None = Field(
        default=None, foreign_key="agreements.id", description="The agreement it concerns."
    )
    law_id: uuid.UUID | None = Field(
        default=None, foreign_key="laws.id", description="The law it concerns."
    )
    instrument_code: str | None = Field(
        default=None,
        max_length=16,
        foreign_key="instruments.code",
        description="The instrument it concerns, e.g. `C189`.",
    )
    priority: Priority = Field(default=Priority.medium, sa_type=enum_column_type(Priority))
    due_on: IsoDate | None = Field(default=None, schema_extra={"examples": ["2027-06-30"]})


class TimelineEntryFields(SQLModel):
    occurred_on: IsoDate = Field(
        description="When it happened (not when it was recorded).",
        schema_extra={"examples": ["2026-11-20"]},
    )
    status: RecommendationStatus = Field(
        sa_type=enum_column_type(RecommendationStatus),
        description="The recommendation's status from then on (unless a later-dated entry "
        "says otherwise).",
        schema_extra={"examples": ["in_progress"]},
    )
    note: str | None = Field(
        default=None,
        max_length=5000,
        schema_extra={"examples": ["The ministry opened a consultation on the wage order."]},
    )
    evidence_url: HttpUrlStr | None = Field(
        default=None,
        max_length=2048,
        description="Where the evidence can be read.",
        schema_extra={"examples": ["https://example.org/consultation-notice"]},
    )


class TimelineEntry(TimelineEntryFields, table=True):
    __tablename__ = "recommendation_updates"
    __table_args__ = (
        sa.Index(
            "ix_recommendation_updates_recommendation_id_position", "recommendation_id", "position"
        ),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    recommendation_id: uuid.UUID | None = Field(
        default=None, foreign_key="recommendations.id", ondelete="CASCADE"
    )
    position: int
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    recorded_by: str = Field(max_length=64)
    recommendation: "Recommendation" = Relationship(back_populates="timeline")


class Recommendation(RecommendationFields, Record, table=True):
    __tablename__ = "recommendations"
    __table_args__ = (
        sa.Index("ix_recommendations_created_at_id", "created_at", "id"),
        sa.Index("ix_recommendations_country_created_at_id", "country", "created_at", "id"),
        sa.Index("ix_recommendations_status_due_on", "status", "due_on"),
        sa.Index("ix_recommendations_source_id", "source_id"),
        sa.Index("ix_recommendations_updated_at", "updated_at"),
    )

    status: RecommendationStatus = Field(
        default=RecommendationStatus.open, sa_type=enum_column_type(RecommendationStatus)
    )
    timeline: list[TimelineEntry] = Relationship(
        back_populates="recommendation",
        sa_relationship_kwargs={
            "lazy": "selectin",
            "cascade": "all, delete-orphan",
            "order_by": "(TimelineEntry.occurred_on, TimelineEntry.position)",
        },
    )

    @property
    def overdue(self) -> bool:
        return is_overdue(self.status, self.due_on, utcnow().date())


class RecommendationCreate(RecommendationFields, Shared, WriteModel):
    agreement_id: uuid.UUID | None = Field(
        default=None, description="The agreement it concerns; one you can see."
    )
    law_id: uuid.UUID | None = Field(
        default=None, description="The law it concerns; one you can see."
    )
    instrument_code: InstrumentCodeIn | None = Field(
        default=None, description="The instrument it concerns, e.g. `C189` (any case)."
    )
    status: RecommendationStatus = Field(
        default=RecommendationStatus.open,
        description="Where it stands when recorded; later moves go through its timeline.",
    )


class RecommendationUpdate(WriteModel):
    text: Annotated[str | None, NotNull] = Field(
        default=None,
        min_length=1,
        max_length=5000,
        schema_extra={"examples": ["Include domestic and fishing workers in the wage order."]},
    )
    source_type: SourceType | None = None
    source_id: uuid.UUID | None = None
    addressed_to: Annotated[str | None, NotNull] = Field(default=None, min_length=1, max_length=300)
    country: CountryCode | None = None
    agreement_id: uuid.UUID | None = None
    law_id: uuid.UUID | None = None
    instrument_code: InstrumentCodeIn | None = None
    priority: Annotated[Priority | None, NotNull] = None
    due_on: IsoDate | None = None
    visibility: Annotated[Visibility | None, NotNull] = None


class TimelineEntryCreate(TimelineEntryFields, WriteModel):
    occurred_on: IsoDate | None = Field(  # type: ignore[assignment]
        default=None,
        description="When it happened; today (UTC) when not given. Not in the future.",
        schema_extra={"examples": ["2026-11-20"]},
    )


class TimelineEntryPublic(TimelineEntryFields):
    recorded_at: datetime
    recorded_by: str = Field(description="`user:<id>`, `token:<id>` or `system`.")


class RecommendationPublic(RecommendationFields, RecordPublic):
    status: RecommendationStatus = Field(description=STATUS_DESCRIPTION)
    overdue: bool = Field(description="Its due date has passed and it is not yet closed.")
    timeline: list[TimelineEntryPublic] = Field(
        description="Updates in the order they happened; the latest one's status is the "
        "recommendation's."
    )


class RecommendationFilters(RecordFilters):
    country: CountryCode | None = Field(default=None, description="The country addressed.")
    status: RecommendationStatus | None = None
    source: SourceFilter | None = Field(
        default=None, description="Made in a field visit, an activity, or neither (`none`)."
    )
    source_id: uuid.UUID | None = Field(
        default=None, description="Made in this field-visit report or activity."
    )
    overdue: bool | None = Field(
        default=None,
        description="`true`: due date passed and not implemented, rejected or superseded; "
        "`false`: the others.",
    )
    addressed_to: SearchText | None = Field(
        default=None, description="Part of the name of the body addressed."
    )
    q: SearchText | None = Field(default=None, description="Words in the text or the addressee.")


def is_overdue(status: RecommendationStatus, due_on: date | None, today: date) -> bool:
    return due_on is not None and due_on < today and status not in CLOSED_STATUSES
