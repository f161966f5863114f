"""Every 4xx and 5xx is an RFC 9457 problem document, and none of them leaks what it should not."""

import logging
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from pydantic import BaseModel

from app.core.errors import PROBLEM_MEDIA_TYPE, NotFoundError
from app.identity.models import User
from tests.conftest import ADMIN_PASSWORD

TOKEN_URL = "/api/v1/auth/token"
# Distinctive enough that finding it anywhere in a response can only mean it was echoed.
SECRET_VALUE = "s3cr3t-Testimony-7f3a9c"


def assert_problem(response: Response, status: int) -> dict[str, Any]:
    """Check the RFC 9457 shape shared by every error response and return the body."""
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert body["type"] == "about:blank"
    assert isinstance(body["title"], str)
    assert body["title"]
    assert body["status"] == status
    assert body["instance"] == response.request.url.path
    assert isinstance(body.get("detail", ""), str)
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


def test_unknown_route_is_a_404_problem(client: TestClient) -> None:
    body = assert_problem(client.get("/no/such/route"), 404)

    assert body["title"] == "Not Found"


def test_wrong_method_on_an_existing_route_is_a_405_problem_with_allow(client: TestClient) -> None:
    response = client.delete("/healthz")

    body = assert_problem(response, 405)
    assert body["title"] == "Method Not Allowed"
    assert "GET" in response.headers["Allow"]


class _Payload(BaseModel):
    count: int


@pytest.fixture
def app_with_json_route(own_app: FastAPI) -> FastAPI:
    @own_app.post("/test-only/payload")
    def accept_payload(payload: _Payload) -> _Payload:
        return payload

    return own_app


def _assert_field_errors(body: dict[str, Any]) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = body["errors"]
    assert errors
    for error in errors:
        assert set(error) == {"location", "message", "type"}
        assert isinstance(error["location"], list)
        assert isinstance(error["message"], str)
        assert isinstance(error["type"], str)
    return errors


def test_validation_error_is_a_422_problem_listing_each_field_error(client: TestClient) -> None:
    response = client.post(TOKEN_URL, data={"username": "someone@example.org"})

    body = assert_problem(response, 422)
    errors = _assert_field_errors(body)
    assert {"location": ["body", "password"], "message": "Field required", "type": "missing"} in (
        errors
    )


def test_missing_field_error_does_not_echo_the_other_submitted_fields(client: TestClient) -> None:
    # Pydantic reports a missing field with the whole submitted form as its `input`.
    response = client.post(TOKEN_URL, data={"username": SECRET_VALUE})

    assert_problem(response, 422)
    assert SECRET_VALUE not in response.text


def test_invalid_form_value_is_not_echoed(client: TestClient) -> None:
    response = client.post(
        TOKEN_URL, data={"grant_type": SECRET_VALUE, "username": "a@example.org", "password": "x"}
    )

    body = assert_problem(response, 422)
    locations = [error["location"] for error in _assert_field_errors(body)]
    assert ["body", "grant_type"] in locations
    assert SECRET_VALUE not in response.text


def test_json_field_of_the_wrong_type_is_not_echoed(app_with_json_route: FastAPI) -> None:
    with TestClient(app_with_json_route) as client:
        response = client.post("/test-only/payload", json={"count": SECRET_VALUE})

    body = assert_problem(response, 422)
    errors = _assert_field_errors(body)
    assert [error["location"] for error in errors] == [["body", "count"]]
    assert errors[0]["type"] == "int_parsing"
    assert SECRET_VALUE not in response.text


def test_malformed_json_is_a_422_problem_that_does_not_echo_the_body(
    app_with_json_route: FastAPI,
) -> None:
    with TestClient(app_with_json_route) as client:
        response = client.post(
            "/test-only/payload",
            content=f'{{"count": "{SECRET_VALUE}"',
            headers={"Content-Type": "application/json"},
        )

    body = assert_problem(response, 422)
    errors = _assert_field_errors(body)
    assert errors[0]["type"] == "json_invalid"
    assert SECRET_VALUE not in response.text


@pytest.fixture
def app_with_failing_route(own_app: FastAPI) -> FastAPI:
    @own_app.get("/test-only/boom")
    def boom() -> None:
        raise RuntimeError("secret sql detail")

    return own_app


def test_unexpected_exception_is_a_500_problem_without_its_details(
    app_with_failing_route: FastAPI,
) -> None:
    with TestClient(app_with_failing_route, raise_server_exceptions=False) as client:
        response = client.get("/test-only/boom")

    body = assert_problem(response, 500)
    assert body["title"] == "Internal Server Error"
    for leak in ("secret sql detail", "RuntimeError", "Traceback", "test_errors.py"):
        assert leak not in response.text


def test_unexpected_exception_is_logged_with_its_traceback(
    app_with_failing_route: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.ERROR, logger="app.core.errors"),
        TestClient(app_with_failing_route, raise_server_exceptions=False) as client,
    ):
        client.get("/test-only/boom")

    logged = [record for record in caplog.records if record.name == "app.core.errors"]
    assert len(logged) == 1
    assert logged[0].exc_info is not None
    assert isinstance(logged[0].exc_info[1], RuntimeError)
    assert str(logged[0].exc_info[1]) == "secret sql detail"


def test_domain_error_renders_with_its_status_and_detail(own_app: FastAPI) -> None:
    @own_app.get("/test-only/missing")
    def missing() -> None:
        raise NotFoundError("No record with this id.")

    with TestClient(own_app) as client:
        response = client.get("/test-only/missing")

    body = assert_problem(response, 404)
    assert body["detail"] == "No record with this id."
    assert "WWW-Authenticate" not in response.headers


def test_wrong_password_is_a_401_problem_asking_for_a_bearer_token(
    client: TestClient, admin: User
) -> None:
    response = client.post(
        TOKEN_URL, data={"username": admin.email, "password": ADMIN_PASSWORD + "-wrong"}
    )

    body = assert_problem(response, 401)
    assert body["detail"] == "Incorrect e-mail or password."
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_unknown_email_gets_the_same_401_as_a_wrong_password(
    client: TestClient, admin: User
) -> None:
    wrong_password = client.post(TOKEN_URL, data={"username": admin.email, "password": "nope"})
    unknown_email = client.post(
        TOKEN_URL, data={"username": "nobody@example.org", "password": ADMIN_PASSWORD}
    )

    assert_problem(unknown_email, 401)
    assert unknown_email.json()["detail"] == wrong_password.json()["detail"]
    assert unknown_email.headers["WWW-Authenticate"] == "Bearer"


def test_missing_bearer_token_is_a_401_problem(client: TestClient) -> None:
    response = client.get("/api/v1/auth/me")

    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_problem_documents_are_described_in_openapi(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()

    problem = schema["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "instance", "errors"} <= set(problem["properties"])
    login_responses = schema["paths"][TOKEN_URL]["post"]["responses"]
    assert PROBLEM_MEDIA_TYPE in login_responses["401"]["content"]
    assert PROBLEM_MEDIA_TYPE in login_responses["422"]["content"]
