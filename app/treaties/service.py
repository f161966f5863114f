"""Instruments: the conventions the caucus urges ratification of, and any an admin adds; and
ratifications: where each country stands on each instrument, kept on the record lifecycle."""

import csv
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import Session, col, func, or_, select
from sqlmodel.sql.expression import SelectOfScalar

from app.audit import service as audit
from app.audit.service import Actor
from app.core.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PreconditionFailedError,
)
from app.countries.models import Country, Region
from app.countries.service import get_country
from app.identity import service as identity
from app.identity.service import Principal
from app.records import service as records
from app.records.changes import dates_in_order, refuse_nulls, save_changes, unique, unique_lists
from app.records.models import RecordFilters, Visibility
from app.records.service import RecordKind
from app.treaties.models import (
    Instrument,
    InstrumentBody,
    InstrumentCategory,
    InstrumentCreate,
    InstrumentUpdate,
    MatrixInstrument,
    MatrixRow,
    MatrixStatus,
    Ratification,
    RatificationFilters,
    RatificationMatrix,
    RatificationPublic,
    RatificationPut,
    StatusTotals,
)

REFERENCE_DIRECTORY = Path(__file__).resolve().parents[1] / "reference"
INSTRUMENTS_FILE = REFERENCE_DIRECTORY / "instruments.csv"
RATIFICATIONS_SAMPLE_FILE = REFERENCE_DIRECTORY / "ratifications-sample.csv"


INSTRUMENT_DATES = ("adopted_on", "entered_into_force_on")


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


# Instruments are listed and exported by code.
INSTRUMENT_ORDER: tuple[InstrumentedAttribute[Any], ...] = (Instrument.code,)  # type: ignore[assignment]


_INSTRUMENT = Instrument.__table__.c  # type: ignore[attr-defined]
# Built once and run as a plain query: building it, and the ORM's execution, cost several times
# what the database takes to answer it, on every write naming instruments.
_KNOWN_CODES = sa.select(_INSTRUMENT.code).where(
    _INSTRUMENT.code.in_(sa.bindparam("codes", expanding=True))
)


def known_instrument_codes(
    session: Session, codes: Sequence[str], *, field: str = "instrument_codes"
) -> list[str]:
    """The codes upper-cased, each once, in code order; every one must be a known instrument."""
    wanted = sorted(unique(code.upper() for code in codes))
    if not wanted:
        return []
    known = set(session.connection().execute(_KNOWN_CODES, {"codes": wanted}).scalars())
    unknown = [code for code in wanted if code not in known]
    if unknown:
        raise InvalidInputError(f"No instrument with the code {', '.join(unknown)}.", field=field)
    return wanted


def select_instruments(
    *,
    body: InstrumentBody | None = None,
    category: InstrumentCategory | None = None,
    named_in_founding_statement: bool | None = None,
    q: str | None = None,
    updated_since: datetime | None = None,
) -> SelectOfScalar[Instrument]:
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
    if updated_since is not None:
        statement = statement.where(col(Instrument.updated_at) >= updated_since)
    return statement


def create_instrument(session: Session, *, actor: Actor, data: InstrumentCreate) -> Instrument:
    dates_in_order(data.model_dump(), INSTRUMENT_DATES)
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
    dates_in_order(changes, INSTRUMENT_DATES, stored=instrument)
    save_changes(
        session, instrument, changes, actor=actor, kind="instrument", subject_id=instrument.code
    )
    return instrument


# ---- ratifications --------------------------------------------------------------------------

RATIFICATION = RecordKind(
    name="ratification",
    model=Ratification,
    public_model=RatificationPublic,
    order_key=(Ratification.country, Ratification.instrument),  # type: ignore[arg-type]
)


# Each chain in order where its dates are known: signature, national act, entry into force; and
# registration with the ILO or deposit with the UN after the national act.
RATIFICATION_DATES = (("signed_on", "ratified_on", "in_force_on"), ("ratified_on", "registered_on"))


