import uuid
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query, Request, Response, status

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.pagination import Page, PageParamsDep
from app.identity.dependencies import ReadPrincipal, WritePrincipal
from app.identity.models import Scope
from app.laws import service
from app.laws.models import LawCreate, LawFilters, LawPublic, LawUpdate
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

router = APIRouter(prefix="/laws", tags=["laws"], route_class=record_route(service.KIND))

RecordId = Annotated[
    uuid.UUID,
    Path(description="The law's id.", examples=["0f8a4c1e-6b2d-4e57-9a3c-2d1e7f6b5a40"]),
]


def law_named(record_id: RecordId) -> sa.ColumnElement[bool]:
    return records.record_id_is(service.KIND, record_id)


@router.get(
    "",
    summary="List laws",
    responses={**CSV_RESPONSE, **problem_responses(401, 403, 422, 429)},
)
def list_laws(
    principal: ReadPrincipal,
    session: SessionDep,
    request: Request,
    response: Response,
    page: PageParamsDep,
    filters: Annotated[LawFilters, Query()],
) -> Page[LawPublic]:
    """National laws, labour codes, regulations, policies and bills, oldest first."""
    statement = service.select_laws(principal, filters)
    return collection(request, response, session, principal, service.KIND, statement, page)  # type: ignore[no-any-return]


@router.post(
    "",
    summary="Record a law",
    response_model=LawPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 409, 422, 429),
)
def create_law(
    principal: WritePrincipal,
    session: SessionDep,
    request: Request,
    response: Response,
    data: LawCreate,
    _: IdempotencyKeyDep,
) -> Response:
    """Record a law with its instruments and agreements; the caller's organisation owns it."""
    law = service.create_law(session, actor=principal.actor, principal=principal, data=data)
    return created(request, response, session, principal, service.KIND, law, record_id=law.id)


@router.patch(
    "/{record_id}",
    summary="Update a law",
    response_model=LawPublic,
    responses=problem_responses(401, 403, 404, 409, 412, 422, 429),
)
def update_law(
    principal: WritePrincipal,
    session: SessionDep,
    record_id: RecordId,
    response: Response,
    data: LawUpdate,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Change the fields sent; `instrument_codes` and other lists are replaced whole."""
    law = records.find(session, service.KIND, principal, law_named(record_id))
    updated = service.update_law(
        session,
        actor=principal.actor,
        principal=principal,
        law=law,
        data=data,
        if_match=if_match,
    )
    return present(response, session, principal, service.KIND, updated)


add_lifecycle_routes(
    router,
    service.KIND,
    locate=law_named,
    write_scopes=[Scope.records_read, Scope.records_write],
    noun="a law",
)
