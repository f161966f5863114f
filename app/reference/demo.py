"""Demo data: the caucus meetings its founding statement names, and a small set of fictional
records to explore the API with. Never loaded in production (the command refuses).

Every fictional record's name or title starts with `[DEMO]`, so no one takes it for a fact.
Each part is written through the record lifecycle and skipped when already there, so running
the command again adds nothing.
"""

import csv
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, col, select

from app.activities import service as activities
from app.activities.models import Activity, ActivityCreate, ActivityKind
from app.agreements import service as agreements
from app.agreements.models import AgreementCreate
from app.audit.service import Actor
from app.field_visits import service as field_visits
from app.field_visits.models import FieldVisitCreate
from app.identity import service as identity
from app.identity.models import Organisation, OrganisationCreate, OrganisationKind
from app.laws import service as laws
from app.laws.models import LawCreate
from app.members import service as members
from app.members.models import Parliamentarian, ParliamentarianCreate
from app.recommendations import service as recommendations
from app.recommendations.models import Recommendation, TimelineEntryCreate

MEETINGS_FILE = Path(__file__).resolve().parent / "caucus-meetings.csv"
DEMO = "[DEMO]"
DEMO_PARTNER = f"{DEMO} Migrant Workers' Network"


@dataclass(frozen=True)
class DemoResult:
    name: str
    records: int


def load_demo(session: Session) -> list[DemoResult]:
    return [
        DemoResult("caucus meetings", load_caucus_meetings(session)),
        DemoResult("fictional records", load_fictional_records(session)),
    ]


def load_caucus_meetings(session: Session) -> int:
    """One public `caucus_meeting` activity per meeting of the founding statement; returns how
    many were added. A meeting with no known year is recorded without one."""
    actor = Actor(organisation_id=identity.secretariat(session).id)
    recorded = set(
        session.exec(
            select(Activity.city, Activity.country, Activity.year).where(
                Activity.kind == ActivityKind.caucus_meeting
            )
        )
    )
    added = 0
    with MEETINGS_FILE.open(encoding="utf-8", newline="") as meetings:
        for row in csv.DictReader(meetings):
            year = int(row["year"]) if row["year"] else None
            if (row["city"], row["country"], year) in recorded:
                continue
            data = ActivityCreate.model_validate(
                {
                    "kind": ActivityKind.caucus_meeting,
                    "title": f"Meeting of parliamentarians on labour migration in {row['city']}",
                    "year": year,
                    "country": row["country"],
                    "city": row["city"],
                    "summary": row["note"][:1].upper() + row["note"][1:] + ".",
                    "visibility": "public",
                }
            )
            activities.create_activity(session, actor=actor, data=data)
            added += 1
    return added


def _demo_partner(session: Session) -> Organisation:
    found = session.exec(select(Organisation).where(Organisation.name == DEMO_PARTNER)).first()
    if found is not None:
        return found
    return identity.create_organisation(
        session,
        actor=None,
        data=OrganisationCreate.model_validate(
            {"name": DEMO_PARTNER, "kind": OrganisationKind.cso, "country": "MY"}
        ),
    )