def ratification_dates_in_order(data: RatificationPut) -> None:
    for chain in RATIFICATION_DATES:
        dates_in_order(data.model_dump(), chain)


def ratification_of(country: str, instrument: str) -> sa.ColumnElement[bool]:
    """The condition picking the record of one pair; codes in any case."""
    return sa.and_(
        col(Ratification.country) == country.upper(),
        col(Ratification.instrument) == instrument.upper(),
    )


def select_ratifications(
    principal: Principal, filters: RatificationFilters
) -> SelectOfScalar[Ratification]:
    statement = records.select_visible(RATIFICATION, principal, filters)
    if filters.country is not None:
        statement = statement.where(Ratification.country == filters.country.upper())
    if filters.instrument is not None:
        statement = statement.where(Ratification.instrument == filters.instrument.upper())
    if filters.status is not None:
        statement = statement.where(Ratification.status == filters.status)
    if filters.region is not None:
        in_region = select(Country.code).where(Country.region == filters.region)
        statement = statement.where(col(Ratification.country).in_(in_region))
    return statement


def put_ratification(
    session: Session,
    *,
    actor: Actor,
    principal: Principal | None,
    country: str,
    instrument: str,
    data: RatificationPut,
    if_match: str | None,
    commit: bool = True,
) -> tuple[Ratification, bool]:
    """Create or replace the record of one country and instrument; True if it was created.

    A field the body leaves out goes back to its default. A pair whose record was deleted is
    refused (restore it first), so its history stays one history. `principal` None is a script
    acting for the secretariat; with `commit` false the write waits for the transaction's commit.
    """
    country_code = get_country(session, code=country).code
    instrument_code = get_instrument(session, code=instrument).code
    ratification_dates_in_order(data)
    values = data.model_dump()
    unique_lists(values, "sources")
    # One pair has one record, whoever may see it, deleted or not.
    seen = sa.true() if principal is None else records.visible_to(Ratification, principal)
    recorded = session.exec(
        select(Ratification, seen).where(ratification_of(country_code, instrument_code))
    ).first()
    if recorded is None:
        if if_match is not None:
            raise PreconditionFailedError(
                "There is no record of this country and instrument yet, so If-Match cannot "
                "hold; leave it out to create the record."
            )
        row = Ratification(**values, country=country_code, instrument=instrument_code)
        return records.create(session, RATIFICATION, row, actor=actor, commit=commit), True
    row, visible = recorded
    if not visible:
        # Restricted, and owned by another organisation: to this caller it does not exist.
        raise NotFoundError("No ratification here, or not one you can see.")
    if row.deleted_at is not None:
        raise ConflictError(
            "The record of this country and instrument was deleted; restore it first "
            "(POST .../restore), then change it."
        )
    updated = records.update(
        session, RATIFICATION, row, values, actor=actor, if_match=if_match, commit=commit
    )
    return updated, False


# ---- the matrix -----------------------------------------------------------------------------


def _codes(raw: Sequence[str] | None) -> list[str] | None:
    if raw is None:
        return None
    return unique(code.upper() for code in raw)


