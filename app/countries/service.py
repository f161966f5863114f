"""Countries: ISO 3166-1 from pycountry, tagged with UN M49 Asian sub-regions."""

import csv
from datetime import datetime
from pathlib import Path
from typing import Any

import pycountry
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import Session, col, func, or_, select
from sqlmodel.sql.expression import SelectOfScalar

from app.audit import service as audit
from app.audit.service import Actor
from app.core.db import utcnow
from app.core.errors import NotFoundError
from app.countries.models import Country, MigrationProfile, Region

# Countries are listed and exported by code.
ORDER_KEY: tuple[InstrumentedAttribute[Any], ...] = (Country.code,)  # type: ignore[assignment]
REGIONS_FILE = Path(__file__).resolve().parents[1] / "reference" / "country-regions.csv"


def _regions() -> dict[str, Region]:
    with REGIONS_FILE.open(encoding="utf-8", newline="") as handle:
        return {row["country"]: Region(row["region"]) for row in csv.DictReader(handle)}


def load_countries(session: Session) -> int:
    """Insert every ISO country, or bring its name and region up to date; the curated
    migration profile is left as it is. Returns how many rows were added or changed."""
    regions = _regions()
    existing = {country.code: country for country in session.exec(select(Country)).all()}
    touched = 0
    for iso in pycountry.countries:
        name, region = iso.name, regions.get(iso.alpha_2, Region.other)
        country = existing.get(iso.alpha_2)
        if country is None:
            session.add(Country(code=iso.alpha_2, name=name, region=region))
        elif (country.name, country.region) != (name, region):
            country.name, country.region, country.updated_at = name, region, utcnow()
            session.add(country)
        else:
            continue
        touched += 1
    return touched


def get_country(session: Session, *, code: str) -> Country:
    country = session.get(Country, code.upper())
    if country is None:
        raise NotFoundError("No country with this ISO 3166-1 alpha-2 code.")
    return country


def select_countries(
    *,
    region: Region | None = None,
    migration_profile: MigrationProfile | None = None,
    q: str | None = None,
    updated_since: datetime | None = None,
) -> SelectOfScalar[Country]:
    statement = select(Country)
    if region is not None:
        statement = statement.where(Country.region == region)
    if migration_profile is not None:
        statement = statement.where(Country.migration_profile == migration_profile)
    if q:
        statement = statement.where(
            or_(
                func.lower(Country.name).contains(q.lower(), autoescape=True),
                col(Country.code) == q.upper(),
            )
        )
    if updated_since is not None:
        statement = statement.where(col(Country.updated_at) >= updated_since)
    return statement


def set_migration_profile(
    session: Session, *, actor: Actor, country: Country, profile: MigrationProfile | None
) -> Country:
    previous = country.migration_profile
    if previous == profile:
        return country
    country.migration_profile = profile
    country.updated_at = utcnow()
    session.add(country)
    audit.record(
        session,
        action="country.updated",
        actor=actor,
        subject_type="country",
        subject_id=country.code,
        details={
            "migration_profile": {
                "from": previous.value if previous else None,
                "to": profile.value if profile else None,
            }
        },
    )
    session.commit()
    return country
