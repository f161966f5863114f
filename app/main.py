"""The application factory: settings, engine, middleware, problem handlers, routers, docs."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from app import __version__
from app.api import include_api
from app.core.admission import Admission
from app.core.config import Settings, get_settings
from app.core.db import create_db_engine, reading_engine, writing_engine
from app.core.errors import (
    document_unreadable_bodies,
    problem_responses,
    register_error_handlers,
)
from app.core.middleware import BodySizeLimitMiddleware, RequestIdMiddleware
from app.core.ratelimit import RateLimiter, RateLimits
from app.health.router import router as health_router

DOCS_ASSETS = Path(__file__).parent / "static" / "vendor"

DESCRIPTION = """
The shared oversight record of the **Asian Inter-Parliamentary Caucus on Labour Migration**.
Parliamentarians of sending and receiving countries, the secretariat (Migrant Forum in Asia) and
partner CSOs and trade unions use it to monitor MOUs, bilateral agreements and national laws, to
follow ratification of ILO C189, C87, C98, C97, C143 and the UN Migrant Workers Convention, and to
record field visits to migrant worker communities and what became of their recommendations.

## Authentication
Every endpoint except health checks and login needs a bearer token.

* **People** log in with e-mail and password at `POST /api/v1/auth/token` (the OAuth2 password
  flow): in these docs, press **Authorize** and enter them. The token is short-lived.
* **Scripts and partner systems** use a long-lived API token issued by the secretariat, sent as
  `Authorization: Bearer <token>`.

## Conventions
Errors are `application/problem+json` (RFC 9457). Every response carries `X-Request-ID`; quote it
when reporting a problem.
"""


TAGS = [
    {"name": "health", "description": "Liveness and readiness probes; no token needed."},
    {"name": "auth", "description": "Log in, see who you are, change your password."},
    {
        "name": "organisations",
        "description": "The secretariat, partner CSOs, trade unions and others.",
    },
    {"name": "users", "description": "Accounts, each in an organisation with a role (admin)."},
    {
        "name": "api-tokens",
        "description": "Long-lived, revocable tokens for organisations' scripts (admin).",
    },
    {"name": "audit", "description": "The append-only audit log (admin)."},
    {"name": "countries", "description": "ISO 3166-1 countries, Asian sub-regions, profiles."},
    {"name": "instruments", "description": "ILO and UN conventions the caucus follows."},
    {
        "name": "ratifications",
        "description": "Where each country stands on each instrument, and the matrix of them.",
    },
    {
        "name": "agreements",
        "description": "MOUs, bilateral and multilateral agreements, regional frameworks.",
    },
    {
        "name": "parliamentarians",
        "description": "Members of parliament in the caucus, their roles over time.",
    },
    {
        "name": "activities",
        "description": "Caucus meetings, seminars, exchange visits, oversight hearings, debates.",
    },
    {
        "name": "field-visits",
        "description": "Field-visit reports: partners write and submit them, the secretariat "
        "publishes them. Testimonies are seen only by their organisation and the secretariat.",
    },
    {
        "name": "recommendations",
        "description": "Recommendations of field visits and activities, and what became of them.",
    },
    {
        "name": "search",
        "description": "One full-text search across agreements, laws, field-visit reports, "
        "activities, recommendations and parliamentarians, in any script.",
    },
    {
        "name": "laws",
        "description": "National laws, labour codes, regulations, policies and bills.",
    },
    {
        "name": "rubrics",
        "description": "Versioned lists of criteria agreements and laws are assessed against; "
        "`default` is shipped. A version in use never changes: make a new one (admin).",
    },
    {
        "name": "assessments",
        "description": "Rubric-based reviews of agreements and laws: a rating per criterion with "
        "evidence, a derived score, draft then published. Agreements and laws show the latest "
        "published score.",
    },
    {
        "name": "corridors",
        "description": "A country of origin and one of destination side by side: agreements, "
        "ratifications, laws, field visits and recommendations.",
    },
    {
        "name": "stats",
        "description": "Counts over the records you may see: ratifications, agreements, "
        "implementation of recommendations.",
    },
    {
        "name": "changes",
        "description": "The change feed: every write to a record you may see, numbered in "
        "commit order, for keeping a copy in sync. Resume from the last number seen.",
    },
    {
        "name": "imports",
        "description": "Bulk imports of agreements, laws, ratifications and parliamentarians "
        "from CSV files laid out like the exports; checked whole, written in one transaction, "
        "and safe to repeat (admin).",
    },
    {
        "name": "webhooks",
        "description": "Be sent the changes the feed would show you as they happen: signed "
        "POSTs (Standard Webhooks), retried until received, with a log of every attempt.",
    },
]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # What the app was built of lives as long as it serves: out of the collector's sight, a
    # full collection no longer walks its ~200k objects, a pause of ~100 ms for every request
    # in progress (bench/README.md, 4 December).
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        app.state.engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Caucus Oversight API",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        responses=problem_responses(500, 503),
    )
    serve_with(app, settings)
    register_error_handlers(app)
    document_unreadable_bodies(app)
    # Added innermost first: the request id wraps everything so even a 413 or CORS refusal has one.
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID", "ETag", "Link", "Retry-After"],
        )
    app.add_middleware(RequestIdMiddleware)

    app.include_router(health_router)
    include_api(app)
    _mount_docs(app)
    return app


def serve_with(app: FastAPI, settings: Settings) -> None:
    """Give `app` what its requests read from its state: settings, database, admission and
    rate limits.

    Everything else `settings` decides (body limit, CORS) is fixed when the app is created.
    """
    engine = create_db_engine(settings)
    app.state.settings = settings
    app.state.engine = engine
    app.state.reading_engine = reading_engine(engine)
    app.state.writing_engine = writing_engine(engine)
    app.state.admission = Admission(
        settings.max_requests_in_progress, settings.max_request_wait_seconds
    )
    app.state.rate_limiter = RateLimiter(settings.redis_url or "memory://")
    app.state.rate_limits = RateLimits.from_settings(settings)


def _mount_docs(app: FastAPI) -> None:
    """Serve /docs and /redoc with their assets from this service, so they work offline."""
    app.mount("/docs/assets", StaticFiles(directory=DOCS_ASSETS), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    oauth2_redirect_url = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url="/docs/assets/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/docs/assets/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/docs/assets/swagger-ui/favicon-32x32.png",
            oauth2_redirect_url=oauth2_redirect_url,
            swagger_ui_parameters={"persistAuthorization": True},
        )

    @app.get(oauth2_redirect_url, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url="/docs/assets/redoc/redoc.standalone.js",
            redoc_favicon_url="/docs/assets/swagger-ui/favicon-32x32.png",
            with_google_fonts=False,
        )
