"""Property-based fuzzing of every operation in the OpenAPI document, with every check.

Schemathesis generates valid and invalid requests from the document and checks that responses
conform to it: no 5xx, only documented statuses, content types, headers and schemas, invalid data
rejected, valid data accepted, authentication not ignored; as the secretariat's admin, who may
call everything, and as a partner organisation's API token.
"""

import os
import re
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import schemathesis
from email_validator import SPECIAL_USE_DOMAIN_NAMES
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis import Case, HookContext
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.feedback import NO_FEEDBACK
from schemathesis.generation.hypothesis.builder import ApiOperationMark, add_coverage
from schemathesis.generation.overrides import with_config_headers
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlmodel import Session

from app.agreements import service as agreements
from app.agreements.models import (
    Agreement,
    AgreementKind,
    AgreementParty,
    AgreementStatus,
    PartyRole,
)
from app.assessments.models import DEFAULT_RUBRIC_ID, MAX_CRITERIA
from app.assessments.service import RUBRIC_FILE
from app.audit.service import Actor
from app.core.config import Settings
from app.identity.models import Organisation
from app.laws import service as laws
from app.laws.models import Law, LawKind, LawStatus
from app.main import create_app
from app.records import service as records

# The document only depends on the code, so it is read once from an app with no database. Every
# request goes to the test's own `app` fixture instead (bound to its own clean database); were one
# to reach this app, its database has no tables and the 500 would fail the test.
# schemathesis.pytest.from_fixture would load it per test, but schemathesis 4.32.5's lazy loader
# reads `request.node._nodeid`, which pytest 9.2 no longer has (AttributeError before any case).
DOCUMENTED_APP = create_app(Settings(_env_file=None, database_url="sqlite://"))


def map_case(context: HookContext, case: Case) -> Case:
    """Leave `cursor` out: it is an opaque token the service mints, so a generated string is
    never a valid one, and refusing it (422) is right. Cursors are tested by walking pages."""
    # A negative case may be negative through its cursor: leave those as generated.
    negative_query = case._meta is not None and case._meta.is_negative_at(ParameterLocation.QUERY)
    if case.query and not negative_query:
        case.query.pop("cursor", None)
    _two_countries(case)
    return case


def _two_countries(case: Case) -> None:
    """A corridor joins two different countries, which a schema cannot say of two parameters."""
    if case.path != "/api/v1/corridors/{origin}/{destination}" or not case.path_parameters:
        return
    origin, destination = (case.path_parameters.get(name) for name in ("origin", "destination"))
    # Only well-formed codes are touched, so negative cases stay negative.
    if (
        isinstance(origin, str)
        and COUNTRY_CODE.match(origin)
        and str(destination).upper() == origin.upper()
    ):
        case.path_parameters["destination"] = "PH" if origin.upper() != "PH" else "SA"


# Dates the service keeps in order, as the fields' descriptions say; a schema cannot express it.
ORDERED_DATES = [
    ("adopted_on", "entered_into_force_on"),
    ("signed_on", "effective_on", "expires_on"),
    ("signed_on", "ratified_on", "in_force_on"),
    ("ratified_on", "registered_on"),
    ("enacted_on", "effective_on"),
    ("started_on", "ended_on"),
    ("start_date", "end_date"),
]
# Record kinds that need two parties or more.
TWO_PARTIES = {"mou", "bilateral_agreement"}


def map_body(context: HookContext, body: Any) -> Any:
    """Make generated bodies keep the rules the schema cannot express: e-mails off reserved
    domains (.local, .invalid, ...), dates in order, each country a party once and two parties
    to a bilateral agreement. Only well-formed values are touched, so negative cases stay
    negative."""
    if not isinstance(body, dict):
        return body
    for chain in ORDERED_DATES:
        present = [name for name in chain if _is_iso_date(body.get(name))]
        for name, value in zip(present, sorted(body[name] for name in present), strict=True):
            body[name] = value
    _keep_party_rules(body)
    _keep_keys_unique(body)
    # Nested objects (a membership, a contact) keep the same rules.
    for value in list(body.values()):
        for nested in value if isinstance(value, list) else [value]:
            map_body(context, nested)
    _keep_references(body)
    if isinstance(body.get("email"), str):
        local, _, domain = body["email"].rpartition("@")
        reserved = any(
            domain.lower() == name or domain.lower().endswith("." + name)
            for name in SPECIAL_USE_DOMAIN_NAMES
        )
        if reserved:
            body["email"] = f"{local}@example.org"
    return body


