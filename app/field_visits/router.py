import uuid
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query, Request, Response, status
from sqlmodel import Session

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.pagination import Page, PageParamsDep
from app.field_visits import service
from app.field_visits.models import (
    FieldVisit,
    FieldVisitCreate,
    FieldVisitFilters,
    FieldVisitPublic,
    FieldVisitUpdate,
    ReturnRequest,
)
from app.identity.dependencies import ReadPrincipal, ReportPrincipal
from app.identity.models import Scope
from app.identity.service import Principal
from app.records import service as records
from app.records.export import CSV_RESPONSE
from app.records.http import (
    IdempotencyKeyDep,
    IfMatch,
    add_lifecycle_routes,
    collection,
    created,
    present,
    record_route,
)

router = APIRouter(
    prefix="/field-visits", tags=["field-visits"], route_class=record_route(service.KIND)
)

RecordId = Annotated[
    uuid.UUID,
    Path(description="The report's id.", examples=["5d70e6d8-033e-452a-a1bf-f36a6c165897"]),
]

STEP_PROBLEMS = problem_responses(401, 403, 404, 409, 412, 422, 429)


def report_named(record_id: RecordId) -> sa.ColumnElement[bool]:
    return records.record_id_is(service.KIND, record_id)


def _find(session: Session, principal: Principal, record_id: uuid.UUID) -> FieldVisit:
    return records.find(session, service.KIND, principal, report_named(record_id))


@router.get(
    "",
    summary="List field-visit reports",
    responses={**CSV_RESPONSE, **problem_responses(401, 403, 422, 429)},
)
def list_field_visits(
    principal: ReadPrincipal,
    session: SessionDep,
    request: Request,
    response: Response,
    page: PageParamsDep,
    filters: Annotated[FieldVisitFilters, Query()],
) -> Page[FieldVisitPublic]:
    """Published reports, and the unpublished ones of your organisation (all, for reviewers)."""
    statement = service.select_field_visits(principal, filters)
    return collection(request, response, session, principal, service.KIND, statement, page)  # type: ignore[no-any-return]


@router.post(
    "",
    summary="Start a field-visit report",
    response_model=FieldVisitPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 409, 422, 429),
)
def create_field_visit(
    principal: ReportPrincipal,
    session: SessionDep,
    request: Request,
    response: Response,
    data: FieldVisitCreate,
    _: IdempotencyKeyDep,
) -> Response:
    """Start a report as a draft owned by your organisation; submit it when it is ready."""
    report = service.create_field_visit(
        session, actor=principal.actor, principal=principal, data=data
    )
    return created(request, response, session, principal, service.KIND, report, record_id=report.id)


@router.patch(
    "/{record_id}",
    summary="Update a field-visit report",
    response_model=FieldVisitPublic,
    responses=STEP_PROBLEMS,
)
def update_field_visit(
    principal: ReportPrincipal,
    session: SessionDep,
    record_id: RecordId,
    response: Response,
    data: FieldVisitUpdate,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Authors change their drafts and returned reports; editors any report, and correct
    published ones. Lists are replaced whole."""
    updated = service.update_field_visit(
        session,
        actor=principal.actor,
        principal=principal,
        report=_find(session, principal, record_id),
        data=data,
        if_match=if_match,
    )
    return present(response, session, principal, service.KIND, updated)


@router.post(
    "/{record_id}/submit",
    summary="Submit a field-visit report for review",
    response_model=FieldVisitPublic,
    responses=STEP_PROBLEMS,
)
def submit_field_visit(
    principal: ReportPrincipal,
    session: SessionDep,
    record_id: RecordId,
    response: Response,
    _: IdempotencyKeyDep,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """A draft or returned report goes to the secretariat for review."""
    report = _find(session, principal, record_id)
    submitted = service.submit(
        session, actor=principal.actor, principal=principal, report=report, if_match=if_match
    )
    return present(response, session, principal, service.KIND, submitted)


@router.post(
    "/{record_id}/publish",
    summary="Publish a field-visit report",
    response_model=FieldVisitPublic,
    responses=STEP_PROBLEMS,
)
def publish_field_visit(
    principal: ReportPrincipal,
    session: SessionDep,
    record_id: RecordId,
    response: Response,
    _: IdempotencyKeyDep,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Editors and admins publish a submitted report; its recommendations become records."""
    report = _find(session, principal, record_id)
    published = service.publish(
        session, actor=principal.actor, principal=principal, report=report, if_match=if_match
    )
    return present(response, session, principal, service.KIND, published)


@router.post(
    "/{record_id}/return",
    summary="Return a field-visit report to its authors",
    response_model=FieldVisitPublic,
    responses=STEP_PROBLEMS,
)
def return_field_visit(
    principal: ReportPrincipal,
    session: SessionDep,
    record_id: RecordId,
    response: Response,
    data: ReturnRequest,
    _: IdempotencyKeyDep,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Editors and admins send a submitted report back, saying what to change."""
    report = _find(session, principal, record_id)
    returned = service.return_to_authors(
        session,
        actor=principal.actor,
        principal=principal,
        report=report,
        reason=data.reason,
        if_match=if_match,
    )
    return present(response, session, principal, service.KIND, returned)


add_lifecycle_routes(
    router,
    service.KIND,
    locate=report_named,
    write_scopes=[Scope.records_read, Scope.records_write],
    noun="a field-visit report",
)
