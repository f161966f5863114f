"""Field-visit reports: who may write them at each step of their workflow, who sees the
testimonies they hold, and the recommendations their publication turns into records.

A report is a draft of its organisation until it is published: besides its authors, only the
secretariat and the editors who review it can find it. Testimonies are personal data: the
owning organisation and the secretariat alone ever read them, and one whose consent is withdrawn
only the secretariat.
"""

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, func, or_, select
from sqlmodel.sql.expression import SelectOfScalar

from app.agreements import service as agreements
from app.audit.service import Actor
from app.core.db import utcnow
from app.core.errors import InvalidInputError, PermissionDeniedError, TransitionError
from app.field_visits.models import (
    Consent,
    FieldVisit,
    FieldVisitCreate,
    FieldVisitFilters,
    FieldVisitPublic,
    FieldVisitUpdate,
    ReportStatus,
    TestimonyIn,
)
from app.identity import service as identity
from app.identity.models import Scope
from app.identity.service import Principal
from app.laws import service as laws
from app.members import service as members
from app.recommendations import service as recommendations
from app.records import service as records
from app.records.changes import dates_in_order, refuse_nulls, unique_lists
from app.records.links import LinkField, check_links, hide_all_unseen
from app.records.models import RecordAction, Visibility
from app.records.service import RecordKind
from app.search.models import Audience, SearchPart

LINKS = (
    LinkField("delegation", members.KIND),
    LinkField("agreement_ids", agreements.KIND),
    LinkField("law_ids", laws.KIND),
)
DATE_ORDER = ("start_date", "end_date")
EDITABLE = frozenset({ReportStatus.draft, ReportStatus.returned})


# ---- who may do what ------------------------------------------------------------------------


def reviews(principal: Principal | None) -> bool:
    """Editors and admins (and the secretariat's scripts) review, return and publish reports."""
    return principal is None or Scope.records_write in principal.scopes


def _authors(principal: Principal | None, report: FieldVisit) -> bool:
    return principal is not None and principal.organisation.id == report.organisation_id


def _reads_testimonies(principal: Principal | None, organisation_id: object) -> bool:
    return (
        principal is None
        or principal.is_secretariat
        or principal.organisation.id == (uuid.UUID(str(organisation_id)))
    )


def allowed_next(principal: Principal | None, report: FieldVisit) -> list[str]:
    """The steps of the workflow this caller may take with the report as it stands."""
    steps = []
    if report.status in EDITABLE and (_authors(principal, report) or reviews(principal)):
        steps += ["edit", "submit"]
    if report.status is ReportStatus.submitted and reviews(principal):
        steps += ["edit", "publish", "return"]
    if report.status is ReportStatus.published and reviews(principal):
        steps += ["correct"]
    return steps


def _refuse(detail: str, principal: Principal | None, report: FieldVisit) -> TransitionError:
    steps = allowed_next(principal, report)
    now = f" You may now: {', '.join(steps)}." if steps else " There is nothing you may do now."
    return TransitionError(f"{detail}{now}", allowed_next=steps)


def _unpublished_findable(principal: Principal) -> sa.ColumnElement[bool]:
    """Reports not yet published are found by their authors and their reviewers alone."""
    if principal.is_secretariat or reviews(principal):
        return sa.true()
    return or_(
        col(FieldVisit.status) == ReportStatus.published,
        col(FieldVisit.organisation_id) == principal.organisation.id,
    )


def _given_now(session: Session, report_ids: set[str]) -> set[str]:
    """Ids of the testimonies the reports hold now with consent given."""
    rows = session.exec(
        select(FieldVisit.testimonies).where(
            col(FieldVisit.id).in_([uuid.UUID(report_id) for report_id in report_ids])
        )
    )
    return {
        testimony["id"]
        for testimonies in rows
        for testimony in testimonies
        if testimony["consent"] == Consent.given
    }


