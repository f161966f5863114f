"""Every domain router, mounted under /api/v1, with authentication required router-wide."""

from fastapi import APIRouter, FastAPI, Security

from app.activities.router import router as activities_router
from app.agreements.router import router as agreements_router
from app.assessments.router import assessments_router, rubrics_router
from app.audit.router import router as audit_router
from app.core.paths import API_PREFIX
from app.corridors.router import router as corridors_router
from app.countries.router import router as countries_router
from app.field_visits.router import router as field_visits_router
from app.identity.dependencies import authenticate
from app.identity.router import (
    api_tokens_router,
    auth_router,
    organisations_router,
    users_router,
)
from app.imports.router import router as imports_router
from app.integrations.router import router as changes_router
from app.integrations.webhooks.router import router as webhooks_router
from app.laws.router import router as laws_router
from app.members.router import router as parliamentarians_router
from app.recommendations.router import router as recommendations_router
from app.search.router import router as search_router
from app.stats.router import router as stats_router
from app.treaties.router import instruments_router, ratifications_router

# Every router but login's is mounted behind this; endpoints add the scopes they need.
AUTHENTICATED = [Security(authenticate)]

AUTHENTICATED_ROUTERS = (
    organisations_router,
    users_router,
    api_tokens_router,
    audit_router,
    countries_router,
    instruments_router,
    ratifications_router,
    agreements_router,
    laws_router,
    parliamentarians_router,
    activities_router,
    field_visits_router,
    recommendations_router,
    rubrics_router,
    assessments_router,
    corridors_router,
    stats_router,
    search_router,
    changes_router,
    imports_router,
    webhooks_router,
)


def include_api(parent: APIRouter | FastAPI) -> None:
    """Every domain router under /api/v1, each included in `parent` itself.

    Not through one router of them all: FastAPI matches a request through each level of
    included routers, walking every router below it, twice (to match, then to handle), and
    that nesting cost about 70 us a request. The paths, and so the OpenAPI, are the same.
    """
    parent.include_router(auth_router, prefix=API_PREFIX)
    for router in AUTHENTICATED_ROUTERS:
        parent.include_router(router, prefix=API_PREFIX, dependencies=AUTHENTICATED)


# The same routes, for building their URLs where there is no app (webhook payloads' links).
api_router = APIRouter()
include_api(api_router)
