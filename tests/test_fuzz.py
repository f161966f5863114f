"""Property-based fuzzing of every operation in the OpenAPI document, with every check.

Schemathesis generates valid and invalid requests from the document and checks that responses
conform to it: no 5xx, only documented statuses, content types, headers and schemas, invalid data
rejected, valid data accepted, authentication not ignored.
"""

from datetime import date
from typing import Any

import schemathesis
from email_validator import SPECIAL_USE_DOMAIN_NAMES
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis import Case, HookContext
from schemathesis.core.parameters import ParameterLocation

from app.core.config import Settings
from app.main import create_app

# The document only depends on the code, so it is read once from an app with no database. Every
# request goes to the test's own `app` fixture instead (bound to its own clean database); were one
# to reach this app, its database has no tables and the 500 would fail the test.
# schemathesis.pytest.from_fixture would load it per test, but schemathesis 4.32.5's lazy loader
# reads `request.node._nodeid`, which pytest 9.2 no longer has (AttributeError before any case).
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(Settings(_env_file=None, database_url="sqlite://"))
)


@schema.hook
def map_case(context: HookContext, case: Case) -> Case:
    """Leave `cursor` out: it is an opaque token the service mints, so a generated string is
    never a valid one, and refusing it (422) is right. Cursors are tested by walking pages."""
    # A negative case may be negative through its cursor: leave those as generated.
    negative_query = case._meta is not None and case._meta.is_negative_at(ParameterLocation.QUERY)
    if case.query and not negative_query:
        case.query.pop("cursor", None)
    return case


# Dates the service keeps in order, as the fields' descriptions say; a schema cannot express it.
ORDERED_DATES = [("adopted_on", "entered_into_force_on")]


@schema.hook
def map_body(context: HookContext, body: Any) -> Any:
    """Make generated bodies keep the two rules the schema cannot express: e-mails off reserved
    domains (.local, .invalid, ...), and dates in order. Only well-formed values are touched,
    so negative cases stay negative."""
    if not isinstance(body, dict):
        return body
    for earlier, later in ORDERED_DATES:
        first, second = body.get(earlier), body.get(later)
        if _is_iso_date(first) and _is_iso_date(second) and second < first:
            body[earlier], body[later] = second, first
    if isinstance(body.get("email"), str):
        local, _, domain = body["email"].rpartition("@")
        reserved = any(
            domain.lower() == name or domain.lower().endswith("." + name)
            for name in SPECIAL_USE_DOMAIN_NAMES
        )
        if reserved:
            body["email"] = f"{local}@example.org"
    return body


def _is_iso_date(value: Any) -> bool:
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_every_operation_conforms_to_its_documentation(
    case: Case, app: FastAPI, admin_headers: dict[str, str]
) -> None:
    case.call_and_validate(headers=admin_headers, app=app)
