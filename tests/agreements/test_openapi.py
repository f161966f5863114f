"""The agreements API as the OpenAPI document describes it: an example create body that the API
accepts, the filters as query parameters, and the vocabularies partners rely on."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.agreements.helpers import AGREEMENTS, CONTRACT_FIELDS, ok

FILTERS = {
    "country",
    "origin",
    "destination",
    "kind",
    "status",
    "sector",
    "signed_from",
    "signed_to",
    "expiring_from",
    "expiring_before",
    "q",
    "updated_since",
}
KINDS = ["mou", "bilateral_agreement", "multilateral_agreement", "regional_framework"]
STATUSES = [
    "draft",
    "under_negotiation",
    "signed",
    "in_force",
    "under_review",
    "suspended",
    "expired",
    "terminated",
]
SECTORS = [
    "domestic_work",
    "construction",
    "agriculture",
    "fishing",
    "manufacturing",
    "care",
    "hospitality",
    "seafaring",
    "general",
]


@pytest.fixture
def openapi(client: TestClient) -> dict[str, Any]:
    document: dict[str, Any] = ok(client.get("/openapi.json"))
    return document


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The schema a `$ref` points to (or the schema itself)."""
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = document["components"]["schemas"][name]
    return schema


def not_null(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The non-null variant of an optional value's schema."""
    variants = [v for v in schema.get("anyOf", [schema]) if v.get("type") != "null"]
    assert len(variants) == 1, schema
    return resolve(document, variants[0])


def request_schema(document: dict[str, Any], method: str) -> dict[str, Any]:
    path = AGREEMENTS if method == "post" else f"{AGREEMENTS}/{{record_id}}"
    content = document["paths"][path][method]["requestBody"]["content"]["application/json"]
    return resolve(document, content["schema"])


def example_body(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The body the docs offer: each property's first example, or an enum's first value, as
    Swagger UI fills in its "Try it out" form."""
    built: dict[str, Any] = {}
    for name, prop in schema["properties"].items():
        if prop.get("examples"):
            built[name] = prop["examples"][0]
        elif name in schema["required"]:
            built[name] = resolve(document, prop)["enum"][0]
    return built


def test_the_create_body_has_examples_the_api_accepts(
    client: TestClient, openapi: dict[str, Any], admin_headers: dict[str, str]
) -> None:
    schema = request_schema(openapi, "post")
    for name in ("title", "parties", "sectors"):
        assert schema["properties"][name].get("examples"), name
    example = example_body(openapi, schema)
    assert set(schema["required"]) <= example.keys()

    created = ok(client.post(AGREEMENTS, json=example, headers=admin_headers), 201)

    assert {name: created[name] for name in example} == example


def test_the_create_body_refuses_unknown_fields_and_says_mous_need_two_parties(
    openapi: dict[str, Any],
) -> None:
    schema = request_schema(openapi, "post")

    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"title", "kind", "status", "parties"}
    assert sorted(schema["if"]["properties"]["kind"]["enum"]) == ["bilateral_agreement", "mou"]
    assert schema["then"]["properties"]["parties"]["minItems"] == 2
    party = resolve(openapi, schema["properties"]["parties"]["items"])
    assert party["additionalProperties"] is False
    assert set(party["required"]) == {"country", "role"}
    assert resolve(openapi, party["properties"]["role"])["enum"] == [
        "origin",
        "destination",
        "party",
    ]


def test_the_patch_body_offers_no_null_for_required_fields(openapi: dict[str, Any]) -> None:
    schema = request_schema(openapi, "patch")

    assert schema["additionalProperties"] is False
    assert not schema.get("required")
    for name in ("title", "kind", "status", "sectors", "sources", "parties", "visibility"):
        prop = schema["properties"][name]
        variants = prop.get("anyOf", [prop])
        assert all(variant.get("type") != "null" for variant in variants), name


def test_the_list_takes_every_filter_as_a_query_parameter(openapi: dict[str, Any]) -> None:
    parameters = openapi["paths"][AGREEMENTS]["get"]["parameters"]
    in_query = {p["name"]: p for p in parameters if p["in"] == "query"}

    assert in_query.keys() >= FILTERS
    assert not any(in_query[name].get("required") for name in FILTERS)
    assert not_null(openapi, in_query["kind"]["schema"])["enum"] == KINDS
    assert not_null(openapi, in_query["status"]["schema"])["enum"] == STATUSES
    assert not_null(openapi, in_query["sector"]["schema"])["enum"] == SECTORS
    for name in ("country", "origin", "destination"):
        codes = not_null(openapi, in_query[name]["schema"])["enum"]
        assert {"PH", "SA", "VN", "MY"} <= set(codes), name
        assert in_query[name].get("description"), name
    for name in ("signed_from", "signed_to", "expiring_from", "expiring_before"):
        assert not_null(openapi, in_query[name]["schema"])["format"] == "date", name
    assert not_null(openapi, in_query["updated_since"]["schema"])["format"] == "date-time"


def test_the_documented_agreement_carries_the_contract_fields_and_vocabularies(
    openapi: dict[str, Any],
) -> None:
    response = openapi["paths"][AGREEMENTS]["get"]["responses"]["200"]
    page = resolve(openapi, response["content"]["application/json"]["schema"])
    assert {"items", "next_cursor"} <= page["properties"].keys()
    agreement = resolve(openapi, page["properties"]["items"]["items"])

    assert agreement["properties"].keys() >= CONTRACT_FIELDS
    properties = agreement["properties"]
    assert resolve(openapi, properties["kind"])["enum"] == KINDS
    assert resolve(openapi, properties["status"])["enum"] == STATUSES
    assert resolve(openapi, properties["sectors"]["items"])["enum"] == SECTORS
    party = resolve(openapi, properties["parties"]["items"])
    assert {"country", "role"} <= party["properties"].keys()
