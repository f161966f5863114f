import uuid
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query, Request, Response, status

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.pagination import Page, PageParamsDep
from app.identity.dependencies import ReadPrincipal, ReportPrincipal, WritePrincipal
from app.identity.models import Scope
from app.recommendations import service
from app.recommendations.models import (
    RecommendationCreate,
    RecommendationFilters,
    RecommendationPublic,
    RecommendationUpdate,
    TimelineEntryCreate,
)
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
    prefix="/recommendations", tags=["recommendations"], route_class=record_route(service.KIND)
)

RecordId = Annotated[
    uuid.UUID,
    Path(description="The recommendation's id.", examples=["5d70e6d8-033e-452a-a1bf-f36a6c165897"]),
]


def recommendation_named(record_id: RecordId) -> sa.ColumnElement[bool]:
    return records.record_id_is(service.KIND, record_id)


@router.get(
    "",
    summary="List recommendations",
    responses={**CSV_RESPONSE, **problem_responses(401, 403, 422, 429)},
)
def list_recommendations(
    principal: ReadPrincipal,
    session: SessionDep,
    request: Request,
    response: Response,
    page: PageParamsDep,
    filters: Annotated[RecommendationFilters, Query()],
) -> Page[RecommendationPublic]:
    """Recommendations and where they stand; `overdue=true` lists those past due and open."""
    statement = service.select_recommendations(principal, filters)
    return collection(request, response, session, principal, service.KIND, statement, page)  # type: ignore[no-any-return]


@router.post(
    "",
    summary="Record a recommendation",
    response_model=RecommendationPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 409, 422, 429),
)
def create_recommendation(
    principal: WritePrincipal,
    session: SessionDep,
    request: Request,
    response: Response,
    data: RecommendationCreate,
    _: IdempotencyKeyDep,
) -> Response:
    """Record a recommendation; those of field-visit reports are recorded when published."""
    recommendation = service.create_recommendation(
        session, actor=principal.actor, principal=principal, data=data
    )
    return created(
        request,
        response,
        session,
        principal,
        service.KIND,
        recommendation,
        record_id=recommendation.id,
    )


@router.patch(
    "/{record_id}",
    summary="Update a recommendation",
    response_model=RecommendationPublic,
    responses=problem_responses(401, 403, 404, 409, 412, 422, 429),
)
def update_recommendation(
    principal: WritePrincipal,
    session: SessionDep,
    record_id: RecordId,
    response: Response,
    data: RecommendationUpdate,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Change the fields sent; the status moves through `POST .../updates`."""
    recommendation = records.find(session, service.KIND, principal, recommendation_named(record_id))
    updated = service.update_recommendation(
        session,
        actor=principal.actor,
        principal=principal,
        recommendation=recommendation,
        data=data,
        if_match=if_match,
    )
    return present(response, session, principal, service.KIND, updated)


@router.post(
    "/{record_id}/updates",
    summary="Add an update to a recommendation's timeline",
    response_model=RecommendationPublic,
    responses=problem_responses(401, 403, 404, 409, 412, 422, 429),
)
def add_update(
    principal: ReportPrincipal,
    session: SessionDep,
    record_id: RecordId,
    response: Response,
    data: TimelineEntryCreate,
    _: IdempotencyKeyDep,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """A dated entry (status, note, evidence link); the recommendation takes its status."""
    recommendation = records.find(session, service.KIND, principal, recommendation_named(record_id))
    updated = service.add_to_timeline(
        session,
        actor=principal.actor,
        recommendation=recommendation,
        data=data,
        if_match=if_match,
    )
    return present(response, session, principal, service.KIND, updated)


add_lifecycle_routes(
    router,
    service.KIND,
    locate=recommendation_named,
    write_scopes=[Scope.records_read, Scope.records_write],
    noun="a recommendation",
)