def _keep_party_rules(body: dict[str, Any]) -> None:
    parties = body.get("parties")
    if not isinstance(parties, list) or not all(
        isinstance(party, dict) and isinstance(party.get("country"), str) for party in parties
    ):
        return
    unique = list({party["country"]: party for party in parties}.values())
    kind = body.get("kind")
    if isinstance(kind, str) and kind in TWO_PARTIES and len(unique) == 1 and "role" in unique[0]:
        other = "PH" if unique[0]["country"] != "PH" else "SA"
        unique.append({"country": other, "role": unique[0]["role"]})
    body["parties"] = unique


def _keep_keys_unique(body: dict[str, Any]) -> None:
    """A rubric's criteria have a key each once."""
    criteria = body.get("criteria")
    if (
        isinstance(criteria, list)
        and len(criteria) <= MAX_CRITERIA
        and all(
            isinstance(criterion, dict) and isinstance(criterion.get("key"), str)
            for criterion in criteria
        )
    ):
        body["criteria"] = list({criterion["key"]: criterion for criterion in criteria}.values())


KNOWN_INSTRUMENTS = ("C087", "C098", "C097", "C143", "C189", "ICRMW")
INSTRUMENT_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,15}$")
COUNTRY_CODE = re.compile(r"^[A-Za-z]{2}$")


# Fields naming other records by id, in lists and alone.
LINK_LISTS = (
    "agreement_ids",
    "law_ids",
    "parliamentarian_ids",
    "delegation",
    "partner_organisation_ids",
)
LINKS = ("agreement_id", "law_id")
# Subjects of assessments, recorded for the test by `assessable`.
SUBJECTS = {
    "agreement": uuid.UUID("6a1d4c2e-0b3f-4e5a-9c7d-8e9f0a1b2c3d"),
    "law": uuid.UUID("7b2e5d3f-1c4a-4f6b-8d9e-9f0a1b2c3d4e"),
}
with RUBRIC_FILE.open(encoding="utf-8") as _rubric:
    DEFAULT_CRITERIA = [line.split(",", 1)[0] for line in _rubric.read().splitlines()[1:]]
CRITERION_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


def _keep_references(body: dict[str, Any]) -> None:
    """Point references at records that exist: generated codes and ids name none."""
    codes = body.get("instrument_codes")
    if isinstance(codes, list) and all(
        isinstance(code, str) and INSTRUMENT_CODE.match(code) for code in codes
    ):
        body["instrument_codes"] = [
            KNOWN_INSTRUMENTS[i % len(KNOWN_INSTRUMENTS)] for i in range(len(codes))
        ]
    for field in LINK_LISTS:
        ids = body.get(field)
        if isinstance(ids, list) and len(ids) <= 100 and all(_is_uuid(value) for value in ids):
            body[field] = []
    for field in LINKS:
        if _is_uuid(body.get(field)):
            body[field] = None
    if _is_uuid(body.get("source_id")) or body.get("source_type") in ("activity", "field_visit"):
        body.pop("source_id", None)
        body.pop("source_type", None)
    subject_type = body.get("subject_type")
    if (
        isinstance(subject_type, str)
        and subject_type in SUBJECTS
        and _is_uuid(body.get("subject_id"))
    ):
        body["subject_id"] = str(SUBJECTS[subject_type])
    if _is_uuid(body.get("rubric_id")):
        body["rubric_id"] = str(DEFAULT_RUBRIC_ID)
    _rate_default_criteria(body)
    code = body.get("instrument_code")
    if isinstance(code, str) and INSTRUMENT_CODE.match(code):
        body["instrument_code"] = KNOWN_INSTRUMENTS[len(code) % len(KNOWN_INSTRUMENTS)]
    if _is_iso_date(body.get("start_date")) and type(body.get("year")) in (int, float):
        body["year"] = date.fromisoformat(body["start_date"]).year
    if "consent" in body and _is_uuid(body.get("id")):
        body.pop("id")  # a testimony's id names one already in the report
    if _is_iso_date(body.get("occurred_on")):
        body["occurred_on"] = min(body["occurred_on"], date.today().isoformat())


