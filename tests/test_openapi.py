"""The OpenAPI document and the self-hosted documentation pages."""

from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from app import __version__
from app.identity.dependencies import TOKEN_URL

PROBLEM_JSON = "application/problem+json"
HTTP_METHODS = {"get", "put", "post", "patch", "delete", "options", "head", "trace"}


@pytest.fixture
def openapi(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def operations(openapi: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = [
        (f"{method.upper()} {path}", operation)
        for path, item in openapi["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]
    assert found, "the document declares no operations"
    return found


def test_openapi_document_is_valid(openapi: dict[str, Any]) -> None:
    validate(openapi)


def test_info_names_the_api_its_version_and_how_to_authenticate(openapi: dict[str, Any]) -> None:
    info = openapi["info"]

    assert info["title"].strip()
    assert info["version"] == __version__
    assert "authentication" in info["description"].lower()
    assert TOKEN_URL in info["description"]


def test_every_operation_has_a_tag_and_a_summary(openapi: dict[str, Any]) -> None:
    untagged = [name for name, operation in operations(openapi) if not operation.get("tags")]
    unsummarised = [
        name for name, operation in operations(openapi) if not operation.get("summary", "").strip()
    ]

    assert untagged == []
    assert unsummarised == []


def test_every_tag_in_use_is_described(openapi: dict[str, Any]) -> None:
    described = {tag["name"] for tag in openapi.get("tags", []) if tag.get("description")}
    used = {tag for _, operation in operations(openapi) for tag in operation.get("tags", [])}

    assert used, "no operation has a tag"
    assert used <= described, f"tags without a description: {sorted(used - described)}"


def test_every_operation_declares_its_errors_as_problem_documents(
    openapi: dict[str, Any],
) -> None:
    without_errors: list[str] = []
    not_problems: list[str] = []
    for name, operation in operations(openapi):
        error_statuses = [status for status in operation["responses"] if status[0] in "45"]
        if not error_statuses:
            without_errors.append(name)
        for status in error_statuses:
            content = operation["responses"][status].get("content", {})
            schema = content.get(PROBLEM_JSON, {}).get("schema", {})
            if schema.get("$ref") != "#/components/schemas/Problem":
                not_problems.append(f"{name} {status}")

    assert without_errors == []
    assert not_problems == []


def test_password_flow_security_scheme_points_at_the_login_endpoint(
    openapi: dict[str, Any],
) -> None:
    schemes = openapi["components"]["securitySchemes"]
    password_flows = {
        name: scheme["flows"]["password"]
        for name, scheme in schemes.items()
        if scheme["type"] == "oauth2" and "password" in scheme.get("flows", {})
    }

    assert len(password_flows) == 1
    [(scheme_name, flow)] = password_flows.items()
    assert flow["tokenUrl"] == "/api/v1/auth/token"
    assert "post" in openapi["paths"][flow["tokenUrl"]]
    assert {scheme_name: []} in openapi["paths"]["/api/v1/auth/me"]["get"]["security"]


class _AssetReferences(HTMLParser):
    """Collects the `src` of scripts and the `href` of links in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


def asset_references(html: str) -> list[str]:
    parser = _AssetReferences()
    parser.feed(html)
    return parser.urls


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_only_assets_the_app_serves_itself(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")

    urls = asset_references(response.text)

    assert any(url.endswith(".js") for url in urls), urls
    external = [url for url in urls if url.startswith(("http://", "https://", "//"))]
    assert external == []
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert asset.content, url
    assert "/openapi.json" in response.text


def test_swagger_ui_oauth2_redirect_page_is_served(client: TestClient) -> None:
    response = client.get("/docs/oauth2-redirect")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


def _shows_an_example(
    openapi: dict[str, Any], schema: Any, seen: frozenset[str] = frozenset()
) -> bool:
    """Whether a schema, or any schema it is made of, carries an example."""
    if isinstance(schema, list):
        return any(_shows_an_example(openapi, item, seen) for item in schema)
    if not isinstance(schema, dict):
        return False
    if "example" in schema or "examples" in schema:
        return True
    reference = schema.get("$ref")
    if isinstance(reference, str):
        if reference in seen:
            return False
        name = reference.rsplit("/", 1)[-1]
        return _shows_an_example(
            openapi, openapi["components"]["schemas"][name], seen | {reference}
        )
    return any(_shows_an_example(openapi, value, seen) for value in schema.values())


def test_every_operation_shows_examples_of_its_parameters_body_and_answer(
    openapi: dict[str, Any],
) -> None:
    missing = []
    for name, operation in operations(openapi):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path" and not _shows_an_example(openapi, parameter):
                missing.append(f"{name}: path parameter {parameter['name']}")
        body = operation.get("requestBody", {}).get("content", {})
        for media_type, content in body.items():
            if not _shows_an_example(openapi, content):
                missing.append(f"{name}: {media_type} body")
        for status, response in operation["responses"].items():
            content = response.get("content", {}).get("application/json")
            if status.startswith("2") and content and not _shows_an_example(openapi, content):
                missing.append(f"{name}: {status} answer")

    assert missing == []
