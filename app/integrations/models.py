"""What the change feed answers: thin events, so a partner re-reads each record through the
API that decides what it may see of it."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from sqlmodel import Field, SQLModel

from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from app.core.schemas import CommaSeparated
from app.records.models import RecordAction


class ChangeType(StrEnum):
    """The record types whose writes the feed carries, named as their record kinds are."""

    agreement = "agreement"
    law = "law"
    ratification = "ratification"
    parliamentarian = "parliamentarian"
    activity = "activity"
    field_visit = "field_visit"
    recommendation = "recommendation"
    assessment = "assessment"


class ChangeQuery(SQLModel):
    after: int = Field(
        default=0,
        ge=0,
        description="Only changes numbered after this: `next_after` of the previous page; 0 "
        "(the default) starts from the first.",
        schema_extra={"examples": [0]},
    )
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Changes per page.")
    types: Annotated[list[ChangeType], CommaSeparated] = Field(
        default_factory=list,
        max_length=len(ChangeType),
        description="Only changes to records of these types (repeat the parameter, or separate "
        "them by commas); every type when not given.",
        schema_extra={"examples": [["law", "agreement"]]},
    )


class Change(SQLModel):
    seq: int = Field(description="The change's number: numbers only grow, in commit order.")
    type: ChangeType = Field(description="The record's type.")
    id: uuid.UUID = Field(description="The record's id.")
    action: RecordAction = Field(
        description="`created`, `updated`, `deleted`, `restored` or `published`."
    )
    occurred_at: datetime
    actor_organisation_id: uuid.UUID | None = Field(
        description="The organisation of whoever made the change; null for the system."
    )
    link: str = Field(
        description="Where to read the record (a deleted one answers 404 there).",
        schema_extra={
            "examples": ["http://127.0.0.1:8000/api/v1/laws/0f8a4c1e-6b2d-4e57-9a3c-2d1e7f6b5a40"]
        },
    )


class ChangePage(SQLModel):
    items: list[Change]
    next_after: int = Field(
        description="Pass as `after` for the next page: the last `seq` of this page, or the "
        "`after` sent when the page is empty (poll again later from there).",
        schema_extra={"examples": [120]},
    )
