"""The access model over HTTP: which tokens are refused, which routes need which scope, how a
token's scopes narrow its role, and write bodies that cannot assign what the server owns."""

import ast
import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fastapi.routing
import httpx2
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.audit.models import AuditEntry
from app.core.config import Settings
from app.identity.models import ApiToken, Organisation, Role, User
from tests.conftest import ADMIN_PASSWORD, bearer, make_user

API = "/api/v1"
TOKEN_PATH = f"{API}/auth/token"
ME_PATH = f"{API}/auth/me"
PASSWORD_PATH = f"{API}/auth/password"
ORGANISATIONS_PATH = f"{API}/organisations"
USERS_PATH = f"{API}/users"
API_TOKENS_PATH = f"{API}/api-tokens"
PROBLEM_JSON = "application/problem+json"
ALL_SCOPES = frozenset({"records:read", "records:write", "reports:write", "admin"})
HTTP_METHODS = {"get", "put", "post", "patch", "delete", "options", "head", "trace"}
NEW_PASSWORD = "a different long passphrase"
APP_DIR = Path(__file__).resolve().parents[2] / "app"


# ---- helpers -------------------------------------------------------------------------------


def assert_problem(response: httpx2.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def assert_unauthorized(response: httpx2.Response) -> None:
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


def log_in(
    client: TestClient, email: str, password: str = ADMIN_PASSWORD, scope: str | None = None
) -> httpx2.Response:
    form = {"username": email, "password": password}
    if scope is not None:
        form["scope"] = scope
    return client.post(TOKEN_PATH, data=form)


def login_token_headers(client: TestClient, email: str, scope: str | None = None) -> dict[str, str]:
    """Log in over HTTP, as a person or the Swagger UI would, optionally asking for scopes."""
    response = log_in(client, email, scope=scope)
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


def issue_api_token(
    client: TestClient,
    admin_headers: dict[str, str],
    organisation_id: uuid.UUID,
    scopes: list[str],
) -> dict[str, Any]:
    response = client.post(
        API_TOKENS_PATH,
        headers=admin_headers,
        json={"name": "sync script", "organisation_id": str(organisation_id), "scopes": scopes},
    )
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()
    return issued


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64json(data: dict[str, Any]) -> str:
    return b64url(json.dumps(data, separators=(",", ":")).encode())


HMAC_HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def forge(
    claims: dict[str, Any], key: str, alg: str = "HS256", sign_with: str | None = None
) -> str:
    """A JWT built by hand (no JWT library): header `alg`, HMAC-signed with `sign_with`'s hash."""
    signing_input = f"{b64json({'alg': alg, 'typ': 'JWT'})}.{b64json(claims)}"
    hash_name = sign_with or alg
    if hash_name.lower() == "none":
        return f"{signing_input}."
    signature = hmac.new(key.encode(), signing_input.encode(), HMAC_HASHES[hash_name]).digest()
    return f"{signing_input}.{b64url(signature)}"


def claims_for(settings: Settings, subject: str, **overrides: Any) -> dict[str, Any]:
    now = int(datetime.now(UTC).timestamp())
    claims: dict[str, Any] = {
        "sub": subject,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + 600,
        "scope": "records:read",
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def secret(settings: Settings) -> str:
    return settings.secret_key.get_secret_value()


def fresh(app: FastAPI, model: type[Any], row_id: uuid.UUID) -> Any:
    """The row as the database has it now, not as any open session remembers it."""
    with Session(app.state.engine) as db:
        return db.get(model, row_id)


def db_snapshot(app: FastAPI) -> dict[str, Any]:
    """Every organisation, user and API token as stored, and the size of the audit log.

    An API token's last_used_at is left out: using a token is not a change made by the request.
    """
    snapshot: dict[str, Any] = {}
    with app.state.engine.connect() as connection:
        for model in (Organisation, User, ApiToken):
            table = model.__table__
            rows = connection.execute(sa.select(table).order_by(table.c.id)).mappings()
            snapshot[table.name] = [
                {column: value for column, value in row.items() if column != "last_used_at"}
                for row in rows
            ]
        snapshot["audit_entries"] = connection.execute(
            sa.select(sa.func.count()).select_from(AuditEntry.__table__)
        ).scalar_one()
    return snapshot


# ---- jose stays in app/core/security.py ----------------------------------------------------


def jose_importers(root: Path) -> set[str]:
    found: set[str] = set()
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            modules: list[str] = []
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules = [node.module]
            elif isinstance(node, ast.Call) and any(
                isinstance(arg, ast.Constant)
                and isinstance(arg.value, str)
                and arg.value.split(".")[0] == "jose"
                for arg in node.args
            ):
                # importlib.import_module("jose"), __import__("jose.jwt"), ...
                modules = ["jose"]
            if any(module.split(".")[0] == "jose" for module in modules):
                found.add(path.relative_to(root.parent).as_posix())
    return found


def test_only_the_security_module_imports_jose() -> None:
    assert jose_importers(APP_DIR) == {"app/core/security.py"}


def test_the_jose_scan_sees_every_form_of_import(tmp_path: Path) -> None:
    package = tmp_path / "app"
    package.mkdir()
    (package / "plain.py").write_text("import jose\n")
    (package / "nested.py").write_text("def f():\n    from jose.jwt import decode\n")
    (package / "dynamic.py").write_text("import importlib\nimportlib.import_module('jose')\n")
    (package / "clean.py").write_text("import json\nfrom app import josephine\n")

    assert jose_importers(package) == {"app/plain.py", "app/nested.py", "app/dynamic.py"}


# ---- tokens that are refused, through the API ----------------------------------------------


@dataclass
class World:
    app: FastAPI
    client: TestClient
    settings: Settings
    admin: User
    admin_headers: dict[str, str]
    partner: User
    partner_headers: dict[str, str]
    partner_organisation: Organisation
    secretariat: Organisation


@pytest.fixture
def world(
    app: FastAPI,
    client: TestClient,
    settings: Settings,
    admin: User,
    admin_headers: dict[str, str],
    partner: User,
    partner_headers: dict[str, str],
    partner_organisation: Organisation,
    secretariat: Organisation,
) -> World:
    return World(
        app,
        client,
        settings,
        admin,
        admin_headers,
        partner,
        partner_headers,
        partner_organisation,
        secretariat,
    )


# Each refused token is tried on /auth/me and on a scoped route; both accept a good token.
PROBE_ROUTES = [ME_PATH, ORGANISATIONS_PATH]


def assert_accepted_everywhere(world: World, headers: dict[str, str]) -> None:
    for path in PROBE_ROUTES:
        response = world.client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.text)


def admin_subject(world: World) -> str:
    return f"user:{world.admin.id}"


def user_token(world: World, **overrides: Any) -> dict[str, str]:
    claims = claims_for(world.settings, admin_subject(world), **overrides)
    return bearer(forge(claims, secret(world.settings)))


def _no_token(world: World) -> dict[str, str]:
    return {}


def _empty_bearer(world: World) -> dict[str, str]:
    return {"Authorization": "Bearer "}


def _basic_scheme(world: World) -> dict[str, str]:
    return {"Authorization": "Basic YWRtaW5AZXhhbXBsZS5vcmc6cGFzc3dvcmQ="}


def _not_a_jwt(world: World) -> dict[str, str]:
    return bearer("not-a-jwt")


def _three_garbage_parts(world: World) -> dict[str, str]:
    return bearer("a.b.c")


def _undecodable_payload(world: World) -> dict[str, str]:
    header = b64json({"alg": "HS256", "typ": "JWT"})
    return bearer(f"{header}.{b64url(b'not json')}.{b64url(b'x' * 32)}")


def _signed_with_another_key(world: World) -> dict[str, str]:
    claims = claims_for(world.settings, admin_subject(world))
    return bearer(forge(claims, "another-service-key-" + "x" * 40))


def _signature_stripped(world: World) -> dict[str, str]:
    header, payload, _ = user_token(world)["Authorization"].removeprefix("Bearer ").split(".")
    return bearer(f"{header}.{payload}.")


def _payload_swapped_to_the_admin(world: World) -> dict[str, str]:
    # A genuine token of the partner, its payload replaced by one naming the admin.
    genuine = forge(claims_for(world.settings, f"user:{world.partner.id}"), secret(world.settings))
    header, _, signature = genuine.split(".")
    payload = b64json(claims_for(world.settings, admin_subject(world), scope="admin"))
    return bearer(f"{header}.{payload}.{signature}")


def _alg_none(world: World) -> dict[str, str]:
    return bearer(forge(claims_for(world.settings, admin_subject(world)), "", alg="none"))


def _alg_none_capitalised(world: World) -> dict[str, str]:
    return bearer(forge(claims_for(world.settings, admin_subject(world)), "", alg="None"))


def _alg_none_with_a_valid_signature(world: World) -> dict[str, str]:
    claims = claims_for(world.settings, admin_subject(world))
    return bearer(forge(claims, secret(world.settings), alg="none", sign_with="HS256"))


def _alg_hs384_same_key(world: World) -> dict[str, str]:
    claims = claims_for(world.settings, admin_subject(world))
    return bearer(forge(claims, secret(world.settings), alg="HS384"))


def _alg_hs512_same_key(world: World) -> dict[str, str]:
    claims = claims_for(world.settings, admin_subject(world))
    return bearer(forge(claims, secret(world.settings), alg="HS512"))


def _alg_rs256_header_hmac_signed(world: World) -> dict[str, str]:
    claims = claims_for(world.settings, admin_subject(world))
    return bearer(forge(claims, secret(world.settings), alg="RS256", sign_with="HS256"))


def _expired(world: World) -> dict[str, str]:
    now = int(datetime.now(UTC).timestamp())
    return user_token(world, iat=now - 3600, exp=now - 5)


def _wrong_audience(world: World) -> dict[str, str]:
    return user_token(world, aud="another-api")


def _wrong_issuer(world: World) -> dict[str, str]:
    return user_token(world, iss="someone-else")


def _missing_claim(claim: str) -> Callable[[World], dict[str, str]]:
    def build(world: World) -> dict[str, str]:
        claims = claims_for(world.settings, admin_subject(world))
        del claims[claim]
        return bearer(forge(claims, secret(world.settings)))

    build.__name__ = f"_missing_{claim}"
    return build


def _unknown_user(world: World) -> dict[str, str]:
    return bearer(forge(claims_for(world.settings, f"user:{uuid.uuid4()}"), secret(world.settings)))


def _subject_without_a_kind(world: World) -> dict[str, str]:
    return bearer(forge(claims_for(world.settings, str(world.admin.id)), secret(world.settings)))


def _user_subject_with_a_token_id(world: World) -> dict[str, str]:
    issued = issue_api_token(
        world.client, world.admin_headers, world.secretariat.id, ["records:read"]
    )
    return user_token(world, jti=issued["id"])


def _organisation_subject_without_a_token_id(world: World) -> dict[str, str]:
    subject = f"organisation:{world.secretariat.id}"
    return bearer(forge(claims_for(world.settings, subject), secret(world.settings)))


def _api_token_id_under_another_organisation(world: World) -> dict[str, str]:
    issued = issue_api_token(
        world.client, world.admin_headers, world.partner_organisation.id, ["records:read"]
    )
    subject = f"organisation:{world.secretariat.id}"
    claims = claims_for(world.settings, subject, jti=issued["id"], scope=None)
    return bearer(forge(claims, secret(world.settings)))


def _revoked_api_token(world: World) -> dict[str, str]:
    issued = issue_api_token(
        world.client, world.admin_headers, world.partner_organisation.id, ["records:read"]
    )
    headers = bearer(issued["token"])
    assert_accepted_everywhere(world, headers)
    response = world.client.delete(f"{API_TOKENS_PATH}/{issued['id']}", headers=world.admin_headers)
    assert response.status_code == 204
    return headers


def _api_token_past_its_stored_expiry(world: World) -> dict[str, str]:
    issued = issue_api_token(
        world.client, world.admin_headers, world.partner_organisation.id, ["records:read"]
    )
    headers = bearer(issued["token"])
    assert_accepted_everywhere(world, headers)
    with Session(world.app.state.engine) as db:
        row = db.get(ApiToken, uuid.UUID(issued["id"]))
        assert row is not None
        row.expires_at = datetime(2020, 1, 1, tzinfo=UTC)
        db.add(row)
        db.commit()
    return headers


def _deactivated_user(world: World) -> dict[str, str]:
    assert_accepted_everywhere(world, world.partner_headers)
    response = world.client.patch(
        f"{USERS_PATH}/{world.partner.id}",
        headers=world.admin_headers,
        json={"is_active": False},
    )
    assert response.status_code == 200, response.text
    return world.partner_headers


def _deactivate_partner_organisation(world: World) -> None:
    response = world.client.patch(
        f"{ORGANISATIONS_PATH}/{world.partner_organisation.id}",
        headers=world.admin_headers,
        json={"is_active": False},
    )
    assert response.status_code == 200, response.text


def _user_of_a_deactivated_organisation(world: World) -> dict[str, str]:
    assert_accepted_everywhere(world, world.partner_headers)
    _deactivate_partner_organisation(world)
    return world.partner_headers


def _api_token_of_a_deactivated_organisation(world: World) -> dict[str, str]:
    issued = issue_api_token(
        world.client, world.admin_headers, world.partner_organisation.id, ["records:read"]
    )
    headers = bearer(issued["token"])
    assert_accepted_everywhere(world, headers)
    _deactivate_partner_organisation(world)
    return headers


REFUSED_TOKENS: list[Callable[[World], dict[str, str]]] = [
    _no_token,
    _empty_bearer,
    _basic_scheme,
    _not_a_jwt,
    _three_garbage_parts,
    _undecodable_payload,
    _signed_with_another_key,
    _signature_stripped,
    _payload_swapped_to_the_admin,
    _alg_none,
    _alg_none_capitalised,
    _alg_none_with_a_valid_signature,
    _alg_hs384_same_key,
    _alg_hs512_same_key,
    _alg_rs256_header_hmac_signed,
    _expired,
    _wrong_audience,
    _wrong_issuer,
    *(_missing_claim(claim) for claim in ("exp", "iat", "iss", "aud", "sub")),
    _unknown_user,
    _subject_without_a_kind,
    _user_subject_with_a_token_id,
    _organisation_subject_without_a_token_id,
    _api_token_id_under_another_organisation,
    _revoked_api_token,
    _api_token_past_its_stored_expiry,
    _deactivated_user,
    _user_of_a_deactivated_organisation,
    _api_token_of_a_deactivated_organisation,
]


@pytest.mark.parametrize("path", PROBE_ROUTES, ids=["me", "organisations"])
@pytest.mark.parametrize(
    "make_headers", REFUSED_TOKENS, ids=lambda make: make.__name__.strip("_").replace("_", "-")
)
def test_unusable_token_is_a_401_with_a_bearer_challenge(
    world: World, path: str, make_headers: Callable[[World], dict[str, str]]
) -> None:
    headers = make_headers(world)

    assert_unauthorized(world.client.get(path, headers=headers))


def test_hand_forged_token_with_every_claim_right_is_accepted(world: World) -> None:
    # The refusals above each change one thing about this token; it is accepted as it is.
    headers = user_token(world)

    assert_accepted_everywhere(world, headers)
    me = world.client.get(ME_PATH, headers=headers).json()
    assert me["user"]["id"] == str(world.admin.id)
    assert me["scopes"] == ["records:read"]


def test_hand_forged_api_token_claims_are_accepted_for_the_right_organisation(
    world: World,
) -> None:
    issued = issue_api_token(
        world.client, world.admin_headers, world.partner_organisation.id, ["records:read"]
    )
    subject = f"organisation:{world.partner_organisation.id}"
    claims = claims_for(world.settings, subject, jti=issued["id"], scope=None)

    headers = bearer(forge(claims, secret(world.settings)))

    assert_accepted_everywhere(world, headers)
    assert world.client.get(ME_PATH, headers=headers).json()["api_token"]["id"] == issued["id"]


# ---- every route but a few needs a token, and the scope it declares ------------------------

PUBLIC_OPERATIONS = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("POST", TOKEN_PATH),
}
# Served outside the OpenAPI document: the document itself and the documentation pages.
PUBLIC_UNDOCUMENTED = {
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
    ("*", "/docs/assets"),
}
KNOWN_ADMIN_OPERATIONS = {
    ("POST", ORGANISATIONS_PATH),
    ("PATCH", f"{ORGANISATIONS_PATH}/{{organisation_id}}"),
    ("GET", USERS_PATH),
    ("POST", USERS_PATH),
    ("GET", f"{USERS_PATH}/{{user_id}}"),
    ("PATCH", f"{USERS_PATH}/{{user_id}}"),
    ("GET", API_TOKENS_PATH),
    ("POST", API_TOKENS_PATH),
    ("DELETE", f"{API_TOKENS_PATH}/{{token_id}}"),
    ("GET", f"{API}/audit"),
}
KNOWN_READ_OPERATIONS = {
    ("GET", ORGANISATIONS_PATH),
    ("GET", f"{ORGANISATIONS_PATH}/{{organisation_id}}"),
}
KNOWN_ANY_SCOPE_OPERATIONS = {
    ("GET", ME_PATH),
    ("PATCH", ME_PATH),
    ("POST", PASSWORD_PATH),
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    scopes: frozenset[str]
    has_body: bool

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"

    def url(self) -> str:
        """The path with a random id for each parameter."""
        url = self.path
        while "{" in url:
            start, end = url.index("{"), url.index("}")
            url = f"{url[:start]}{uuid.uuid4()}{url[end + 1 :]}"
        return url

    def send(self, client: TestClient, headers: dict[str, str]) -> httpx2.Response:
        """The request built from the document alone: random ids, an empty JSON body."""
        body = {"json": {}} if self.has_body else {}
        return client.request(self.method, self.url(), headers=headers, **body)


def documented_operations(app: FastAPI) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def served_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) the application answers, documented or not, mounts as ("*", path)."""
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    routes = list(iterate(app.routes) if iterate else app.routes)
    served: set[tuple[str, str]] = set()
    for route in routes:
        path = route.path
        assert isinstance(path, str), f"a route without a path: {route!r}"
        methods = route.methods or {"*"}
        served.update((method, path) for method in methods if method != "HEAD")
    return served


def protected_operations(app: FastAPI) -> list[Operation]:
    operations = []
    for (method, path), operation in documented_operations(app).items():
        if (method, path) in PUBLIC_OPERATIONS:
            continue
        requirements = operation.get("security") or []
        scopes = frozenset(
            scope
            for requirement in requirements
            for scope in requirement.get("OAuth2PasswordBearer", [])
        )
        operations.append(Operation(method, path, scopes, "requestBody" in operation))
    return sorted(operations, key=lambda operation: operation.name)


def test_every_served_route_is_public_by_name_or_documented(app: FastAPI) -> None:
    served = served_routes(app)
    documented = set(documented_operations(app))

    assert PUBLIC_OPERATIONS - documented == set()
    assert PUBLIC_UNDOCUMENTED - served == set()
    # A route hidden from the document would escape the checks below: only these may be.
    assert served - documented == PUBLIC_UNDOCUMENTED
    assert documented - served == set()


def test_every_operation_but_health_and_login_declares_the_bearer_scheme(app: FastAPI) -> None:
    document = app.openapi()
    scheme = document["components"]["securitySchemes"]["OAuth2PasswordBearer"]
    assert scheme["type"] == "oauth2"
    assert scheme["flows"]["password"]["tokenUrl"] == TOKEN_PATH
    assert set(scheme["flows"]["password"]["scopes"]) == ALL_SCOPES

    unprotected = []
    for (method, path), operation in documented_operations(app).items():
        requirements = operation.get("security")
        if (method, path) in PUBLIC_OPERATIONS:
            assert not requirements, f"{method} {path} should be public"
            continue
        # One requirement: several would mean "any one of them", and say less than is checked.
        if (
            not requirements
            or len(requirements) != 1
            or set(requirements[0]) != {"OAuth2PasswordBearer"}
        ):
            unprotected.append(f"{method} {path}")

    assert unprotected == []


def test_each_operation_declares_the_scope_it_needs(app: FastAPI) -> None:
    operations = {(op.method, op.path): op for op in protected_operations(app)}

    assert len(operations) > 10
    known = KNOWN_ADMIN_OPERATIONS | KNOWN_READ_OPERATIONS | KNOWN_ANY_SCOPE_OPERATIONS
    assert known - set(operations) == set()
    for key in KNOWN_ADMIN_OPERATIONS:
        assert operations[key].scopes == {"admin"}, key
    for key in KNOWN_READ_OPERATIONS:
        assert operations[key].scopes == {"records:read"}, key
    for key in KNOWN_ANY_SCOPE_OPERATIONS:
        assert operations[key].scopes == frozenset(), key
    assert set().union(*(op.scopes for op in operations.values())) <= ALL_SCOPES


def test_every_protected_route_is_a_401_without_a_token(app: FastAPI, client: TestClient) -> None:
    operations = protected_operations(app)
    served = served_routes(app)
    assert len(operations) > 10
    assert {(op.method, op.path) for op in operations} == served - PUBLIC_OPERATIONS - (
        PUBLIC_UNDOCUMENTED
    )

    wrong = {}
    for operation in operations:
        response = operation.send(client, {})
        if (
            response.status_code != 401
            or response.headers.get("content-type") != PROBLEM_JSON
            or response.headers.get("www-authenticate") != "Bearer"
        ):
            wrong[operation.name] = response.status_code

    assert wrong == {}


def test_a_body_that_is_not_json_is_still_a_401_without_a_token(
    app: FastAPI, client: TestClient
) -> None:
    operations = [op for op in protected_operations(app) if op.has_body]
    assert len(operations) >= 5

    wrong = {}
    for operation in operations:
        response = client.request(
            operation.method,
            operation.url(),
            content=b'{"name": ',
            headers={"content-type": "application/json"},
        )
        if response.status_code != 401:
            wrong[operation.name] = response.status_code

    assert wrong == {}


def test_public_routes_answer_without_a_token(client: TestClient) -> None:
    for path in ("/healthz", "/openapi.json", "/docs", "/redoc"):
        assert client.get(path).status_code == 200, path


def test_every_scoped_route_is_a_403_for_a_token_lacking_its_scope(
    app: FastAPI,
    client: TestClient,
    admin: User,
    partner_organisation: Organisation,
    admin_headers: dict[str, str],
    partner_headers: dict[str, str],
    session: Session,
) -> None:
    reader = make_user(session, partner_organisation, Role.reader, "reader@example.org")
    reader_headers = login_token_headers(client, reader.email)
    partner_api_token = bearer(
        issue_api_token(
            client, admin_headers, partner_organisation.id, ["records:read", "reports:write"]
        )["token"]
    )
    # The admin's own login, narrowed through the OAuth2 form to every scope but the one needed.
    narrowed: dict[frozenset[str], dict[str, str]] = {}
    operations = [op for op in protected_operations(app) if op.scopes]
    assert len(operations) > 10

    wrong = {}
    for operation in operations:
        if operation.scopes not in narrowed:
            others = " ".join(sorted(ALL_SCOPES - operation.scopes))
            narrowed[operation.scopes] = login_token_headers(client, admin.email, scope=others)
        lacking = {"admin without it": narrowed[operation.scopes]}
        if "admin" in operation.scopes:
            lacking |= {
                "reader": reader_headers,
                "partner": partner_headers,
                "partner api token": partner_api_token,
            }
        for who, headers in lacking.items():
            response = operation.send(client, headers)
            if response.status_code != 403 or response.headers["content-type"] != PROBLEM_JSON:
                wrong[f"{operation.name} as {who}"] = response.status_code

    assert wrong == {}


def test_the_declared_scope_is_enough_for_every_route(
    app: FastAPI, client: TestClient, admin: User, partner_organisation: Organisation
) -> None:
    # An admin login narrowed to exactly what the document says gets past authorisation: the
    # request then fails or succeeds on its merits (404 for a random id, 422 for `{}`).
    operations = protected_operations(app)
    exact: dict[frozenset[str], dict[str, str]] = {}

    refused = {}
    for operation in operations:
        if operation.scopes not in exact:
            # An empty `scope` asks for nothing, which the service reads as the whole role;
            # a name no role has asks for a token without any scope.
            asked = " ".join(sorted(operation.scopes)) or "no-such-scope"
            exact[operation.scopes] = login_token_headers(client, admin.email, scope=asked)
        response = operation.send(client, exact[operation.scopes])
        if response.status_code in (401, 403) or response.status_code >= 500:
            refused[operation.name] = response.status_code

    assert refused == {}
    assert client.get(ME_PATH, headers=exact[frozenset()]).json()["scopes"] == []


# ---- a token's scopes narrow its role ------------------------------------------------------


def test_login_asking_for_records_read_gets_only_records_read(
    client: TestClient, admin: User
) -> None:
    headers = login_token_headers(client, admin.email, scope="records:read")

    me = client.get(ME_PATH, headers=headers).json()
    assert me["role"] == "admin"
    assert me["scopes"] == ["records:read"]
    assert client.get(ORGANISATIONS_PATH, headers=headers).status_code == 200
    assert_problem(client.get(USERS_PATH, headers=headers), 403)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.admin, ["admin", "records:read", "records:write", "reports:write"]),
        (Role.editor, ["records:read", "records:write", "reports:write"]),
        (Role.partner, ["records:read", "reports:write"]),
        (Role.reader, ["records:read"]),
    ],
)
def test_login_without_scopes_gets_everything_the_role_allows(
    client: TestClient,
    session: Session,
    secretariat: Organisation,
    role: Role,
    expected: list[str],
) -> None:
    user = make_user(session, secretariat, role, f"{role.value}@example.org")

    me = client.get(ME_PATH, headers=login_token_headers(client, user.email)).json()

    assert me["role"] == role.value
    assert me["scopes"] == expected


@pytest.mark.parametrize(
    ("asked", "expected"),
    [
        ("admin", []),
        ("admin records:write", []),
        ("records:read admin", ["records:read"]),
        ("records:read bogus:scope", ["records:read"]),
    ],
)
def test_a_reader_asking_for_more_than_the_role_gets_no_more(
    client: TestClient,
    session: Session,
    partner_organisation: Organisation,
    asked: str,
    expected: list[str],
) -> None:
    reader = make_user(session, partner_organisation, Role.reader, "reader@example.org")

    headers = login_token_headers(client, reader.email, scope=asked)

    assert client.get(ME_PATH, headers=headers).json()["scopes"] == expected
    assert_problem(client.get(USERS_PATH, headers=headers), 403)


def test_lowering_a_role_narrows_tokens_already_issued(
    client: TestClient,
    session: Session,
    secretariat: Organisation,
    admin_headers: dict[str, str],
) -> None:
    colleague = make_user(session, secretariat, Role.admin, "colleague@example.org")
    headers = login_token_headers(client, colleague.email)
    assert client.get(USERS_PATH, headers=headers).status_code == 200

    response = client.patch(
        f"{USERS_PATH}/{colleague.id}", headers=admin_headers, json={"role": "reader"}
    )
    assert response.status_code == 200

    me = client.get(ME_PATH, headers=headers).json()
    assert me["role"] == "reader"
    assert me["scopes"] == ["records:read"]
    assert_problem(client.get(USERS_PATH, headers=headers), 403)


# ---- write bodies cannot assign what the server owns ---------------------------------------


@dataclass(frozen=True)
class Write:
    name: str
    method: str
    path: Callable[[World], str]
    as_admin: bool
    body: Callable[[World], dict[str, Any]]
    ok: int
    text_field: str
    server_owned: tuple[tuple[str, Callable[[World], Any]], ...] = ()


def _an_id(world: World) -> Any:
    return str(uuid.uuid4())


def _a_time(world: World) -> Any:
    return "2020-01-01T00:00:00Z"


COMMON_FORBIDDEN: tuple[tuple[str, Callable[[World], Any]], ...] = (
    ("id", _an_id),
    ("created_at", _a_time),
    ("updated_at", _a_time),
    ("password_hash", lambda world: "$argon2id$v=19$m=65536,t=3,p=4$forged$forged"),
    ("is_superuser", lambda world: True),
)

WRITES = [
    Write(
        "create-organisation",
        "POST",
        lambda world: ORGANISATIONS_PATH,
        True,
        lambda world: {"name": "Domestic Workers Union", "kind": "trade_union", "country": "NP"},
        201,
        "name",
    ),
    Write(
        "update-organisation",
        "PATCH",
        lambda world: f"{ORGANISATIONS_PATH}/{world.partner_organisation.id}",
        True,
        lambda world: {"name": "Renamed CSO"},
        200,
        "name",
    ),
    Write(
        "create-user",
        "POST",
        lambda world: USERS_PATH,
        True,
        lambda world: {
            "email": "new.user@example.org",
            "full_name": "New User",
            "role": "reader",
            "organisation_id": str(world.partner_organisation.id),
            "password": NEW_PASSWORD,
        },
        201,
        "full_name",
    ),
    Write(
        "update-user",
        "PATCH",
        lambda world: f"{USERS_PATH}/{world.partner.id}",
        True,
        lambda world: {"full_name": "Renamed Partner"},
        200,
        "full_name",
        (("password", lambda world: NEW_PASSWORD),),
    ),
    Write(
        "issue-api-token",
        "POST",
        lambda world: API_TOKENS_PATH,
        True,
        lambda world: {
            "name": "nightly sync",
            "organisation_id": str(world.partner_organisation.id),
            "scopes": ["records:read"],
        },
        201,
        "name",
        (
            ("expires_at", lambda world: "2999-01-01T00:00:00Z"),
            ("revoked_at", _a_time),
            ("last_used_at", _a_time),
            ("created_by_user_id", lambda world: str(world.partner.id)),
            ("token", lambda world: "chosen-by-the-caller"),
        ),
    ),
    Write(
        "update-me",
        "PATCH",
        lambda world: ME_PATH,
        False,
        lambda world: {"full_name": "Renamed Myself"},
        200,
        "full_name",
        (
            ("role", lambda world: "admin"),
            ("organisation_id", lambda world: str(world.secretariat.id)),
            ("is_active", lambda world: True),
            ("email", lambda world: "taken.over@example.org"),
        ),
    ),
    Write(
        "change-password",
        "POST",
        lambda world: PASSWORD_PATH,
        False,
        lambda world: {"current_password": ADMIN_PASSWORD, "new_password": NEW_PASSWORD},
        204,
        "new_password",
        (("role", lambda world: "admin"),),
    ),
]

FORBIDDEN_CASES = [
    pytest.param(write, field, value, id=f"{write.name}-{field}")
    for write in WRITES
    for field, value in (*COMMON_FORBIDDEN, *write.server_owned)
]


def send_write(world: World, write: Write, body: dict[str, Any]) -> httpx2.Response:
    headers = world.admin_headers if write.as_admin else world.partner_headers
    return world.client.request(write.method, write.path(world), headers=headers, json=body)


@pytest.mark.parametrize(("write", "field", "value"), FORBIDDEN_CASES)
def test_a_field_the_body_does_not_offer_is_a_422_and_changes_nothing(
    world: World, write: Write, field: str, value: Callable[[World], Any]
) -> None:
    before = db_snapshot(world.app)
    submitted = value(world)

    response = send_write(world, write, write.body(world) | {field: submitted})

    body = assert_problem(response, 422)
    assert [error["location"] for error in body["errors"]] == [["body", field]]
    if isinstance(submitted, str) and len(submitted) > 8:
        assert submitted not in response.text
    assert db_snapshot(world.app) == before
    # The same body without the field is accepted: the field alone was the reason.
    assert send_write(world, write, write.body(world)).status_code == write.ok


@pytest.mark.parametrize("write", WRITES, ids=lambda write: write.name)
def test_a_nul_character_in_a_body_string_is_a_422_and_changes_nothing(
    world: World, write: Write
) -> None:
    before = db_snapshot(world.app)
    body = write.body(world)
    body[write.text_field] = body[write.text_field][:6] + "\x00" + body[write.text_field][6:]

    response = send_write(world, write, body)

    problem = assert_problem(response, 422)
    assert ["body", write.text_field] in [error["location"] for error in problem["errors"]]
    assert db_snapshot(world.app) == before


def test_a_partner_cannot_make_itself_admin_or_join_another_organisation(world: World) -> None:
    for field, value in (("role", "admin"), ("organisation_id", str(world.secretariat.id))):
        body = {"full_name": "Maria Santos", field: value}
        response = world.client.patch(ME_PATH, headers=world.partner_headers, json=body)
        problem = assert_problem(response, 422)
        assert [error["location"] for error in problem["errors"]] == [["body", field]]

    stored = fresh(world.app, User, world.partner.id)
    assert stored.role is Role.partner
    assert stored.organisation_id == world.partner_organisation.id
    assert stored.full_name == world.partner.full_name
    me = world.client.get(ME_PATH, headers=world.partner_headers).json()
    assert me["role"] == "partner"
    assert me["scopes"] == ["records:read", "reports:write"]
    assert_problem(world.client.get(USERS_PATH, headers=world.partner_headers), 403)


def test_updating_my_profile_changes_my_name_only(world: World) -> None:
    response = world.client.patch(
        ME_PATH, headers=world.partner_headers, json={"full_name": "Maria Santos"}
    )

    assert response.status_code == 200
    assert response.json()["user"]["full_name"] == "Maria Santos"
    stored = fresh(world.app, User, world.partner.id)
    assert stored.full_name == "Maria Santos"
    assert stored.role is Role.partner
    assert stored.email == world.partner.email


def test_an_api_token_has_no_profile_to_update(world: World) -> None:
    issued = issue_api_token(
        world.client, world.admin_headers, world.partner_organisation.id, ["records:read"]
    )
    before = db_snapshot(world.app)

    response = world.client.patch(
        ME_PATH, headers=bearer(issued["token"]), json={"full_name": "A Script"}
    )

    assert_problem(response, 403)
    assert db_snapshot(world.app) == before


# ---- changing one's password ---------------------------------------------------------------


def test_changing_the_password_needs_the_current_one(world: World) -> None:
    before = db_snapshot(world.app)

    response = world.client.post(
        PASSWORD_PATH,
        headers=world.partner_headers,
        json={"current_password": ADMIN_PASSWORD + "x", "new_password": NEW_PASSWORD},
    )

    assert_problem(response, 403)
    assert db_snapshot(world.app) == before
    assert log_in(world.client, world.partner.email, NEW_PASSWORD).status_code == 401
    assert log_in(world.client, world.partner.email, ADMIN_PASSWORD).status_code == 200


def test_changing_the_password_replaces_the_old_one(world: World) -> None:
    response = world.client.post(
        PASSWORD_PATH,
        headers=world.partner_headers,
        json={"current_password": ADMIN_PASSWORD, "new_password": NEW_PASSWORD},
    )

    assert response.status_code == 204
    assert response.content == b""
    assert_unauthorized(log_in(world.client, world.partner.email, ADMIN_PASSWORD))
    assert log_in(world.client, world.partner.email, NEW_PASSWORD).status_code == 200
    stored = fresh(world.app, User, world.partner.id)
    assert stored.password_hash.startswith("$argon2")
    assert NEW_PASSWORD not in stored.password_hash


def test_an_api_token_has_no_password_to_change(world: World) -> None:
    issued = issue_api_token(
        world.client, world.admin_headers, world.partner_organisation.id, ["records:read"]
    )
    before = db_snapshot(world.app)

    response = world.client.post(
        PASSWORD_PATH,
        headers=bearer(issued["token"]),
        json={"current_password": ADMIN_PASSWORD, "new_password": NEW_PASSWORD},
    )

    assert_problem(response, 403)
    assert db_snapshot(world.app) == before
    assert log_in(world.client, world.partner.email, ADMIN_PASSWORD).status_code == 200