def _present(
    session: Session, principal: Principal, reports: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Testimonies for the owning organisation and the secretariat only; links the caller may
    see only. The owner's view of an old revision keeps only the testimonies still in the
    report with consent given: a withdrawal, or a removal, reaches back into the history."""
    reports = hide_all_unseen(session, principal, reports, LINKS)
    if principal.is_secretariat:
        return reports
    owned = {
        report["id"]
        for report in reports
        if _reads_testimonies(principal, report["organisation_id"])
    }
    given = _given_now(session, owned) if owned else set()
    return [
        {
            **report,
            "testimonies": [
                testimony for testimony in report["testimonies"] if testimony["id"] in given
            ]
            if report["id"] in owned
            else None,
        }
        for report in reports
    ]


def _shown_as(report: FieldVisit) -> Visibility:
    """Until published a report is its authors' and reviewers' business alone."""
    if report.status is ReportStatus.published:
        return report.visibility
    return Visibility.restricted


def _revision_shown(principal: Principal, snapshot: dict[str, Any]) -> bool:
    """The versions before publication are shown to those who could find the report then."""
    return (
        snapshot["status"] == ReportStatus.published
        or principal.is_secretariat
        or reviews(principal)
        or str(principal.organisation.id) == snapshot["organisation_id"]
    )


def _searched(report: FieldVisit) -> list[SearchPart]:
    """The report, and each testimony apart: found only by those who may read it."""
    made = [item["text"] for item in report.recommendations]
    parts = [
        SearchPart(
            title=report.title,
            names=[report.title],
            texts=[report.findings, *report.places, *made],
        )
    ]
    for testimony in report.testimonies:
        withdrawn = testimony["consent"] == Consent.withdrawn
        parts.append(
            SearchPart(
                title=report.title,
                texts=[testimony["text"]],
                part=f"testimony:{testimony['id']}",
                audience=Audience.secretariat if withdrawn else Audience.owner,
            )
        )
    return parts


KIND = RecordKind(
    name="field_visit",
    model=FieldVisit,
    public_model=FieldVisitPublic,
    redact=_present,
    restrict=_unpublished_findable,
    shown_as=_shown_as,
    revision_shown=_revision_shown,
    search=_searched,
)


# ---- reading --------------------------------------------------------------------------------


def select_field_visits(
    principal: Principal, filters: FieldVisitFilters
) -> SelectOfScalar[FieldVisit]:
    statement = records.select_visible(KIND, principal, filters)
    if filters.country is not None:
        statement = statement.where(FieldVisit.country == filters.country)
    if filters.origin is not None:
        # A community holds only a sector (a lower-case word), a count and upper-case country
        # codes, so the quoted code is found in the JSON text only as an origin country.
        communities = sa.cast(col(FieldVisit.communities), sa.Text)
        statement = statement.where(communities.contains(f'"{filters.origin.value}"'))
    if filters.status is not None:
        statement = statement.where(FieldVisit.status == filters.status)
    if filters.q:
        # Testimonies are never searched: a match would tell what they say.
        needle = filters.q.lower()
        statement = statement.where(
            or_(
                func.lower(FieldVisit.title).contains(needle, autoescape=True),
                func.lower(col(FieldVisit.findings)).contains(needle, autoescape=True),
            )
        )
    return statement


# ---- writing --------------------------------------------------------------------------------


def _as_json(items: Sequence[SQLModel]) -> list[dict[str, Any]]:
    return [item.model_dump(mode="json") for item in items]


def _testimonies(
    principal: Principal | None,
    sent: list[TestimonyIn],
    stored: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """The testimonies to keep: those sent (an `id` names one to change), and those stored
    that the caller was never shown, since its list cannot have dropped them."""
    shown = [
        testimony
        for testimony in stored
        if principal is None or principal.is_secretariat or testimony["consent"] == Consent.given
    ]
    known = {testimony["id"] for testimony in shown}
    kept = []
    for index, testimony in enumerate(sent):
        if testimony.id is not None and str(testimony.id) not in known:
            raise InvalidInputError(
                f"testimonies[{index}]: no testimony of this report has the id {testimony.id}; "
                "leave `id` out to add one.",
                field="testimonies",
            )
        kept.append({**testimony.model_dump(mode="json"), "id": str(testimony.id or uuid.uuid4())})
    hidden = [testimony for testimony in stored if testimony not in shown]
    return kept + hidden


def _testimonies_written_by(
    principal: Principal | None, organisation_id: object, testimonies: Any
) -> bool:
    """Whether the caller's `testimonies` are to be written: only those who read them write
    them, and a null from anyone else is what they were shown."""
    if _reads_testimonies(principal, organisation_id):
        return True
    if testimonies is not None:
        raise PermissionDeniedError(
            "Only the organisation that owns the report and the secretariat record testimonies."
        )
    return False


def _checked(
    session: Session,
    principal: Principal | None,
    values: dict[str, Any],
    stored: FieldVisit | None = None,
) -> dict[str, Any]:
    """The values to store: dates in order, links checked, lists kept once each."""
    dates_in_order(values, DATE_ORDER, stored=stored)
    changes = dict(values)
    changes.update(check_links(session, principal, values, LINKS, stored=stored))
    if "partner_organisation_ids" in values:
        changes["partner_organisation_ids"] = identity.known_organisation_ids(
            session, values["partner_organisation_ids"]
        )
    unique_lists(changes, "places", "attachments")
    return changes


def create_field_visit(
    session: Session, *, actor: Actor, principal: Principal | None = None, data: FieldVisitCreate
) -> FieldVisit:
    """Start a report as a draft of the caller's organisation."""
    values = data.model_dump(exclude={"testimonies", "communities", "recommendations"})
    report = FieldVisit(
        **_checked(session, principal, values),
        communities=_as_json(data.communities),
        recommendations=_as_json(data.recommendations),
        testimonies=_testimonies(principal, data.testimonies, []),
        status=ReportStatus.draft,
    )
    return records.create(session, KIND, report, actor=actor)


def update_field_visit(
    session: Session,
    *,
    actor: Actor,
    principal: Principal | None,
    report: FieldVisit,
    data: FieldVisitUpdate,
    if_match: str | None,
) -> FieldVisit:
    """Change the fields sent. Authors edit drafts (and returned reports); editors edit any
    report, and correct published ones."""
    if not {"edit", "correct"} & set(allowed_next(principal, report)):
        raise _refuse(
            f"The report is {report.status.value}: only an editor changes it now.",
            principal,
            report,
        )
    changes = data.model_dump(exclude_unset=True)
    refuse_nulls(
        changes,
        "title",
        "country",
        "start_date",
        "places",
        "attachments",
        "communities",
        "delegation",
        "partner_organisation_ids",
        "agreement_ids",
        "law_ids",
        "recommendations",
        "visibility",
    )
    if data.communities is not None:
        changes["communities"] = _as_json(data.communities)
    if data.recommendations is not None:
        changes["recommendations"] = _as_json(data.recommendations)
    if "recommendations" in changes and report.status is ReportStatus.published:
        raise _refuse(
            "The report's recommendations became records of their own when it was published: "
            "correct them at /api/v1/recommendations.",
            principal,
            report,
        )
    if "testimonies" in changes:
        if _testimonies_written_by(principal, report.organisation_id, data.testimonies):
            changes["testimonies"] = _testimonies(
                principal, data.testimonies or [], report.testimonies
            )
        else:
            del changes["testimonies"]
    changes = _checked(session, principal, changes, stored=report)
    return records.update(session, KIND, report, changes, actor=actor, if_match=if_match)


def submit(
    session: Session,
    *,
    actor: Actor,
    principal: Principal | None,
    report: FieldVisit,
    if_match: str | None,
) -> FieldVisit:
    """Hand a draft (or a returned report) to the secretariat for review."""
    if "submit" not in allowed_next(principal, report):
        raise _refuse(f"A {report.status.value} report cannot be submitted.", principal, report)
    changes = {"status": ReportStatus.submitted, "submitted_at": utcnow()}
    return records.update(session, KIND, report, changes, actor=actor, if_match=if_match)


def return_to_authors(
    session: Session,
    *,
    actor: Actor,
    principal: Principal | None,
    report: FieldVisit,
    reason: str,
    if_match: str | None,
) -> FieldVisit:
    """Send a submitted report back to its authors, saying what to change."""
    if "return" not in allowed_next(principal, report):
        raise _refuse(_not_under_review("returned", principal, report), principal, report)
    changes = {"status": ReportStatus.returned, "returned_reason": reason}
    return records.update(session, KIND, report, changes, actor=actor, if_match=if_match)


def publish(
    session: Session,
    *,
    actor: Actor,
    principal: Principal | None,
    report: FieldVisit,
    if_match: str | None,
) -> FieldVisit:
    """Publish a submitted report; each recommendation it makes becomes a record of its own,
    in the same transaction."""
    if "publish" not in allowed_next(principal, report):
        raise _refuse(_not_under_review("published", principal, report), principal, report)
    records.check_if_match(report, if_match)
    made = recommendations.from_report(session, report, actor=actor)
    changes = {
        "status": ReportStatus.published,
        "published_at": utcnow(),
        "recommendations": [
            {**item, "recommendation_id": str(recommendation.id)}
            for item, recommendation in zip(report.recommendations, made, strict=True)
        ],
    }
    return records.update(
        session,
        KIND,
        report,
        changes,
        actor=actor,
        if_match=if_match,
        action=RecordAction.published,
    )


def _not_under_review(done: str, principal: Principal | None, report: FieldVisit) -> str:
    if not reviews(principal):
        return f"Only an editor or the secretariat's admins have a report {done}."
    if report.status is ReportStatus.draft:
        return f"The report is a draft never submitted: it cannot be {done}."
    if report.status is ReportStatus.returned:
        return f"The report was returned to its authors: it cannot be {done} until resubmitted."
    return f"The report is {report.status.value}: only a submitted report can be {done}."
