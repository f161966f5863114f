"""Request ids on every response, and the request body limit, declared or chunked."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response

from app.core.config import Settings
from app.core.errors import PROBLEM_MEDIA_TYPE
from app.main import create_app

TOKEN_URL = "/api/v1/auth/token"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
GENERATED_REQUEST_ID = re.compile(r"[0-9a-f]{32}")
BODY_LIMIT = 2048


def assert_problem(response: Response, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


# --- request ids ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "data", "status"),
    [
        ("GET", "/healthz", None, 200),
        ("GET", "/no/such/route", None, 404),
        ("DELETE", "/healthz", None, 405),
        ("POST", TOKEN_URL, {"username": "someone@example.org"}, 422),
        ("POST", TOKEN_URL, {"username": "someone@example.org", "password": "wrong"}, 401),
    ],
)
def test_every_response_carries_a_generated_request_id(
    client: TestClient, method: str, path: str, data: dict[str, str] | None, status: int
) -> None:
    response = client.request(method, path, data=data)

    assert response.status_code == status
    assert GENERATED_REQUEST_ID.fullmatch(response.headers["X-Request-ID"])


def test_each_request_gets_its_own_id(client: TestClient) -> None:
    ids = {client.get("/healthz").headers["X-Request-ID"] for _ in range(3)}

    assert len(ids) == 3


@pytest.mark.parametrize(
    "sent", ["0b9a-4f2c", "client.42:retry_1", "A" * 128], ids=["uuid-like", "punct", "128-chars"]
)
def test_acceptable_caller_request_id_is_echoed_in_header_and_problem(
    client: TestClient, sent: str
) -> None:
    ok = client.get("/healthz", headers={"X-Request-ID": sent})
    not_found = client.get("/no/such/route", headers={"X-Request-ID": sent})

    assert ok.headers["X-Request-ID"] == sent
    assert not_found.headers["X-Request-ID"] == sent
    assert assert_problem(not_found, 404)["request_id"] == sent


@pytest.mark.parametrize(
    "sent",
    [
        "",
        "has space",
        "A" * 129,
        "tab\tinside",
        "inject;level=ERROR",
        '"quoted"',
        "x" * 64 + "\u00e9",
    ],
    ids=["empty", "space", "129-chars", "tab", "semicolon", "quotes", "non-ascii"],
)
def test_unacceptable_caller_request_id_is_replaced(client: TestClient, sent: str) -> None:
    response = client.get("/no/such/route", headers={b"X-Request-ID": sent.encode()})

    request_id = response.headers["X-Request-ID"]
    assert request_id != sent
    assert GENERATED_REQUEST_ID.fullmatch(request_id)
    assert assert_problem(response, 404)["request_id"] == request_id


def test_validation_problem_request_id_equals_the_header(client: TestClient) -> None:
    response = client.post(TOKEN_URL, data={"username": "someone@example.org"})

    assert assert_problem(response, 422)["request_id"] == response.headers["X-Request-ID"]


def test_unexpected_error_still_carries_the_request_id(own_app: FastAPI) -> None:
    @own_app.get("/test-only/boom")
    def boom() -> None:
        raise RuntimeError("secret sql detail")

    with TestClient(own_app, raise_server_exceptions=False) as client:
        generated = client.get("/test-only/boom")
        echoed = client.get("/test-only/boom", headers={"X-Request-ID": "trace-500"})

    request_id = generated.headers["X-Request-ID"]
    assert GENERATED_REQUEST_ID.fullmatch(request_id)
    assert assert_problem(generated, 500)["request_id"] == request_id
    assert echoed.headers["X-Request-ID"] == "trace-500"
    assert assert_problem(echoed, 500)["request_id"] == "trace-500"


# --- body size limit ------------------------------------------------------------------------------


@pytest.fixture
def limited_client(settings: Settings) -> Iterator[TestClient]:
    application = create_app(settings.model_copy(update={"max_body_bytes": BODY_LIMIT}))
    try:
        with TestClient(application) as test_client:
            yield test_client
    finally:
        application.state.engine.dispose()


def login_form_of_size(size: int) -> bytes:
    """A well-formed login form (unknown user) of exactly `size` bytes."""
    prefix = b"username=nobody%40example.org&password="
    return prefix + b"p" * (size - len(prefix))


def in_chunks(body: bytes, chunk_size: int = 500) -> Iterator[bytes]:
    for start in range(0, len(body), chunk_size):
        yield body[start : start + chunk_size]


def test_body_over_the_limit_with_content_length_is_a_413_problem(
    limited_client: TestClient,
) -> None:
    body = login_form_of_size(BODY_LIMIT + 1)

    response = limited_client.post(TOKEN_URL, content=body, headers=FORM)

    assert response.request.headers["Content-Length"] == str(BODY_LIMIT + 1)
    problem = assert_problem(response, 413)
    assert str(BODY_LIMIT) in problem["detail"]
    assert problem["request_id"] == response.headers["X-Request-ID"]
    assert GENERATED_REQUEST_ID.fullmatch(response.headers["X-Request-ID"])


def test_declared_length_over_the_limit_is_refused_without_reading_the_body(
    limited_client: TestClient,
) -> None:
    response = limited_client.post(
        TOKEN_URL,
        content=login_form_of_size(100),
        headers={**FORM, "Content-Length": str(BODY_LIMIT * 1000)},
    )

    assert_problem(response, 413)


def test_chunked_body_over_the_limit_without_content_length_is_a_413_problem(
    limited_client: TestClient,
) -> None:
    body = login_form_of_size(BODY_LIMIT + 1)

    response = limited_client.post(TOKEN_URL, content=in_chunks(body), headers=FORM)

    assert "Content-Length" not in response.request.headers
    assert response.request.headers["Transfer-Encoding"] == "chunked"
    problem = assert_problem(response, 413)
    assert problem["request_id"] == response.headers["X-Request-ID"]


def test_multipart_body_over_the_limit_is_a_413_problem(limited_client: TestClient) -> None:
    response = limited_client.post(
        TOKEN_URL,
        data={"username": "nobody@example.org", "password": "p" * BODY_LIMIT},
        files={"attachment": ("note.txt", b"a note")},
    )

    assert response.request.headers["Content-Type"].startswith("multipart/form-data")
    assert_problem(response, 413)


def test_body_at_the_limit_is_not_refused(limited_client: TestClient) -> None:
    response = limited_client.post(TOKEN_URL, content=login_form_of_size(BODY_LIMIT), headers=FORM)

    assert_problem(response, 401)


def test_chunked_body_at_the_limit_is_not_refused(limited_client: TestClient) -> None:
    body = login_form_of_size(BODY_LIMIT)

    response = limited_client.post(TOKEN_URL, content=in_chunks(body), headers=FORM)

    assert "Content-Length" not in response.request.headers
    assert_problem(response, 401)


def test_invalid_body_under_the_limit_is_judged_on_its_content(
    limited_client: TestClient,
) -> None:
    response = limited_client.post(TOKEN_URL, data={"username": "someone@example.org"})

    assert_problem(response, 422)


def test_default_limit_accepts_a_body_the_small_limit_refuses(client: TestClient) -> None:
    response = client.post(TOKEN_URL, content=login_form_of_size(BODY_LIMIT * 2), headers=FORM)

    assert_problem(response, 401)
