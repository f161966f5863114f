from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import Engine
from sqlmodel import Session

from app import main as app_main
from app.core import security
from app.core.config import Settings
from app.core.db import create_db_engine
from app.identity import service as identity
from app.identity.models import (
    Organisation,
    OrganisationCreate,
    OrganisationKind,
    Role,
    User,
    UserCreate,
)
from app.main import create_app, serve_with
from tests import databases
from tests.databases import Templates

ADMIN_PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Argon2id still, at the lowest cost: the production cost (~0.2 s a hash on purpose) would
    make the suite spend minutes hashing the passwords of its test users."""
    original = security._password_hash, security._UNUSABLE_HASH
    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    security._password_hash = cheap
    security._UNUSABLE_HASH = cheap.hash("no account has this password")
    yield
    security._password_hash, security._UNUSABLE_HASH = original


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[Templates]:
    made = databases.migrated_templates(tmp_path_factory.mktemp("template"), worker_id)
    yield made
    if made.cleaner is not None:
        made.cleaner.dispose()
    if not databases.ON_SQLITE:
        databases.drop_postgres_database(databases.worker_database_name(worker_id))


@pytest.fixture
def database_url(
    templates: Templates, kept_engine: "KeptEngine", request: pytest.FixtureRequest
) -> str:
    if databases.ON_SQLITE:
        # The file its connections had open is about to be replaced.
        kept_engine.close_connections()
    # The reference data comes with the database, copied from a template it was loaded into
    # once, rather than loaded again for each test that asks for `reference`.
    wanted = "reference" in request.fixturenames
    return databases.clean_database(templates, with_reference=wanted)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(_env_file=None, database_url=database_url, environment="development")


# What `create_app` fixes from the settings; the rest is read from the app's state per request.
BUILT_FROM_SETTINGS = ("max_body_bytes", "cors_origins")


@pytest.fixture(scope="session")
def built_app() -> FastAPI:
    """One application per worker. FastAPI prepares each route on an app's first request, about
    a tenth of a second for all of them: every test would pay it again on an app of its own."""
    return create_app(Settings(_env_file=None, database_url="sqlite://", environment="development"))


def serving(settings: Settings) -> Iterator[FastAPI]:
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def own_app(settings: Settings) -> Iterator[FastAPI]:
    """An application of the test's own, for a test that adds routes to it."""
    yield from serving(settings)


@dataclass
class KeptEngine:
    """The engine of the last test's settings, for the next test with the same settings. Every
    test's database has the same URL (tests/databases.py `clean_database`), and a new engine
    starts with an empty cache of compiled statements, so each test compiled again every
    statement it runs; on PostgreSQL it also connects afresh and asks the server for its
    version and settings again: a fifth of a test's setup there."""

    settings: Settings | None = None
    engine: Engine | None = None

    def engine_for(self, settings: Settings) -> Engine:
        if self.engine is None or self.settings != settings:
            self.forget()
            self.settings, self.engine = settings, create_db_engine(settings)
        return self.engine

    def close_connections(self) -> None:
        """Close the pooled connections, keeping the engine and its compiled statements."""
        if self.engine is not None:
            self.engine.dispose()

    def forget(self) -> None:
        if self.engine is not None:
            self.engine.dispose()
        self.settings = self.engine = None


@pytest.fixture(scope="session")
def kept_engine() -> Iterator[KeptEngine]:
    kept = KeptEngine()
    yield kept
    kept.forget()


@pytest.fixture
def app(settings: Settings, built_app: FastAPI, kept_engine: KeptEngine) -> Iterator[FastAPI]:
    """The application serving the test's settings and database."""
    built_with = built_app.state.settings
    if not all(
        getattr(settings, name) == getattr(built_with, name) for name in BUILT_FROM_SETTINGS
    ):
        yield from serving(settings)
        return
    routes = list(built_app.routes)
    with pytest.MonkeyPatch.context() as patch:
        # `serve_with` makes its engine, and the engines it derives, through this name.
        patch.setattr(app_main, "create_db_engine", kept_engine.engine_for)
        serve_with(built_app, settings)
    yield built_app
    # A connection still out may hold a transaction the next test's emptying would wait on.
    if built_app.state.engine.pool.checkedout():
        kept_engine.forget()
    assert built_app.routes == routes, "a test adding routes to the app must use `own_app`"


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def session(app: FastAPI) -> Iterator[Session]:
    """A session for arranging and checking, outside any request. Each statement commits on
    its own, so a check reads what requests committed meanwhile (as PostgreSQL's READ COMMITTED
    would) instead of the snapshot SQLite's open transaction would hold."""
    engine = app.state.engine.execution_options(isolation_level="AUTOCOMMIT")
    with Session(engine, expire_on_commit=False) as db_session:
        yield db_session


