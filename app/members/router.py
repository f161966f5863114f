import uuid
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query, Request, Response, status

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.pagination import Page, PageParamsDep
from app.identity.dependencies import ReadPrincipal, WritePrincipal
from app.identity.models import Scope
from app.members import service
from app.members.models import (
    ParliamentarianCreate,
    ParliamentarianFilters,
    ParliamentarianPublic,
    ParliamentarianUpdate,
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
    prefix="/parliamentarians", tags=["parliamentarians"], route_class=record_route(service.KIND)
)

RecordId = Annotated[
    uuid.UUID,
    Path(
        description="The parliamentarian's id.", examples=["5d70e6d8-033e-452a-a1bf-f36a6c165897"]
    ),
]


def parliamentarian_named(record_id: RecordId) -> sa.ColumnElement[bool]:
    return records.record_id_is(service.KIND, record_id)


@router.get(
    "",
    summary="List parliamentarians",
    responses={**CSV_RESPONSE, **problem_responses(401, 403, 422, 429)},
)
def list_parliamentarians(
    principal: ReadPrincipal,
    session: SessionDep,
    request: Request,
    response: Response,
    page: PageParamsDep,
    filters: Annotated[ParliamentarianFilters, Query()],
) -> Page[ParliamentarianPublic]:
    """Parliamentarians and their caucus roles over time; contact details for the secretariat."""
    statement = service.select_parliamentarians(principal, filters)
    return collection(request, response, session, principal, service.KIND, statement, page)  # type: ignore[no-any-return]


@router.post(
    "",
    summary="Record a parliamentarian",
    response_model=ParliamentarianPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 409, 422, 429),
)
def create_parliamentarian(
    principal: WritePrincipal,
    session: SessionDep,
    request: Request,
    response: Response,
    data: ParliamentarianCreate,
    _: IdempotencyKeyDep,
) -> Response:
    """Record a parliamentarian and their caucus roles; the caller's organisation owns it."""
    parliamentarian = service.create_parliamentarian(
        session, actor=principal.actor, principal=principal, data=data
    )
    return created(
        request,
        response,
        session,
        principal,
        service.KIND,
        parliamentarian,
        record_id=parliamentarian.id,
    )


@router.patch(
    "/{record_id}",
    summary="Update a parliamentarian",
    response_model=ParliamentarianPublic,
    responses=problem_responses(401, 403, 404, 409, 412, 422, 429),
)
def update_parliamentarian(
    principal: WritePrincipal,
    session: SessionDep,
    record_id: RecordId,
    response: Response,
    data: ParliamentarianUpdate,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Change the fields sent; `memberships` and other lists are replaced whole."""
    parliamentarian = records.find(
        session, service.KIND, principal, parliamentarian_named(record_id)
    )
    updated = service.update_parliamentarian(
        session,
        actor=principal.actor,
        principal=principal,
        parliamentarian=parliamentarian,
        data=data,
        if_match=if_match,
    )
    return present(response, session, principal, service.KIND, updated)


add_lifecycle_routes(
    router,
    service.KIND,
    locate=parliamentarian_named,
    write_scopes=[Scope.records_read, Scope.records_write],
    noun="a parliamentarian",
)