def _rate_default_criteria(body: dict[str, Any]) -> None:
    """Ratings name criteria of the default rubric (the only one there is), each once."""
    ratings = body.get("ratings")
    if (
        not isinstance(ratings, list)
        or len(ratings) > MAX_CRITERIA
        or not all(
            isinstance(rating, dict)
            and isinstance(rating.get("criterion"), str)
            and CRITERION_KEY.match(rating["criterion"])
            for rating in ratings
        )
    ):
        return
    # Fewer ratings than the schema's maximum are as valid as the ones generated.
    del ratings[len(DEFAULT_CRITERIA) :]
    for rating, key in zip(ratings, DEFAULT_CRITERIA, strict=False):
        rating["criterion"] = key


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        return False
    return True


def _is_iso_date(value: Any) -> bool:
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


@pytest.fixture
def assessable(session: Session, secretariat: Organisation, reference: None) -> None:
    """An agreement and a law to assess, under the ids `SUBJECTS` gives generated bodies."""
    actor = Actor(organisation_id=secretariat.id)
    agreement = Agreement(
        id=SUBJECTS["agreement"],
        title="Memorandum of Understanding on Domestic Workers",
        kind=AgreementKind.multilateral_agreement,
        status=AgreementStatus.in_force,
    )
    agreement.parties = [
        AgreementParty(
            country="PH", role=PartyRole.origin, position=0, created_at=agreement.created_at
        )
    ]
    records.create(session, agreements.KIND, agreement, actor=actor)
    law = Law(
        id=SUBJECTS["law"],
        country="PH",
        title="Domestic Workers Act",
        kind=LawKind.act,
        status=LawStatus.in_force,
    )
    records.create(session, laws.KIND, law, actor=actor)


# schemathesis would build the coverage phase's boundary cases while collecting: for every
# operation, on every xdist worker, for each engine's run, most of the cost of collecting this
# module. `boundary_cases` builds them instead, for the operation of the test about to run.
schema = schemathesis.openapi.from_asgi(
    "/openapi.json",
    DOCUMENTED_APP,
    config=SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}}),
)
schema.hook(map_case)
schema.hook(map_body)


@pytest.fixture
def boundary_cases(request: pytest.FixtureRequest) -> None:
    """The coverage phase's boundary cases for the test's operation, as the explicit examples
    Hypothesis runs before generating any: what schemathesis attaches while collecting when
    the phase is enabled, with the same arguments (no feedback, auth or hooks of the test's)."""
    test = request.function
    operation = ApiOperationMark.get(test)
    assert operation is not None
    attached = len(getattr(test, "hypothesis_explicit_examples", ()))
    _attach_boundary_cases(test, operation)
    if CASES_PER_PROBE:
        examples = test.hypothesis_explicit_examples
        examples[attached:] = spread_over_probes(examples[attached:], CASES_PER_PROBE)


def _attach_boundary_cases(test: Callable[..., Any], operation: APIOperation) -> None:
    config = operation.schema.config
    generation = config.generation_for(operation=operation, phase="coverage")
    add_coverage(
        test,
        operation,
        generation.modes,
        None,
        with_config_headers(config, operation=operation),
        feedback=NO_FEEDBACK,
        generation_config=generation,
    )


# The boundary cases probe each parameter and property in a few dozen ways, and some probes
# again with every value they may take: a country is tried with each of the 249 codes, in
# every field that holds one, two thirds of all the cases. `make test` runs every probe with
# the first and last of its values; `make fuzz` (CAUCUS_FUZZ_CASES_PER_PROBE=0) runs them all.
CASES_PER_PROBE = int(os.environ.get("CAUCUS_FUZZ_CASES_PER_PROBE", "2"))


def spread_over_probes(examples: list[Any], per_probe: int) -> list[Any]:
    """Of each probe's cases, `per_probe` spread from its first to its last, in their order."""
    by_probe: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for index, example in enumerate(examples):
        probe = example.kwargs["case"]._meta.phase.data
        key = (
            probe.scenario,
            probe.parameter_location,
            probe.parameter,
            probe.location,
            probe.description,
        )
        by_probe[key].append(index)
    kept: set[int] = set()
    for indexes in by_probe.values():
        if len(indexes) <= per_probe or per_probe == 1:
            kept.update(indexes[:per_probe])
            continue
        step = (len(indexes) - 1) / (per_probe - 1)
        kept.update(indexes[round(i * step)] for i in range(per_probe))
    return [examples[index] for index in sorted(kept)]