@pytest.fixture
def reference(database_url: str) -> None:
    """Countries and instruments, which records refer to, as `caucus load-reference` loads
    them: the test's database is made with them (see `database_url`)."""


@pytest.fixture
def secretariat(session: Session) -> Organisation:
    return identity.create_organisation(
        session,
        actor=None,
        data=OrganisationCreate(name="Migrant Forum in Asia", kind=OrganisationKind.secretariat),
    )


@pytest.fixture
def partner_organisation(session: Session) -> Organisation:
    return identity.create_organisation(
        session,
        actor=None,
        data=OrganisationCreate(name="Partner CSO", kind=OrganisationKind.cso, country="MY"),
    )


def make_user(session: Session, organisation: Organisation, role: Role, email: str) -> User:
    return identity.create_user(
        session,
        actor=None,
        data=UserCreate(
            email=email,
            full_name=f"Test {role.value}",
            role=role,
            organisation_id=organisation.id,
            password=ADMIN_PASSWORD,
        ),
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login_headers(settings: Settings, user: User, scopes: tuple[str, ...] = ()) -> dict[str, str]:
    """Headers with a login token for `user`, as POST /auth/token would issue it."""
    issued = identity.issue_login_token(settings, user=user, requested_scopes=scopes)
    return bearer(issued.access_token)


@pytest.fixture
def admin(session: Session, secretariat: Organisation) -> User:
    return make_user(session, secretariat, Role.admin, "admin@example.org")


@pytest.fixture
def admin_headers(admin: User, settings: Settings) -> dict[str, str]:
    return login_headers(settings, admin)


@pytest.fixture
def partner(session: Session, partner_organisation: Organisation) -> User:
    return make_user(session, partner_organisation, Role.partner, "partner@example.org")


@pytest.fixture
def partner_headers(partner: User, settings: Settings) -> dict[str, str]:
    return login_headers(settings, partner)


@pytest.fixture
def editor(session: Session, secretariat: Organisation) -> User:
    return make_user(session, secretariat, Role.editor, "editor@example.org")


@pytest.fixture
def editor_headers(editor: User, settings: Settings) -> dict[str, str]:
    return login_headers(settings, editor)


Headers = dict[str, str]


def api_token_headers(
    client: TestClient, admin_headers: Headers, organisation: Organisation, scopes: list[str]
) -> Headers:
    """Headers with a new API token of `organisation`, issued by an admin through the API."""
    response = client.post(
        "/api/v1/api-tokens",
        json={"name": "sync", "organisation_id": str(organisation.id), "scopes": scopes},
        headers=admin_headers,
    )
    assert response.status_code == 201, response.text
    return bearer(response.json()["token"])


@pytest.fixture
def headers_of(
    client: TestClient,
    session: Session,
    settings: Settings,
    secretariat: Organisation,
    partner_organisation: Organisation,
    admin_headers: Headers,
) -> Callable[[str], Headers]:
    """Headers for a kind of caller, made when first asked for."""

    def organisation(name: str, kind: OrganisationKind) -> Organisation:
        return identity.create_organisation(
            session, actor=None, data=OrganisationCreate(name=name, kind=kind)
        )

    def make(caller: str) -> Headers:
        if caller == "admin":
            return admin_headers
        if caller == "editor":
            user = make_user(session, secretariat, Role.editor, "editor@example.org")
            return login_headers(settings, user)
        if caller == "secretariat-api-token":
            scopes = ["records:read", "records:write"]
            return api_token_headers(client, admin_headers, secretariat, scopes)
        if caller == "partner":
            user = make_user(session, partner_organisation, Role.partner, "partner@example.org")
            return login_headers(settings, user)
        if caller == "partner-api-token":
            scopes = ["records:read", "reports:write"]
            return api_token_headers(client, admin_headers, partner_organisation, scopes)
        if caller == "reader":
            union = organisation("Another Union", OrganisationKind.trade_union)
            return login_headers(settings, make_user(session, union, Role.reader, "r@example.org"))
        if caller == "parliament-editor":
            office = organisation("Office of a member", OrganisationKind.parliament)
            user = make_user(session, office, Role.editor, "office@example.org")
            return login_headers(settings, user)
        raise AssertionError(caller)

    return make
