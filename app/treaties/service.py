"""Instruments: the conventions the caucus urges ratification of, and any an admin adds."""

import csv
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, func, or_, select

from app.audit import service as audit
from app.audit.service import Actor
from app.core.errors import ConflictError, InvalidInputError, NotFoundError
from app.core.pagination import Page, PageParams, keyset_page
from app.records.changes import refuse_nulls, save_changes
from app.treaties.models import (
    Instrument,
    InstrumentBody,
    InstrumentCategory,
    InstrumentCreate,
    InstrumentUpdate,
)

INSTRUMENTS_FILE = Path(__file__).resolve().parents[1] / "reference" / "instruments.csv"


def _dates_in_order(adopted_on: date | None, entered_into_force_on: date | None) -> None:
    if adopted_on and entered_into_force_on and entered_into_force_on < adopted_on:
        raise InvalidInputError(
            "entered_into_force_on cannot be before adopted_on.", field="entered_into_force_on"
        )


def _reference_rows() -> list[dict[str, Any]]:
    with INSTRUMENTS_FILE.open(encoding="utf-8", newline="") as handle:
        return [
            {
                "code": row["code"],
                "body": InstrumentBody(row["body"]),
                "title": row["title"],
                "short_title": row["short_title"] or None,
                "adopted_on": date.fromisoformat(row["adopted_on"]) if row["adopted_on"] else None,
                "entered_into_force_on": (
                    date.fromisoformat(row["entered_into_force_on"])
                    if row["entered_into_force_on"]
                    else None
                ),
                "category": InstrumentCategory(row["category"]),
                "named_in_founding_statement": row["named_in_founding_statement"] == "true",
            }
            for row in csv.DictReader(handle)
        ]


def load_instruments(session: Session) -> int:
    """Insert the shipped instruments that are missing; returns how many were added.

    An instrument already there is left alone: admins may have corrected it, and their audited
    edit wins over the file.
    """
    missing = [
        values for values in _reference_rows() if session.get(Instrument, values["code"]) is None
    ]
    session.add_all(Instrument(**values) for values in missing)
    return len(missing)


def get_instrument(session: Session, *, code: str) -> Instrument:
    instrument = session.get(Instrument, code.upper())
    if instrument is None:
        raise NotFoundError("No instrument with this code.")
    return instrument


def list_instruments(
    session: Session,
    *,
    params: PageParams,
    body: InstrumentBody | None = None,
    category: InstrumentCategory | None = None,
    named_in_founding_statement: bool | None = None,
    q: str | None = None,
) -> Page[Instrument]:
    statement = select(Instrument)
    if body is not None:
        statement = statement.where(Instrument.body == body)
    if category is not None:
        statement = statement.where(Instrument.category == category)
    if named_in_founding_statement is not None:
        statement = statement.where(
            Instrument.named_in_founding_statement == named_in_founding_statement
        )
    if q:
        needle = q.lower()
        statement = statement.where(
            or_(
                func.lower(Instrument.title).contains(needle, autoescape=True),
                func.lower(col(Instrument.short_title)).contains(needle, autoescape=True),
                func.lower(Instrument.code) == needle,
            )
        )
    return keyset_page(session, statement, key=(Instrument.code,), params=params)  # type: ignore[arg-type]


def create_instrument(session: Session, *, actor: Actor, data: InstrumentCreate) -> Instrument:
    _dates_in_order(data.adopted_on, data.entered_into_force_on)
    if session.get(Instrument, data.code) is not None:
        raise ConflictError("An instrument with this code already exists.")
    instrument = Instrument.model_validate(data)
    session.add(instrument)
    audit.record(
        session,
        action="instrument.created",
        actor=actor,
        subject_type="instrument",
        subject_id=instrument.code,
    )
    session.commit()
    return instrument


def update_instrument(
    session: Session, *, actor: Actor, instrument: Instrument, data: InstrumentUpdate
) -> Instrument:
    changes = data.model_dump(exclude_unset=True)
    refuse_nulls(changes, "body", "title", "category")
    _dates_in_order(
        changes.get("adopted_on", instrument.adopted_on),
        changes.get("entered_into_force_on", instrument.entered_into_force_on),
    )
    save_changes(
        session, instrument, changes, actor=actor, kind="instrument", subject_id=instrument.code
    )
    return instrument