HeadersOf = Callable[[str], dict[str, str]]

FUZZ_SETTINGS = settings(
    # Beside the boundary cases of schemathesis's coverage phase, which run whatever the
    # number; `make fuzz` asks for many more, new ones each time.
    max_examples=int(os.environ.get("CAUCUS_FUZZ_EXAMPLES", "10")),
    # The same cases on every run, so a red build points at a change, not at luck; set
    # CAUCUS_FUZZ_RANDOM=1 to explore new ones.
    derandomize=not os.environ.get("CAUCUS_FUZZ_RANDOM"),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


# Each test is parametrised by its caller, which also names it: pytest 9 names a test
# schemathesis makes for an operation by the function alone unless it is parametrised.
# The boundary cases probe how input is validated, which is the same for every caller, and
# they are most of the run's cost: the partner's run leaves them out.
@schema.parametrize()
@FUZZ_SETTINGS
@pytest.mark.parametrize("caller", ["admin"])
@pytest.mark.usefixtures("boundary_cases")
def test_every_operation_conforms_to_its_documentation(
    case: Case, app: FastAPI, caller: str, headers_of: HeadersOf, assessable: None
) -> None:
    _call_and_validate(case, app, headers_of(caller))


@schema.parametrize()
@FUZZ_SETTINGS
@pytest.mark.parametrize("caller", ["partner-api-token"])
def test_every_operation_conforms_for_a_partner(
    case: Case, app: FastAPI, caller: str, headers_of: HeadersOf, assessable: None
) -> None:
    """A partner organisation's script, refused much of what the secretariat may do, must only
    ever get answers the document promises too."""
    _call_and_validate(case, app, headers_of(caller))


def _call_and_validate(case: Case, app: FastAPI, headers: dict[str, str]) -> None:
    # The coverage phase does not pass its bodies (nor its paths) through the hooks.
    case.body = map_body(None, case.body)  # type: ignore[arg-type]
    _two_countries(case)
    # A fresh Idempotency-Key per request: generated values repeat, and the same key sent with
    # another body is rightly refused (422).
    if case.headers and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = str(uuid.uuid4())
    # Some schema-valid requests are rightly refused for what is stored, which the generator
    # cannot see: a PATCH's dates against the stored ones, a PUT's If-Match against the current
    # version, the matrix's instrument codes against the instruments recorded, an import's CSV
    # (a string to the schema) against the columns of its `type`, a webhook's URL against what
    # its host resolves to (no name does, offline). Every other check still runs on them.
    state_dependent = (
        case.method.upper() in ("PATCH", "PUT")
        or case.path in ("/api/v1/ratifications/matrix", "/api/v1/imports")
        or (case.method.upper() == "POST" and case.path == "/api/v1/webhooks")
    )
    excluded = [positive_data_acceptance] if state_dependent else []
    # No response timeout: schemathesis's default (10 s) fails slow answers on a loaded machine,
    # and how fast the service answers is measured in bench/, not here.
    case.call_and_validate(headers=headers, app=app, excluded_checks=excluded, timeout=None)


def test_every_boundary_probe_runs_with_the_first_and_last_of_its_values() -> None:
    """Bounding the boundary cases leaves out repeated values of a probe, never a probe."""

    def probed() -> None: ...

    _attach_boundary_cases(probed, schema["/api/v1/laws"]["POST"])
    every = probed.hypothesis_explicit_examples  # type: ignore[attr-defined]
    kept = spread_over_probes(every, 2)

    def probes(examples: list[Any]) -> list[str]:
        return [example.kwargs["case"]._meta.phase.data.description for example in examples]

    assert set(probes(kept)) == set(probes(every))
    assert len(kept) < len(every) / 2
    countries = "Object with valid 'country' value: Enum value"
    tried = [e.kwargs["case"].body["country"] for e in every if probes([e]) == [countries]]
    assert len(tried) > 200
    assert [e.kwargs["case"].body["country"] for e in kept if probes([e]) == [countries]] == [
        tried[0],
        tried[-1],
    ]
