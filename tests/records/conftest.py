from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.config import Settings
from app.identity import service as identity
from app.identity.models import Organisation, OrganisationCreate, OrganisationKind, Role, User
from tests.conftest import login_headers, make_user


@pytest.fixture(autouse=True)
def countries(reference: None) -> None:
    """Agreement parties refer to countries, so every lifecycle test needs the reference data."""


@pytest.fixture
def failing_client(app: FastAPI) -> Iterator[TestClient]:
    """A client that receives the 500 response instead of the server's exception."""
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def partner_editor(session: Session, partner_organisation: Organisation) -> User:
    """A writer in the partner organisation: what it creates, the partner organisation owns."""
    return make_user(session, partner_organisation, Role.editor, "writer@partner.example.org")


@pytest.fixture
def partner_editor_headers(partner_editor: User, settings: Settings) -> dict[str, str]:
    return login_headers(settings, partner_editor)


@pytest.fixture
def other_organisation(session: Session) -> Organisation:
    return identity.create_organisation(
        session,
        actor=None,
        data=OrganisationCreate(name="Other Union", kind=OrganisationKind.trade_union),
    )


@pytest.fixture
def other_partner_headers(
    session: Session, other_organisation: Organisation, settings: Settings
) -> dict[str, str]:
    """A partner of another organisation than the one the `partner` fixture belongs to."""
    user = make_user(session, other_organisation, Role.partner, "partner@union.example.org")
    return login_headers(settings, user)


@pytest.fixture
def outside_editor_headers(
    session: Session, other_organisation: Organisation, settings: Settings
) -> dict[str, str]:
    """A caller with write scopes in an organisation that owns none of the records."""
    user = make_user(session, other_organisation, Role.editor, "editor@union.example.org")
    return login_headers(settings, user)