def ratification_matrix(
    session: Session,
    *,
    principal: Principal,
    region: Region | None = None,
    instruments: Sequence[str] | None = None,
    countries: Sequence[str] | None = None,
) -> RatificationMatrix:
    """Countries by instruments, each cell the status of the record the caller may see there,
    or `unknown`. Three queries whatever the size: instruments, countries, records."""
    instrument_codes = _codes(instruments)
    country_codes = _codes(countries)

    instrument_query = select(Instrument)
    if instrument_codes is None:
        instrument_query = instrument_query.where(col(Instrument.named_in_founding_statement))
    else:
        instrument_query = instrument_query.where(col(Instrument.code).in_(instrument_codes))
    found = {row.code: row for row in session.exec(instrument_query)}
    if instrument_codes is None:
        instrument_codes = sorted(found)
    elif len(found) < len(instrument_codes):
        raise InvalidInputError(
            "`instruments` names an instrument that is not recorded; "
            "GET /api/v1/instruments lists them.",
            field="instruments",
            location="query",
        )

    country_query = select(Country).order_by(col(Country.code))
    if country_codes is None:
        asian = col(Country.region) != Region.other
        country_query = country_query.where(
            col(Country.region) == region if region is not None else asian
        )
        country_rows = list(session.exec(country_query))
    else:
        country_rows = list(session.exec(country_query.where(col(Country.code).in_(country_codes))))
        if len(country_rows) < len(country_codes):
            raise InvalidInputError(
                "`countries` names a code that is no ISO 3166-1 alpha-2 country.",
                field="countries",
                location="query",
            )
        if region is not None:
            country_rows = [country for country in country_rows if country.region == region]

    visible = records.select_visible(RATIFICATION, principal, RecordFilters())
    cells = session.exec(
        select(Ratification.country, Ratification.instrument, Ratification.status)
        .where(visible.whereclause)  # type: ignore[arg-type]
        .where(col(Ratification.instrument).in_(instrument_codes))
        .where(col(Ratification.country).in_([country.code for country in country_rows]))
    ).all()
    status_of = {
        (country, instrument): MatrixStatus(status) for country, instrument, status in cells
    }

    rows = [
        MatrixRow(
            country=country.code,
            name=country.name,
            region=country.region,
            statuses={
                code: status_of.get((country.code, code), MatrixStatus.unknown)
                for code in instrument_codes
            },
        )
        for country in country_rows
    ]
    totals = {code: Counter(row.statuses[code] for row in rows) for code in instrument_codes}
    return RatificationMatrix(
        instruments=[
            MatrixInstrument(
                code=code,
                short_title=found[code].short_title,
                totals=StatusTotals(
                    **{status.value: totals[code][status] for status in MatrixStatus}
                ),
            )
            for code in instrument_codes
        ],
        countries=rows,
    )


# ---- the sample ---------------------------------------------------------------------------


def _sample_rows() -> list[tuple[str, str, RatificationPut]]:
    with RATIFICATIONS_SAMPLE_FILE.open(encoding="utf-8", newline="") as handle:
        return [
            (
                row["country"],
                row["instrument"],
                RatificationPut.model_validate(
                    {
                        "action": row["action"] or None,
                        "signed_on": row["signed_on"] or None,
                        "ratified_on": row["ratified_on"] or None,
                        "registered_on": row["registered_on"] or None,
                        "in_force_on": row["in_force_on"] or None,
                        "status": row["status"],
                        "sources": [row["source"]] if row["source"] else [],
                        "as_of": row["as_of"] or None,
                        "notes": row["notes"] or None,
                        "visibility": Visibility.public,
                    }
                ),
            )
            for row in csv.DictReader(handle)
        ]


def load_sample_ratifications(session: Session) -> int:
    """Record the sample's ratifications whose pair has no record yet, as the secretariat;
    returns how many were added. A pair already recorded (edited, deleted or not) is left alone.

    Each goes through the record lifecycle, so it has its revision, audit entry and change event.
    Countries and instruments must be loaded first.
    """
    # The helper create-admin uses: the first secretariat organisation, created if missing.
    secretariat = identity.secretariat(session)
    actor = Actor(organisation_id=secretariat.id)
    recorded = set(session.exec(select(Ratification.country, Ratification.instrument)).all())
    added = 0
    for country, instrument, data in _sample_rows():
        if (country, instrument) in recorded:
            continue
        ratification_dates_in_order(data)
        row = Ratification(**data.model_dump(), country=country, instrument=instrument)
        records.create(session, RATIFICATION, row, actor=actor)
        added += 1
    return added
