from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.config import Settings
from app.core.security import create_token
from app.identity import service as identity
from app.identity.models import Role, User
from app.main import create_app
from tests import databases

ADMIN_PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def template_database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> str:
    return databases.migrated_template(tmp_path_factory.mktemp("template"), worker_id)


@pytest.fixture
def database_url(template_database_url: str, tmp_path: Path) -> str:
    return databases.clean_database(template_database_url, tmp_path)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(_env_file=None, database_url=database_url, environment="development")


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def session(app: FastAPI) -> Iterator[Session]:
    with Session(app.state.engine, expire_on_commit=False) as db_session:
        yield db_session


@pytest.fixture
def admin(session: Session) -> User:
    return identity.create_user(
        session,
        email="admin@example.org",
        full_name="Test Admin",
        password=ADMIN_PASSWORD,
        role=Role.admin,
    )


@pytest.fixture
def admin_headers(admin: User, settings: Settings) -> dict[str, str]:
    token = create_token(settings, subject=str(admin.id), lifetime=timedelta(minutes=5))
    return {"Authorization": f"Bearer {token}"}
