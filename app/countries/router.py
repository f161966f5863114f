from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.pagination import Page, PageParamsDep
from app.core.schemas import SearchText
from app.countries import service
from app.countries.dossier import CountryDossier, country_dossier
from app.countries.models import Country, CountryPublic, CountryUpdate, MigrationProfile, Region
from app.countries.summaries import DEFAULT_LISTED, MAX_LISTED
from app.identity.dependencies import AdminPrincipal, AuthenticatedRoute, ReadPrincipal
from app.records.export import CSV_RESPONSE
from app.records.http import UpdatedSince, listing

router = APIRouter(prefix="/countries", tags=["countries"], route_class=AuthenticatedRoute)


def country_by_code(
    session: SessionDep,
    code: Annotated[
        str, Path(pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2.", examples=["PH"])
    ],
) -> Country:
    return service.get_country(session, code=code)


CountryDep = Annotated[Country, Depends(country_by_code)]
ListedLimit = Annotated[
    int,
    Query(ge=1, le=MAX_LISTED, description="How many records each list shows at most."),
]


@router.get(
    "",
    summary="List countries",
    responses={**CSV_RESPONSE, **problem_responses(401, 403, 422, 429)},
)
def list_countries(
    _: ReadPrincipal,
    session: SessionDep,
    request: Request,
    response: Response,
    page: PageParamsDep,
    region: Region | None = None,
    profile: Annotated[
        MigrationProfile | None, Query(description="Countries with this `migration_profile`.")
    ] = None,
    q: Annotated[SearchText | None, Query(description="Part of the name, or the code.")] = None,
    updated_since: UpdatedSince = None,
) -> Page[CountryPublic]:
    """Every ISO 3166-1 country, by code; Asian ones carry their UN M49 sub-region."""
    statement = service.select_countries(
        region=region, migration_profile=profile, q=q, updated_since=updated_since
    )
    return listing(  # type: ignore[no-any-return]
        request,
        response,
        session,
        statement,
        page,
        key=service.ORDER_KEY,
        public_model=CountryPublic,
        name="countries",
    )


@router.get(
    "/{code}", summary="Read a country", responses=problem_responses(401, 403, 404, 422, 429)
)
def read_country(_: ReadPrincipal, country: CountryDep) -> CountryPublic:
    """One country."""
    return CountryPublic.model_validate(country)


@router.patch(
    "/{code}",
    summary="Set a country's migration profile",
    responses=problem_responses(401, 403, 404, 422, 429),
)
def update_country(
    principal: AdminPrincipal, session: SessionDep, country: CountryDep, data: CountryUpdate
) -> CountryPublic:
    """Set whether the country mainly sends or receives migrant workers, or both (admin)."""
    updated = service.set_migration_profile(
        session, actor=principal.actor, country=country, profile=data.migration_profile
    )
    return CountryPublic.model_validate(updated)


@router.get(
    "/{code}/dossier",
    summary="Read a country's dossier",
    responses=problem_responses(401, 403, 404, 422, 429),
)
def read_dossier(
    principal: ReadPrincipal,
    session: SessionDep,
    country: CountryDep,
    limit: ListedLimit = DEFAULT_LISTED,
) -> CountryDossier:
    """Where the country stands on the founding statement's six instruments (`unknown` where
    nothing you may see is recorded), and the newest of its laws, agreements (as origin and as
    destination), field visits, recommendations (by status, and the overdue ones) and
    activities: each list with how many you may see and the link to all of them."""
    return country_dossier(session, principal=principal, country=country, limit=limit)
