import uuid
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query, Request, Response, status

from app.activities import service
from app.activities.models import (
    ActivityCreate,
    ActivityFilters,
    ActivityPublic,
    ActivityUpdate,
)
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.pagination import Page, PageParamsDep
from app.identity.dependencies import ReadPrincipal, WritePrincipal
from app.identity.models import Scope
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
    prefix="/activities", tags=["activities"], route_class=record_route(service.KIND)
)

RecordId = Annotated[
    uuid.UUID,
    Path(description="The activity's id.", examples=["5d70e6d8-033e-452a-a1bf-f36a6c165897"]),
]


def activity_named(record_id: RecordId) -> sa.ColumnElement[bool]:
    return records.record_id_is(service.KIND, record_id)


@router.get(
    "",
    summary="List activities",
    responses={**CSV_RESPONSE, **problem_responses(401, 403, 422, 429)},
)
def list_activities(
    principal: ReadPrincipal,
    session: SessionDep,
    request: Request,
    response: Response,
    page: PageParamsDep,
    filters: Annotated[ActivityFilters, Query()],
) -> Page[ActivityPublic]:
    """Caucus meetings, seminars, exchange visits, hearings and debates, newest recorded last."""
    statement = service.select_activities(principal, filters)
    return collection(request, response, session, principal, service.KIND, statement, page)  # type: ignore[no-any-return]


@router.post(
    "",
    summary="Record an activity",
    response_model=ActivityPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 409, 422, 429),
)
def create_activity(
    principal: WritePrincipal,
    session: SessionDep,
    request: Request,
    response: Response,
    data: ActivityCreate,
    _: IdempotencyKeyDep,
) -> Response:
    """Record an activity and who took part; the caller's organisation owns it."""
    activity = service.create_activity(
        session, actor=principal.actor, principal=principal, data=data
    )
    return created(
        request,
        response,
        session,
        principal,
        service.KIND,
        activity,
        record_id=activity.id,
    )


@router.patch(
    "/{record_id}",
    summary="Update an activity",
    response_model=ActivityPublic,
    responses=problem_responses(401, 403, 404, 409, 412, 422, 429),
)
def update_activity(
    principal: WritePrincipal,
    session: SessionDep,
    record_id: RecordId,
    response: Response,
    data: ActivityUpdate,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Change the fields sent; lists are replaced whole."""
    activity = records.find(session, service.KIND, principal, activity_named(record_id))
    updated = service.update_activity(
        session,
        actor=principal.actor,
        principal=principal,
        activity=activity,
        data=data,
        if_match=if_match,
    )
    return present(response, session, principal, service.KIND, updated)


add_lifecycle_routes(
    router,
    service.KIND,
    locate=activity_named,
    write_scopes=[Scope.records_read, Scope.records_write],
    noun="an activity",
)
