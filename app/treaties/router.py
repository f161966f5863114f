from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.pagination import Page, PageParamsDep, page_response
from app.core.schemas import SearchText
from app.identity.dependencies import AdminPrincipal, AuthenticatedRoute, ReadPrincipal
from app.records.http import RecordRoute
from app.treaties import service
from app.treaties.models import (
    Instrument,
    InstrumentBody,
    InstrumentCategory,
    InstrumentCreate,
    InstrumentPublic,
    InstrumentUpdate,
)

instruments_router = APIRouter(
    prefix="/instruments", tags=["instruments"], route_class=AuthenticatedRoute
)
ratifications_router = APIRouter(
    prefix="/ratifications", tags=["ratifications"], route_class=RecordRoute
)


def instrument_by_code(
    session: SessionDep,
    code: Annotated[str, Path(pattern=r"^[A-Za-z][A-Za-z0-9-]{1,15}$", examples=["C189"])],
) -> Instrument:
    return service.get_instrument(session, code=code)


InstrumentDep = Annotated[Instrument, Depends(instrument_by_code)]


@instruments_router.get(
    "", summary="List instruments", responses=problem_responses(401, 403, 422, 429)
)
def list_instruments(
    _: ReadPrincipal,
    session: SessionDep,
    request: Request,
    response: Response,
    page: PageParamsDep,
    body: InstrumentBody | None = None,
    category: InstrumentCategory | None = None,
    named_in_founding_statement: bool | None = None,
    q: Annotated[SearchText | None, Query(description="Part of the title, or the code.")] = None,
) -> Page[InstrumentPublic]:
    """ILO and UN instruments the caucus follows, by code."""
    result = service.list_instruments(
        session,
        params=page,
        body=body,
        category=category,
        named_in_founding_statement=named_in_founding_statement,
        q=q,
    )
    return page_response(request, response, result, InstrumentPublic)


@instruments_router.post(
    "",
    summary="Add an instrument",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 409, 422, 429),
)
def create_instrument(
    principal: AdminPrincipal, session: SessionDep, data: InstrumentCreate
) -> InstrumentPublic:
    """Add an instrument beyond the six of the founding statement, e.g. C181 or C190 (admin)."""
    instrument = service.create_instrument(session, actor=principal.actor, data=data)
    return InstrumentPublic.model_validate(instrument)


@instruments_router.get(
    "/{code}", summary="Read an instrument", responses=problem_responses(401, 403, 404, 422, 429)
)
def read_instrument(_: ReadPrincipal, instrument: InstrumentDep) -> InstrumentPublic:
    """One instrument."""
    return InstrumentPublic.model_validate(instrument)


@instruments_router.patch(
    "/{code}",
    summary="Update an instrument",
    responses=problem_responses(401, 403, 404, 422, 429),
)
def update_instrument(
    principal: AdminPrincipal,
    session: SessionDep,
    instrument: InstrumentDep,
    data: InstrumentUpdate,
) -> InstrumentPublic:
    """Correct an instrument's details (admin)."""
    updated = service.update_instrument(
        session, actor=principal.actor, instrument=instrument, data=data
    )
    return InstrumentPublic.model_validate(updated)
