from typing import Annotated

from fastapi import APIRouter, Path

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.corridors import service
from app.corridors.models import Corridor
from app.countries.router import ListedLimit
from app.countries.service import get_country
from app.countries.summaries import DEFAULT_LISTED
from app.identity.dependencies import AuthenticatedRoute, ReadPrincipal
from app.treaties.models import COUNTRY_CODE_ANY_CASE

router = APIRouter(prefix="/corridors", tags=["corridors"], route_class=AuthenticatedRoute)


OriginPath = Annotated[
    str,
    Path(
        pattern=COUNTRY_CODE_ANY_CASE,
        description="ISO 3166-1 alpha-2 code of the country of origin, in any case.",
        examples=["PH"],
    ),
]
DestinationPath = Annotated[
    str,
    Path(
        pattern=COUNTRY_CODE_ANY_CASE,
        description="ISO 3166-1 alpha-2 code of the country of destination, in any case.",
        examples=["SA"],
    ),
]


@router.get(
    "/{origin}/{destination}",
    summary="Read a corridor",
    responses=problem_responses(401, 403, 404, 422, 429),
)
def read_corridor(
    principal: ReadPrincipal,
    session: SessionDep,
    origin: OriginPath,
    destination: DestinationPath,
    limit: ListedLimit = DEFAULT_LISTED,
) -> Corridor:
    """Agreements from the origin to the destination, both countries' ratifications side by
    side, the laws of each, visits to the destination that met workers from the origin, and
    the recommendations addressed to either; each list with how many you may see and the link
    to all of them. The same country twice is a 422."""
    return service.corridor(
        session,
        principal=principal,
        origin=get_country(session, code=origin),
        destination=get_country(session, code=destination),
        limit=limit,
    )
