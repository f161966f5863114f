from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.pagination import Page, PageParamsDep
from app.core.schemas import SearchText
from app.countries.models import Region
from app.identity.dependencies import (
    AdminPrincipal,
    AuthenticatedRoute,
    ReadPrincipal,
    WritePrincipal,
)
from app.identity.models import Scope
from app.records.export import CSV_RESPONSE
from app.records.http import (
    IfMatch,
    UpdatedSince,
    add_lifecycle_routes,
    collection,
    created,
    listing,
    present,
    record_route,
)
from app.treaties import service
from app.treaties.models import (
    COUNTRY_CODE_ANY_CASE,
    INSTRUMENT_CODE_ANY_CASE,
    Instrument,
    InstrumentBody,
    InstrumentCategory,
    InstrumentCreate,
    InstrumentPublic,
    InstrumentUpdate,
    RatificationFilters,
    RatificationMatrix,
    RatificationPublic,
    RatificationPut,
)

instruments_router = APIRouter(
    prefix="/instruments", tags=["instruments"], route_class=AuthenticatedRoute
)
ratifications_router = APIRouter(
    prefix="/ratifications", tags=["ratifications"], route_class=record_route(service.RATIFICATION)
)


def instrument_by_code(
    session: SessionDep,
    code: Annotated[str, Path(pattern=r"^[A-Za-z][A-Za-z0-9-]{1,15}$", examples=["C189"])],
) -> Instrument:
    return service.get_instrument(session, code=code)


InstrumentDep = Annotated[Instrument, Depends(instrument_by_code)]


@instruments_router.get(
    "",
    summary="List instruments",
    responses={**CSV_RESPONSE, **problem_responses(401, 403, 422, 429)},
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
    updated_since: UpdatedSince = None,
) -> Page[InstrumentPublic]:
    """ILO and UN instruments the caucus follows, by code."""
    statement = service.select_instruments(
        body=body,
        category=category,
        named_in_founding_statement=named_in_founding_statement,
        q=q,
        updated_since=updated_since,
    )
    return listing(  # type: ignore[no-any-return]
        request,
        response,
        session,
        statement,
        page,
        key=service.INSTRUMENT_ORDER,
        public_model=InstrumentPublic,
        name="instruments",
    )


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


# ---- ratifications --------------------------------------------------------------------------

CountryPath = Annotated[
    str,
    Path(
        pattern=COUNTRY_CODE_ANY_CASE,
        description="ISO 3166-1 alpha-2, in any case.",
        examples=["PH"],
    ),
]
InstrumentPath = Annotated[
    str,
    Path(
        pattern=INSTRUMENT_CODE_ANY_CASE,
        description="The instrument's code, in any case.",
        examples=["C189"],
    ),
]


def _code_list(pattern: str) -> str:
    return rf"^{pattern[1:-1]}(,{pattern[1:-1]})*$"


MatrixInstruments = Annotated[
    str | None,
    Query(
        pattern=_code_list(INSTRUMENT_CODE_ANY_CASE),
        max_length=1000,
        description="Instrument codes, comma-separated, in the order of the columns; by default "
        "the six the founding statement names. An unknown code is a 422.",
        examples=["C189,C087"],
    ),
]
MatrixCountries = Annotated[
    str | None,
    Query(
        pattern=_code_list(COUNTRY_CODE_ANY_CASE),
        max_length=1000,
        description="Country codes, comma-separated; by default every Asian country (or those "
        "of `region`). With `region` too, only those in it. An unknown code is a 422.",
        examples=["PH,SA"],
    ),
]


def ratification_of(country: CountryPath, instrument: InstrumentPath) -> sa.ColumnElement[bool]:
    return service.ratification_of(country, instrument)


@ratifications_router.get(
    "",
    summary="List ratifications",
    responses={**CSV_RESPONSE, **problem_responses(401, 403, 422, 429)},
)
def list_ratifications(
    principal: ReadPrincipal,
    session: SessionDep,
    request: Request,
    response: Response,
    page: PageParamsDep,
    filters: Annotated[RatificationFilters, Query()],
) -> Page[RatificationPublic]:
    """Where countries stand on instruments, by country and instrument code."""
    statement = service.select_ratifications(principal, filters)
    return collection(request, response, session, principal, service.RATIFICATION, statement, page)  # type: ignore[no-any-return]


# Before the routes under /{country}/{instrument}.
@ratifications_router.get(
    "/matrix",
    summary="Ratification matrix",
    responses=problem_responses(401, 403, 422, 429),
)
def ratification_matrix(
    principal: ReadPrincipal,
    session: SessionDep,
    region: Annotated[
        Region | None, Query(description="Only the countries of this sub-region.")
    ] = None,
    instruments: MatrixInstruments = None,
    countries: MatrixCountries = None,
) -> RatificationMatrix:
    """Countries by instruments with each one's status, `unknown` where nothing is recorded
    (or nothing you may see), and how many countries are at each status per instrument."""
    return service.ratification_matrix(
        session,
        principal=principal,
        region=region,
        instruments=instruments.split(",") if instruments else None,
        countries=countries.split(",") if countries else None,
    )


@ratifications_router.put(
    "/{country}/{instrument}",
    summary="Record a ratification",
    response_model=RatificationPublic,
    responses={
        201: {"model": RatificationPublic, "description": "Created"},
        **problem_responses(401, 403, 404, 409, 412, 422, 429),
    },
)
def put_ratification(
    principal: WritePrincipal,
    session: SessionDep,
    country: CountryPath,
    instrument: InstrumentPath,
    request: Request,
    response: Response,
    data: RatificationPut,
    if_match: IfMatch = None,
) -> Any:
    """Create (201) or replace (200) where a country stands on an instrument; a field left out
    goes back to its default."""
    row, is_new = service.put_ratification(
        session,
        actor=principal.actor,
        principal=principal,
        country=country,
        instrument=instrument,
        data=data,
        if_match=if_match,
    )
    if is_new:
        response.status_code = status.HTTP_201_CREATED
        return created(
            request,
            response,
            session,
            principal,
            service.RATIFICATION,
            row,
            country=row.country,
            instrument=row.instrument,
        )
    return present(response, session, principal, service.RATIFICATION, row)


add_lifecycle_routes(
    ratifications_router,
    service.RATIFICATION,
    locate=ratification_of,
    write_scopes=[Scope.records_read, Scope.records_write],
    noun="a ratification",
    path="/{country}/{instrument}",
)
