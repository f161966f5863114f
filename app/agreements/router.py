import uuid
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query, Request, Response, status

from app.agreements import service
from app.agreements.models import (
    AgreementCreate,
    AgreementFilters,
    AgreementPublic,
    AgreementUpdate,
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
    prefix="/agreements", tags=["agreements"], route_class=record_route(service.KIND)
)

RecordId = Annotated[
    uuid.UUID,
    Path(description="The agreement's id.", examples=["5d70e6d8-033e-452a-a1bf-f36a6c165897"]),
]


def agreement_named(record_id: RecordId) -> sa.ColumnElement[bool]:
    return records.record_id_is(service.KIND, record_id)


@router.get(
    "",
    summary="List agreements",
    responses={**CSV_RESPONSE, **problem_responses(401, 403, 422, 429)},
)
def list_agreements(
    principal: ReadPrincipal,
    session: SessionDep,
    request: Request,
    response: Response,
    page: PageParamsDep,
    filters: Annotated[AgreementFilters, Query()],
) -> Page[AgreementPublic]:
    """MOUs, bilateral and multilateral agreements and regional frameworks, oldest first."""
    statement, seek = service.select_listed(session, principal, filters, page)
    return collection(  # type: ignore[no-any-return]
        request, response, session, principal, service.KIND, statement, page, seek=seek
    )


@router.post(
    "",
    summary="Record an agreement",
    response_model=AgreementPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 409, 422, 429),
)
def create_agreement(
    principal: WritePrincipal,
    session: SessionDep,
    request: Request,
    response: Response,
    data: AgreementCreate,
    _: IdempotencyKeyDep,
) -> Response:
    """Record an MOU or agreement with its parties; the caller's organisation owns it."""
    agreement = service.create_agreement(session, actor=principal.actor, data=data)
    return created(
        request, response, session, principal, service.KIND, agreement, record_id=agreement.id
    )


@router.patch(
    "/{record_id}",
    summary="Update an agreement",
    response_model=AgreementPublic,
    responses=problem_responses(401, 403, 404, 409, 412, 422, 429),
)
def update_agreement(
    principal: WritePrincipal,
    session: SessionDep,
    record_id: RecordId,
    response: Response,
    data: AgreementUpdate,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Change the fields sent; `parties` and other lists are replaced whole."""
    agreement = records.find(session, service.KIND, principal, agreement_named(record_id))
    updated = service.update_agreement(
        session, actor=principal.actor, agreement=agreement, data=data, if_match=if_match
    )
    return present(response, session, principal, service.KIND, updated)


add_lifecycle_routes(
    router,
    service.KIND,
    locate=agreement_named,
    write_scopes=[Scope.records_read, Scope.records_write],
    noun="an agreement",
)
