from typing import Annotated

from fastapi import APIRouter, Query

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.countries.models import Region
from app.countries.router import ListedLimit
from app.countries.summaries import DEFAULT_LISTED
from app.identity.dependencies import AuthenticatedRoute, ReadPrincipal
from app.stats import service
from app.stats.models import Stats

router = APIRouter(prefix="/stats", tags=["stats"], route_class=AuthenticatedRoute)


@router.get("", summary="Statistics", responses=problem_responses(401, 403, 422, 429))
def read_stats(
    principal: ReadPrincipal,
    session: SessionDep,
    region: Annotated[
        Region | None,
        Query(
            description="Count only the ratifications of this region's countries, the "
            "corridors with either end in it, the recommendations addressed to its countries, "
            "and the assessments of its countries' laws and of agreements with a party in it. "
            "The expiring agreements are not narrowed."
        ),
    ] = None,
    expiring_within_days: Annotated[
        int,
        Query(
            ge=0,
            le=service.MAX_EXPIRING_WITHIN_DAYS,
            description="List the agreements expiring from today to this many days ahead.",
        ),
    ] = service.DEFAULT_EXPIRING_WITHIN_DAYS,
    limit: ListedLimit = DEFAULT_LISTED,
) -> Stats:
    """Ratifications per instrument by region, agreements per corridor and status, those
    expiring soon, how far the recommendations to each country are implemented, and how the
    published assessments score and rate each criterion: counted over the records you may
    see."""
    return service.stats(
        session,
        principal=principal,
        region=region,
        expiring_within_days=expiring_within_days,
        limit=limit,
    )
