"""Who may write and read agreements: the secretariat's editors, admins and scripts write; partner
users, partner API tokens and readers only read; a restricted agreement is seen only by the
secretariat and its owning organisation (anyone else gets 404)."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.agreements import service
from app.agreements.models import AgreementCreate
from app.audit.service import Actor
from app.core.config import Settings
from app.identity import service as identity
from app.identity.models import Organisation, OrganisationCreate, OrganisationKind, Role
from tests.agreements.helpers import (
    AGREEMENTS,
    assert_problem,
    body,
    create,
    listed_ids,
    ok,
    read,
)
from tests.conftest import bearer, login_headers, make_user

API_TOKENS = "/api/v1/api-tokens"
WRITERS = ["admin", "editor", "secretariat-api-token"]
READ_ONLY = ["partner", "partner-api-token", "reader"]

Headers = dict[str, str]


@pytest.fixture
def other_organisation(session: Session) -> Organisation:
    return identity.create_organisation(
        session,
        actor=None,
        data=OrganisationCreate(name="Another Union", kind=OrganisationKind.trade_union),
    )


def api_token_headers(
    client: TestClient, admin_headers: Headers, organisation: Organisation, scopes: list[str]
) -> Headers:
    response = client.post(
        API_TOKENS,
        json={"name": "sync", "organisation_id": str(organisation.id), "scopes": scopes},
        headers=admin_headers,
    )
    return bearer(ok(response, 201)["token"])


@pytest.fixture
def headers_of(
    client: TestClient,
    session: Session,
    settings: Settings,
    secretariat: Organisation,
    partner_organisation: Organisation,
    other_organisation: Organisation,
    admin_headers: Headers,
) -> Callable[[str], Headers]:
    """Headers for a kind of caller, made when first asked for."""

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
            user = make_user(session, other_organisation, Role.reader, "reader@example.org")
            return login_headers(settings, user)
        raise AssertionError(caller)

    return make


def owned_by(
    session: Session, organisation: Organisation, title: str, visibility: str
) -> dict[str, Any]:
    """An agreement owned by `organisation` (no HTTP route lets a caller pick the owner)."""
    agreement = service.create_agreement(
        session,
        actor=Actor(organisation_id=organisation.id),
        data=AgreementCreate.model_validate(body(title=title, visibility=visibility)),
    )
    return {"id": str(agreement.id), "title": title}


# ---- writing ------------------------------------------------------------------------------


@pytest.mark.parametrize("caller", WRITERS)
def test_secretariat_callers_create_patch_and_delete_agreements(
    client: TestClient, headers_of: Callable[[str], Headers], caller: str
) -> None:
    headers = headers_of(caller)

    created = create(client, headers, visibility="restricted")
    path = f"{AGREEMENTS}/{created['id']}"
    updated = ok(client.patch(path, json={"status": "suspended"}, headers=headers))
    assert (updated["status"], updated["version"]) == ("suspended", 2)
    assert client.delete(path, headers=headers).status_code == 204
    assert_problem(client.get(path, headers=headers), 404)


def test_an_editor_changes_an_agreement_the_admin_recorded(
    client: TestClient, admin_headers: Headers, editor_headers: Headers
) -> None:
    agreement = create(client, admin_headers, visibility="restricted")

    response = client.patch(
        f"{AGREEMENTS}/{agreement['id']}", json={"title": "Renamed"}, headers=editor_headers
    )

    assert ok(response)["title"] == "Renamed"


@pytest.mark.parametrize("caller", READ_ONLY)
def test_partners_partner_tokens_and_readers_cannot_write(
    client: TestClient,
    admin_headers: Headers,
    headers_of: Callable[[str], Headers],
    caller: str,
) -> None:
    agreement = create(client, admin_headers, visibility="public")
    path = f"{AGREEMENTS}/{agreement['id']}"
    headers = headers_of(caller)

    assert_problem(client.post(AGREEMENTS, json=body(title="Theirs"), headers=headers), 403)
    assert_problem(client.patch(path, json={"title": "Changed"}, headers=headers), 403)
    assert_problem(client.delete(path, headers=headers), 403)

    assert listed_ids(client, admin_headers) == {agreement["id"]}
    assert read(client, admin_headers, agreement["id"]) == agreement


@pytest.mark.parametrize("caller", WRITERS + READ_ONLY)
def test_every_caller_reads_public_and_partner_agreements(
    client: TestClient,
    admin_headers: Headers,
    headers_of: Callable[[str], Headers],
    caller: str,
) -> None:
    public = create(client, admin_headers, title="Public", visibility="public")
    shared = create(client, admin_headers, title="Partners", visibility="partners")
    headers = headers_of(caller)

    assert listed_ids(client, headers) >= {public["id"], shared["id"]}
    assert listed_ids(client, headers, country="PH") >= {public["id"], shared["id"]}
    assert read(client, headers, public["id"]) == public
    assert read(client, headers, shared["id"]) == shared


def test_reading_agreements_needs_a_token(client: TestClient, admin_headers: Headers) -> None:
    agreement = create(client, admin_headers, visibility="public")

    assert_problem(client.get(AGREEMENTS), 401)
    assert_problem(client.get(f"{AGREEMENTS}/{agreement['id']}"), 401)
    assert_problem(client.post(AGREEMENTS, json=body()), 401)


# ---- restricted agreements -----------------------------------------------------------------


@pytest.mark.parametrize("caller", ["partner", "partner-api-token"])
def test_a_partner_sees_its_own_restricted_agreement_but_not_another_organisations(
    client: TestClient,
    session: Session,
    secretariat: Organisation,
    partner_organisation: Organisation,
    other_organisation: Organisation,
    headers_of: Callable[[str], Headers],
    caller: str,
) -> None:
    own = owned_by(session, partner_organisation, "Own", "restricted")
    secretariats = owned_by(session, secretariat, "Secretariat's", "restricted")
    others = owned_by(session, other_organisation, "Other union's", "restricted")
    shared = owned_by(session, other_organisation, "Other union's, shared", "partners")
    headers = headers_of(caller)

    assert read(client, headers, own["id"])["title"] == "Own"
    assert read(client, headers, shared["id"])["title"] == "Other union's, shared"
    for hidden in (secretariats, others):
        problem = assert_problem(client.get(f"{AGREEMENTS}/{hidden['id']}", headers=headers), 404)
        assert hidden["title"] not in str(problem)
    assert listed_ids(client, headers) == {own["id"], shared["id"]}
    assert listed_ids(client, headers, origin="PH") == {own["id"], shared["id"]}


def test_a_reader_of_another_organisation_sees_no_restricted_agreement(
    client: TestClient,
    session: Session,
    secretariat: Organisation,
    partner_organisation: Organisation,
    headers_of: Callable[[str], Headers],
) -> None:
    partners = owned_by(session, partner_organisation, "Partner's", "restricted")
    secretariats = owned_by(session, secretariat, "Secretariat's", "restricted")
    public = owned_by(session, secretariat, "Public", "public")
    headers = headers_of("reader")

    assert listed_ids(client, headers) == {public["id"]}
    for hidden in (partners, secretariats):
        assert_problem(client.get(f"{AGREEMENTS}/{hidden['id']}", headers=headers), 404)


@pytest.mark.parametrize("caller", ["admin", "editor"])
def test_the_secretariat_sees_every_organisations_restricted_agreements(
    client: TestClient,
    session: Session,
    partner_organisation: Organisation,
    other_organisation: Organisation,
    headers_of: Callable[[str], Headers],
    caller: str,
) -> None:
    partners = owned_by(session, partner_organisation, "Partner's", "restricted")
    others = owned_by(session, other_organisation, "Other union's", "restricted")
    headers = headers_of(caller)

    assert listed_ids(client, headers) == {partners["id"], others["id"]}
    assert read(client, headers, partners["id"])["organisation_id"] == str(partner_organisation.id)


def test_a_partner_cannot_write_even_its_own_organisations_agreement(
    client: TestClient,
    session: Session,
    admin_headers: Headers,
    partner_organisation: Organisation,
    headers_of: Callable[[str], Headers],
) -> None:
    own = owned_by(session, partner_organisation, "Own", "restricted")
    path = f"{AGREEMENTS}/{own['id']}"
    before = read(client, admin_headers, own["id"])

    for caller in ("partner", "partner-api-token"):
        headers = headers_of(caller)
        assert_problem(client.patch(path, json={"title": "Changed"}, headers=headers), 403)
        assert_problem(client.delete(path, headers=headers), 403)

    assert read(client, admin_headers, own["id"]) == before
