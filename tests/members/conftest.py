from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.config import Settings
from app.identity import service as identity
from app.identity.models import Organisation, OrganisationCreate, OrganisationKind, Role
from tests.conftest import login_headers, make_user
from tests.members.helpers import Headers, api_token_headers


@pytest.fixture(autouse=True)
def countries(reference: None) -> None:
    """A parliamentarian's country refers to the countries table."""


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