def load_fictional_records(session: Session) -> int:
    """Two parliamentarians, an MOU, a bill, a seminar, a published field-visit report with
    its recommendation and one update of it; returns how many records were added (none when
    the set is there already)."""
    demo_name = col(Parliamentarian.name).startswith(DEMO)
    if session.exec(select(Parliamentarian.id).where(demo_name)).first() is not None:
        return 0
    secretariat = Actor(organisation_id=identity.secretariat(session).id)
    partner_organisation = _demo_partner(session)
    partner = Actor(organisation_id=partner_organisation.id)
    public = {"visibility": "public"}

    ana = members.create_parliamentarian(
        session,
        actor=secretariat,
        principal=None,
        data=ParliamentarianCreate.model_validate(
            {
                **public,
                "name": f"{DEMO} Ana Reyes",
                "country": "PH",
                "parliament": "House of Representatives of the Philippines",
                "chamber": "lower_house",
                "memberships": [{"role": "convenor", "started_on": "2024-01-15"}],
            }
        ),
    )
    wei_ling = members.create_parliamentarian(
        session,
        actor=secretariat,
        principal=None,
        data=ParliamentarianCreate.model_validate(
            {
                **public,
                "name": f"{DEMO} Lim Wei Ling",
                "country": "MY",
                "parliament": "Dewan Rakyat",
                "chamber": "lower_house",
                "memberships": [{"role": "focal_point", "started_on": "2025-03-01"}],
            }
        ),
    )
    mou = agreements.create_agreement(
        session,
        actor=secretariat,
        data=AgreementCreate.model_validate(
            {
                **public,
                "title": f"{DEMO} MOU on the recruitment of domestic workers",
                "kind": "mou",
                "status": "in_force",
                "signed_on": "2025-05-01",
                "expires_on": "2030-04-30",
                "sectors": ["domestic_work"],
                "parties": [
                    {"country": "PH", "role": "origin"},
                    {"country": "MY", "role": "destination"},
                ],
            }
        ),
    )
    bill = laws.create_law(
        session,
        actor=secretariat,
        data=LawCreate.model_validate(
            {
                **public,
                "country": "MY",
                "title": f"{DEMO} Domestic Workers (Protection) Bill",
                "kind": "bill",
                "status": "bill",
                "instrument_codes": ["C189"],
                "agreement_ids": [str(mou.id)],
            }
        ),
    )
    seminar = activities.create_activity(
        session,
        actor=secretariat,
        data=ActivityCreate.model_validate(
            {
                **public,
                "kind": "seminar",
                "title": f"{DEMO} Seminar with trade unions on the rights of domestic workers",
                "start_date": "2026-03-09",
                "country": "MY",
                "city": "Kuala Lumpur",
                "parliamentarian_ids": [str(ana.id), str(wei_ling.id)],
                "partner_organisation_ids": [str(partner_organisation.id)],
                "agreement_ids": [str(mou.id)],
                "law_ids": [str(bill.id)],
                "instrument_codes": ["C189"],
                "outcomes": ["Members agreed to ask for a hearing on the bill."],
            }
        ),
    )
    report = field_visits.create_field_visit(
        session,
        actor=partner,
        data=FieldVisitCreate.model_validate(
            {
                **public,
                "title": f"{DEMO} Visit to domestic workers' shelters in Kuala Lumpur",
                "country": "MY",
                "start_date": "2026-03-10",
                "end_date": "2026-03-11",
                "places": ["Kuala Lumpur"],
                "communities": [
                    {"sector": "domestic_work", "origin_countries": ["PH", "ID"], "workers_met": 14}
                ],
                "delegation": [str(ana.id), str(wei_ling.id)],
                "agreement_ids": [str(mou.id)],
                "law_ids": [str(bill.id)],
                "findings": "Fictional findings: workers reported withheld passports.",
                "testimonies": [
                    {
                        "pseudonym": "Worker A",
                        "consent": "given",
                        "text": "A fictional testimony, for the demo only.",
                    }
                ],
                "recommendations": [
                    {
                        "text": "Make passport retention by employers an offence.",
                        "addressed_to": "Ministry of Human Resources",
                        "priority": "high",
                        "due_on": "2026-12-31",
                    }
                ],
            }
        ),
    )
    field_visits.submit(session, actor=partner, principal=None, report=report, if_match=None)
    field_visits.publish(session, actor=secretariat, principal=None, report=report, if_match=None)
    recommendation_id = uuid.UUID(report.recommendations[0]["recommendation_id"])
    recommendation = session.get(Recommendation, recommendation_id)
    assert recommendation is not None  # noqa: S101 - publishing has just made it
    recommendations.add_to_timeline(
        session,
        actor=secretariat,
        recommendation=recommendation,
        data=TimelineEntryCreate.model_validate(
            {
                "occurred_on": "2026-04-02",
                "status": "in_progress",
                "note": "Fictional: the ministry opened a consultation.",
            }
        ),
        if_match=None,
    )
    return len([ana, wei_ling, mou, bill, seminar, report, recommendation])
