"""Laws: what a recorded law carries, the rules its dates, instruments and agreements keep, its
filters and CSV export, who may write it, who may find it, and what a list page costs."""

import csv
import io
import time
import uuid
from typing import Any

import httpx2
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.audit.service import Actor
from app.core.config import Settings
from app.core.db import SessionDep
from app.core.errors import InvalidInputError
from app.identity import service as identity
from app.identity.dependencies import WritePrincipal
from app.identity.models import Organisation, OrganisationCreate, OrganisationKind, Role, User
from app.laws import service as laws
from app.laws.models import Law, LawCreate, LawKind, LawStatus
from app.main import create_app
from app.records.http import IdempotencyKeyDep, RecordRoute
from app.records.models import Visibility
from tests.api import counting_statements, counting_threads
from tests.conftest import login_headers, make_user

pytestmark = pytest.mark.usefixtures("reference")

LAWS = "/api/v1/laws"
AGREEMENTS = "/api/v1/agreements"
PROBLEM_JSON = "application/problem+json"
CSV = {"Accept": "text/csv"}

# The field names partner organisations build on: a response must carry each of them.
CONTRACT_FIELDS = frozenset(
    {
        "country",
        "title",
        "title_original",
        "language",
        "kind",
        "reference",
        "status",
        "enacted_on",
        "effective_on",
        "summary",
        "url",
        "instrument_codes",
        "agreement_ids",
        "visibility",
        "sources",
        "latest_score",
        "external_ref",
    }
)
LIFECYCLE_FIELDS = frozenset(
    {"id", "organisation_id", "created_at", "created_by", "updated_at", "updated_by", "version"}
)

THAI_TITLE = "พระราชกำหนดการบริหารจัดการการทำงานของคนต่างด้าว พ.ศ. 2560"
VIETNAMESE_TITLE = "Luật Người LAO ĐỘNG Việt Nam đi làm việc ở nước ngoài theo hợp đồng"


# ---- helpers -------------------------------------------------------------------------------


def body(**overrides: Any) -> dict[str, Any]:
    """A valid create body: the Philippines' Domestic Workers Act."""
    return {
        "country": "PH",
        "title": "Domestic Workers Act (Batas Kasambahay)",
        "kind": "act",
        "status": "in_force",
        **overrides,
    }


def ok(response: httpx2.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def create(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    created: dict[str, Any] = ok(client.post(LAWS, json=body(**overrides), headers=headers), 201)
    return created


def read(client: TestClient, headers: dict[str, str], law_id: str) -> dict[str, Any]:
    found: dict[str, Any] = ok(client.get(f"{LAWS}/{law_id}", headers=headers))
    return found


def patch(
    client: TestClient, headers: dict[str, str], law_id: str, changes: dict[str, Any]
) -> httpx2.Response:
    return client.patch(f"{LAWS}/{law_id}", json=changes, headers=headers)


def listed_ids(client: TestClient, headers: dict[str, str], **params: Any) -> set[str]:
    """The ids of every law the list gives for these filters (one page of up to 200)."""
    page = ok(client.get(LAWS, params={"limit": 200, **params}, headers=headers))
    assert page["next_cursor"] is None
    return {item["id"] for item in page["items"]}


def csv_rows(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, str]]:
    response = client.get(LAWS, params=params, headers={**headers, **CSV})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))


def assert_problem(response: httpx2.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    return problem


def assert_invalid(response: httpx2.Response, field: str) -> dict[str, Any]:
    """A 422 problem whose errors name the body field `field`."""
    problem = assert_problem(response, 422)
    locations = [tuple(error["location"]) for error in problem.get("errors", [])]
    assert ("body", field) in locations, locations
    return problem


def create_agreement(
    client: TestClient, headers: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    agreement = {
        "title": "Memorandum of Understanding on the Recruitment of Domestic Workers",
        "kind": "mou",
        "status": "in_force",
        "parties": [
            {"country": "PH", "role": "origin"},
            {"country": "SA", "role": "destination"},
        ],
        **overrides,
    }
    created: dict[str, Any] = ok(client.post(AGREEMENTS, json=agreement, headers=headers), 201)
    return created


def law_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Law)).one()


def record_law(session: Session, organisation: Organisation, **fields: Any) -> Law:
    """A law recorded through the service, owned by `organisation`, as a script would."""
    return laws.create_law(
        session, actor=Actor(organisation_id=organisation.id), data=LawCreate(**body(**fields))
    )


@pytest.fixture
def parliament_editor(session: Session) -> User:
    """An editor in a member's office: writes records, but is not the secretariat."""
    office = identity.create_organisation(
        session,
        actor=None,
        data=OrganisationCreate(name="Office of a member", kind=OrganisationKind.parliament),
    )
    return make_user(session, office, Role.editor, "office@example.org")


@pytest.fixture
def reader_headers(
    session: Session, secretariat: Organisation, settings: Settings
) -> dict[str, str]:
    return login_headers(settings, make_user(session, secretariat, Role.reader, "r@example.org"))


# ---- creating and reading ------------------------------------------------------------------


def test_creating_a_law_returns_every_contract_field_as_given(
    client: TestClient, admin: User, admin_headers: dict[str, str], secretariat: Organisation
) -> None:
    agreement = create_agreement(client, admin_headers)
    full = {
        "country": "TH",
        "title": "Royal Ordinance on Managing the Employment of Foreign Workers",
        "title_original": THAI_TITLE,
        "language": "th",
        "kind": "executive_order",
        "reference": "B.E. 2560 (2017)",
        "status": "amended",
        "enacted_on": "2017-06-22",
        "effective_on": "2017-06-23",
        "summary": "Penalties for employers of workers without permits; amended in 2018.",
        "url": "https://example.org/laws/th-foreign-workers-2017.pdf",
        "sources": ["Royal Thai Government Gazette"],
        "instrument_codes": ["C087", "C189"],
        "agreement_ids": [agreement["id"]],
        "visibility": "public",
    }

    response = client.post(LAWS, json=full, headers=admin_headers)

    created = ok(response, 201)
    assert created.keys() == CONTRACT_FIELDS | LIFECYCLE_FIELDS
    assert {name: created[name] for name in full} == full
    assert created["version"] == 1
    assert created["organisation_id"] == str(secretariat.id)
    assert created["created_by"] == created["updated_by"] == f"user:{admin.id}"
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"].endswith(f"{LAWS}/{created['id']}")
    assert read(client, admin_headers, created["id"]) == created


def test_fields_left_out_of_a_create_body_get_their_defaults(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    created = create(client, admin_headers)

    assert created["visibility"] == "partners"
    assert created["instrument_codes"] == created["agreement_ids"] == created["sources"] == []
    for name in (
        "title_original",
        "language",
        "reference",
        "enacted_on",
        "effective_on",
        "summary",
        "url",
    ):
        assert created[name] is None, name


@pytest.mark.parametrize("kind", [kind.value for kind in LawKind])
def test_every_kind_and_status_can_be_recorded(
    client: TestClient, admin_headers: dict[str, str], kind: str
) -> None:
    for status in LawStatus:
        created = create(client, admin_headers, kind=kind, status=status.value)
        assert (created["kind"], created["status"]) == (kind, status.value)


def test_a_status_outside_the_vocabulary_is_refused_naming_it(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    assert_invalid(client.post(LAWS, json=body(status="passed"), headers=admin_headers), "status")


def test_instrument_codes_in_any_case_are_stored_upper_case_once_each_in_code_order(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    created = create(client, admin_headers, instrument_codes=["icrmw", "C189", "c189", "C087"])

    assert created["instrument_codes"] == ["C087", "C189", "ICRMW"]
    assert read(client, admin_headers, created["id"])["instrument_codes"] == [
        "C087",
        "C189",
        "ICRMW",
    ]


def test_an_agreement_given_twice_is_linked_once(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    first = create_agreement(client, admin_headers)["id"]
    second = create_agreement(client, admin_headers, title="Another MOU")["id"]

    created = create(client, admin_headers, agreement_ids=[second, first, second])

    assert created["agreement_ids"] == sorted([first, second], key=uuid.UUID)
    assert read(client, admin_headers, created["id"])["agreement_ids"] == created["agreement_ids"]


# ---- dates ---------------------------------------------------------------------------------


def test_effective_on_before_enacted_on_is_refused_naming_effective_on(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    response = client.post(
        LAWS,
        json=body(enacted_on="2020-01-10", effective_on="2020-01-09"),
        headers=admin_headers,
    )

    assert_invalid(response, "effective_on")
    assert law_count(session) == 0


def test_a_law_effective_the_day_it_is_enacted_is_accepted(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    created = create(client, admin_headers, enacted_on="2020-01-10", effective_on="2020-01-10")

    assert (created["enacted_on"], created["effective_on"]) == ("2020-01-10", "2020-01-10")


def test_a_patch_putting_a_date_out_of_order_with_the_stored_one_is_refused(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    created = create(client, admin_headers, enacted_on="2013-01-18", effective_on="2013-06-04")

    assert_invalid(
        patch(client, admin_headers, created["id"], {"effective_on": "2013-01-01"}), "effective_on"
    )
    # Only enacted_on was sent: the error names it, not the stored date it clashes with.
    assert_invalid(
        patch(client, admin_headers, created["id"], {"enacted_on": "2013-07-01"}), "enacted_on"
    )
    assert read(client, admin_headers, created["id"])["version"] == 1


# ---- instruments and agreements ------------------------------------------------------------


def test_an_unknown_instrument_is_refused_naming_instrument_codes(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    response = client.post(
        LAWS, json=body(instrument_codes=["C189", "C999"]), headers=admin_headers
    )

    problem = assert_invalid(response, "instrument_codes")
    assert "C999" in problem["detail"]
    assert law_count(session) == 0

    created = create(client, admin_headers, instrument_codes=["C189"])
    assert_invalid(
        patch(client, admin_headers, created["id"], {"instrument_codes": ["C999"]}),
        "instrument_codes",
    )
    assert read(client, admin_headers, created["id"])["instrument_codes"] == ["C189"]


def test_an_instrument_code_that_is_not_a_code_is_refused(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    for code in ("", "1", "C 189", "C189;C087"):
        response = client.post(LAWS, json=body(instrument_codes=[code]), headers=admin_headers)
        assert_problem(response, 422)


def test_an_unknown_agreement_is_refused_naming_agreement_ids(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    response = client.post(
        LAWS, json=body(agreement_ids=[str(uuid.uuid4())]), headers=admin_headers
    )

    assert_invalid(response, "agreement_ids")
    assert law_count(session) == 0


def test_an_agreement_the_caller_cannot_see_is_refused_like_an_unknown_one(
    client: TestClient,
    session: Session,
    settings: Settings,
    admin_headers: dict[str, str],
    parliament_editor: User,
) -> None:
    hidden = create_agreement(client, admin_headers, visibility="restricted")
    office_headers = login_headers(settings, parliament_editor)

    unknown_id = str(uuid.uuid4())

    refused = client.post(LAWS, json=body(agreement_ids=[hidden["id"]]), headers=office_headers)
    unknown = client.post(LAWS, json=body(agreement_ids=[unknown_id]), headers=office_headers)

    refused_problem = assert_invalid(refused, "agreement_ids")
    unknown_problem = assert_invalid(unknown, "agreement_ids")
    # The refusal tells nothing the caller could not learn from an id that does not exist.
    assert refused_problem["detail"].replace(hidden["id"], "<id>") == unknown_problem[
        "detail"
    ].replace(unknown_id, "<id>")
    assert law_count(session) == 0
    # The secretariat sees it, so may link it.
    assert create(client, admin_headers, agreement_ids=[hidden["id"]])["agreement_ids"] == [
        hidden["id"]
    ]


def test_a_deleted_agreement_cannot_be_linked(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    agreement = create_agreement(client, admin_headers)
    deleted = client.delete(f"{AGREEMENTS}/{agreement['id']}", headers=admin_headers)
    assert deleted.status_code == 204, deleted.text

    response = client.post(LAWS, json=body(agreement_ids=[agreement["id"]]), headers=admin_headers)

    assert_invalid(response, "agreement_ids")


def test_an_external_ref_another_law_has_is_refused_with_409_naming_it(
    client: TestClient, session: Session, admin_headers: dict[str, str], reference: None
) -> None:
    create(client, admin_headers, external_ref="np-fea-2007")
    other = create(client, admin_headers, title="Another act")

    for response in (
        client.post(LAWS, json=body(external_ref="np-fea-2007"), headers=admin_headers),
        patch(client, admin_headers, other["id"], {"external_ref": "np-fea-2007"}),
    ):
        problem = assert_problem(response, 409)
        assert "external_ref" in problem["detail"]

    assert law_count(session) == 2
    assert read(client, admin_headers, other["id"])["external_ref"] is None


def test_a_patch_replaces_instrument_codes_whole_and_its_revision_names_them(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    created = create(client, admin_headers, instrument_codes=["C189", "C087"])

    response = patch(client, admin_headers, created["id"], {"instrument_codes": ["c143", "C189"]})

    updated = ok(response)
    assert updated["instrument_codes"] == ["C143", "C189"]
    assert updated["version"] == 2
    assert response.headers["etag"] == '"2"'
    assert read(client, admin_headers, created["id"]) == updated
    revisions = ok(client.get(f"{LAWS}/{created['id']}/revisions", headers=admin_headers))
    latest, first = revisions["items"]
    assert (latest["version"], latest["action"]) == (2, "updated")
    assert latest["changed_fields"] == ["instrument_codes"]
    assert latest["snapshot"]["instrument_codes"] == ["C143", "C189"]
    assert first["snapshot"]["instrument_codes"] == ["C087", "C189"]
    assert "instrument_codes" in first["changed_fields"]


def test_a_patch_sending_the_stored_instruments_in_another_order_changes_nothing(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    created = create(client, admin_headers, instrument_codes=["C189", "C087"])

    response = patch(client, admin_headers, created["id"], {"instrument_codes": ["c189", "C087"]})

    assert ok(response) == created
    assert response.headers["etag"] == '"1"'


def test_a_patch_can_empty_the_instruments(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    created = create(client, admin_headers, instrument_codes=["C189"])

    updated = ok(patch(client, admin_headers, created["id"], {"instrument_codes": []}))

    assert updated["instrument_codes"] == []
    assert read(client, admin_headers, created["id"])["instrument_codes"] == []


def test_a_patch_replaces_agreement_ids_whole(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    first = create_agreement(client, admin_headers)["id"]
    second = create_agreement(client, admin_headers, title="Another MOU")["id"]
    created = create(client, admin_headers, agreement_ids=[first])

    updated = ok(patch(client, admin_headers, created["id"], {"agreement_ids": [second]}))

    assert updated["agreement_ids"] == [second]
    assert read(client, admin_headers, created["id"])["agreement_ids"] == [second]
    revisions = ok(client.get(f"{LAWS}/{created['id']}/revisions", headers=admin_headers))
    assert revisions["items"][0]["changed_fields"] == ["agreement_ids"]


def test_a_patch_may_keep_a_linked_agreement_deleted_since(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    kept = create_agreement(client, admin_headers)["id"]
    created = create(client, admin_headers, agreement_ids=[kept])
    assert client.delete(f"{AGREEMENTS}/{kept}", headers=admin_headers).status_code == 204

    updated = ok(
        patch(client, admin_headers, created["id"], {"agreement_ids": [kept], "status": "amended"})
    )

    assert updated["agreement_ids"] == [kept]
    assert updated["status"] == "amended"


@pytest.mark.parametrize(
    "field",
    ["country", "title", "kind", "status", "sources", "instrument_codes", "agreement_ids"],
)
def test_null_for_a_required_field_in_a_patch_is_refused_naming_it(
    client: TestClient, admin_headers: dict[str, str], field: str
) -> None:
    created = create(client, admin_headers)

    assert_invalid(patch(client, admin_headers, created["id"], {field: None}), field)
    assert read(client, admin_headers, created["id"]) == created


def test_null_clears_an_optional_field_in_a_patch(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    created = create(client, admin_headers, reference="Republic Act No. 10361", summary="Text.")

    updated = ok(patch(client, admin_headers, created["id"], {"reference": None}))

    assert updated["reference"] is None
    assert updated["summary"] == "Text."


def test_unknown_fields_are_refused_on_create_and_patch(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    assert_problem(client.post(LAWS, json=body(version=7), headers=admin_headers), 422)
    created = create(client, admin_headers)
    assert_problem(patch(client, admin_headers, created["id"], {"organisation_id": None}), 422)


def test_a_patch_with_a_stale_if_match_is_refused_and_changes_nothing(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    created = create(client, admin_headers)
    ok(patch(client, admin_headers, created["id"], {"status": "amended"}))

    stale = client.patch(
        f"{LAWS}/{created['id']}",
        json={"status": "repealed"},
        headers={**admin_headers, "If-Match": '"1"'},
    )

    assert_problem(stale, 412)
    assert read(client, admin_headers, created["id"])["status"] == "amended"


def test_a_create_retried_with_the_same_idempotency_key_records_one_law(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    headers = {**admin_headers, "Idempotency-Key": "law-import-0001"}

    first = client.post(LAWS, json=body(), headers=headers)
    again = client.post(LAWS, json=body(), headers=headers)

    assert ok(first, 201) == ok(again, 201)
    assert again.headers["location"] == first.headers["location"]
    assert law_count(session) == 1


@pytest.mark.parametrize(
    "refused",
    [{"instrument_codes": ["C999"]}, {"agreement_ids": ["5d70e6d8-033e-452a-a1bf-f36a6c165897"]}],
)
def test_a_create_refused_after_reading_the_database_frees_its_idempotency_key_at_once(
    client: TestClient, session: Session, admin_headers: dict[str, str], refused: dict[str, Any]
) -> None:
    headers = {**admin_headers, "Idempotency-Key": "law-import-0002"}

    started = time.monotonic()
    first = client.post(LAWS, json=body(**refused), headers=headers)
    assert time.monotonic() - started < 5  # not after waiting out SQLite's busy timeout
    corrected = client.post(LAWS, json=body(), headers=headers)

    assert_invalid(first, next(iter(refused)))
    assert ok(corrected, 201)["title"] == body()["title"]
    assert law_count(session) == 1


def test_a_deleted_law_is_gone_until_restored(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    created = create(client, admin_headers)

    assert client.delete(f"{LAWS}/{created['id']}", headers=admin_headers).status_code == 204
    assert_problem(client.get(f"{LAWS}/{created['id']}", headers=admin_headers), 404)
    assert created["id"] not in listed_ids(client, admin_headers)
    assert created["id"] in listed_ids(client, admin_headers, include_deleted="true")

    restored = ok(client.post(f"{LAWS}/{created['id']}/restore", headers=admin_headers))
    assert restored["version"] == 3
    assert created["id"] in listed_ids(client, admin_headers)


# ---- the list and its filters --------------------------------------------------------------


@pytest.fixture
def catalogue(client: TestClient, admin_headers: dict[str, str]) -> dict[str, str]:
    """Four laws that differ in each filtered field; their ids by a short name."""
    made = {
        "ph_act": create(
            client,
            admin_headers,
            country="PH",
            kind="act",
            status="in_force",
            title="Domestic Workers Act (Batas Kasambahay)",
            instrument_codes=["C189"],
        ),
        "th_order": create(
            client,
            admin_headers,
            country="TH",
            kind="executive_order",
            status="amended",
            title="Royal Ordinance on Foreign Workers",
            title_original=THAI_TITLE,
            instrument_codes=["C097", "C143"],
        ),
        "vn_act": create(
            client,
            admin_headers,
            country="VN",
            kind="act",
            status="enacted",
            title="Law on Vietnamese Guest Workers (Law 69/2020/QH14)",
            title_original=VIETNAMESE_TITLE,
            instrument_codes=["ICRMW", "C189"],
        ),
        "my_bill": create(
            client,
            admin_headers,
            country="MY",
            kind="bill",
            status="bill",
            title="Employment (Amendment) Bill",
            summary="Extends maternity protection to 100% of DOMESTIC workers.",
        ),
    }
    return {name: law["id"] for name, law in made.items()}


def test_the_list_gives_every_law_oldest_first(
    client: TestClient, admin_headers: dict[str, str], catalogue: dict[str, str]
) -> None:
    page = ok(client.get(LAWS, headers=admin_headers))

    assert [item["id"] for item in page["items"]] == list(catalogue.values())
    assert page["next_cursor"] is None
    assert all(item.keys() == CONTRACT_FIELDS | LIFECYCLE_FIELDS for item in page["items"])


def test_the_list_pages_through_every_law_with_the_cursor(
    client: TestClient, admin_headers: dict[str, str], catalogue: dict[str, str]
) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = ok(client.get(LAWS, params=params, headers=admin_headers))
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == list(catalogue.values())


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"country": "PH"}, {"ph_act"}),
        ({"country": "TH"}, {"th_order"}),
        ({"country": "SG"}, set()),
        ({"kind": "act"}, {"ph_act", "vn_act"}),
        ({"kind": "bill"}, {"my_bill"}),
        ({"status": "amended"}, {"th_order"}),
        ({"status": "repealed"}, set()),
        ({"instrument": "C189"}, {"ph_act", "vn_act"}),
        ({"instrument": "c143"}, {"th_order"}),
        ({"instrument": "C087"}, set()),
        ({"country": "VN", "instrument": "ICRMW"}, {"vn_act"}),
        ({"kind": "act", "status": "in_force"}, {"ph_act"}),
        ({"q": "kasambahay"}, {"ph_act"}),
        ({"q": "WORKERS"}, {"ph_act", "th_order", "vn_act", "my_bill"}),
        ({"q": "คนต่างด้าว"}, {"th_order"}),
        ({"q": "lao động"}, {"vn_act"}),
        ({"q": "NGƯỜI"}, {"vn_act"}),
        ({"q": "maternity"}, {"my_bill"}),
        ({"q": "100%"}, {"my_bill"}),
        ({"q": "1_0"}, set()),
        ({"q": "%"}, {"my_bill"}),
    ],
)
def test_each_filter_narrows_the_list(
    client: TestClient,
    admin_headers: dict[str, str],
    catalogue: dict[str, str],
    params: dict[str, str],
    expected: set[str],
) -> None:
    assert listed_ids(client, admin_headers, **params) == {catalogue[name] for name in expected}


def test_updated_since_lists_the_laws_changed_at_or_after_a_time(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    older = create(client, admin_headers, title="Older")
    newer = create(client, admin_headers, title="Newer")

    assert listed_ids(client, admin_headers, updated_since=newer["updated_at"]) == {newer["id"]}
    assert listed_ids(client, admin_headers, updated_since=older["updated_at"]) == {
        older["id"],
        newer["id"],
    }

    changed = ok(patch(client, admin_headers, older["id"], {"status": "repealed"}))
    assert listed_ids(client, admin_headers, updated_since=changed["updated_at"]) == {older["id"]}


@pytest.mark.parametrize(
    "params",
    [
        {"country": "XX"},
        {"kind": "treaty"},
        {"status": "passed"},
        {"instrument": "C 189"},
        {"q": ""},
        {"updated_since": "2024-01-01"},
    ],
)
def test_a_filter_with_a_value_it_cannot_take_is_refused(
    client: TestClient, admin_headers: dict[str, str], params: dict[str, str]
) -> None:
    assert_problem(client.get(LAWS, params=params, headers=admin_headers), 422)


# ---- CSV -----------------------------------------------------------------------------------


def test_the_csv_export_has_a_row_per_law_with_instrument_codes_joined_by_semicolons(
    client: TestClient, admin_headers: dict[str, str], catalogue: dict[str, str]
) -> None:
    agreement = create_agreement(client, admin_headers)["id"]
    linked = create(client, admin_headers, country="TH", agreement_ids=[agreement])["id"]

    response = client.get(LAWS, headers={**admin_headers, **CSV})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))

    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="laws.csv"'
    assert [row["id"] for row in rows] == [*catalogue.values(), linked]
    assert set(rows[0]) == CONTRACT_FIELDS | LIFECYCLE_FIELDS
    by_id = {row["id"]: row for row in rows}
    assert by_id[catalogue["th_order"]]["instrument_codes"] == "C097;C143"
    assert by_id[catalogue["vn_act"]]["instrument_codes"] == "C189;ICRMW"
    assert by_id[catalogue["my_bill"]]["instrument_codes"] == ""
    assert by_id[catalogue["vn_act"]]["title_original"] == VIETNAMESE_TITLE
    assert by_id[linked]["agreement_ids"] == agreement


def test_the_csv_export_takes_the_same_filters_as_the_list(
    client: TestClient, admin_headers: dict[str, str], catalogue: dict[str, str]
) -> None:
    rows = csv_rows(client, admin_headers, instrument="C189", country="VN")

    assert [row["id"] for row in rows] == [catalogue["vn_act"]]


# ---- who may write -------------------------------------------------------------------------


def test_editors_and_admins_write_laws(
    client: TestClient, admin_headers: dict[str, str], editor: User, editor_headers: dict[str, str]
) -> None:
    by_admin = create(client, admin_headers)
    by_editor = create(client, editor_headers, title="Overseas Filipinos Act")
    assert by_editor["created_by"] == f"user:{editor.id}"

    for headers, law in ((editor_headers, by_admin), (admin_headers, by_editor)):
        assert ok(patch(client, headers, law["id"], {"status": "amended"}))["version"] == 2
        assert client.delete(f"{LAWS}/{law['id']}", headers=headers).status_code == 204
        ok(client.post(f"{LAWS}/{law['id']}/restore", headers=headers))


@pytest.mark.parametrize("caller", ["partner_headers", "reader_headers"])
def test_partners_and_readers_get_403_on_every_write(
    client: TestClient,
    request: pytest.FixtureRequest,
    session: Session,
    admin_headers: dict[str, str],
    caller: str,
) -> None:
    headers: dict[str, str] = request.getfixturevalue(caller)
    law = create(client, admin_headers, visibility="public")
    path = f"{LAWS}/{law['id']}"

    assert_problem(client.post(LAWS, json=body(), headers=headers), 403)
    assert_problem(client.patch(path, json={"status": "repealed"}, headers=headers), 403)
    assert_problem(client.delete(path, headers=headers), 403)
    assert client.delete(path, headers=admin_headers).status_code == 204
    assert_problem(client.post(f"{path}/restore", headers=headers), 403)

    assert law_count(session) == 1
    ok(client.post(f"{path}/restore", headers=admin_headers))
    stored = read(client, headers, law["id"])
    assert (stored["status"], stored["created_by"]) == (law["status"], law["created_by"])
    assert stored["updated_by"] == law["updated_by"]


def test_a_caller_without_a_token_gets_401(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    assert_problem(client.post(LAWS, json=body()), 401)
    assert_problem(client.get(LAWS), 401)


# ---- who may find a law --------------------------------------------------------------------


def test_a_partner_sees_shared_laws_and_its_own_restricted_ones_only(
    client: TestClient,
    session: Session,
    admin_headers: dict[str, str],
    partner_headers: dict[str, str],
    partner_organisation: Organisation,
    secretariat: Organisation,
) -> None:
    public = create(client, admin_headers, visibility="public", title="Public act")["id"]
    shared = create(client, admin_headers, visibility="partners", title="Shared act")["id"]
    hidden = create(
        client,
        admin_headers,
        visibility="restricted",
        title="Hidden act",
        instrument_codes=["C189"],
    )["id"]
    own = str(
        record_law(
            session,
            partner_organisation,
            visibility=Visibility.restricted,
            title="Own act",
            instrument_codes=["C189"],
        ).id
    )
    missing = str(uuid.uuid4())

    for law_id in (public, shared, own):
        assert read(client, partner_headers, law_id)["id"] == law_id
    for suffix in ("", "/revisions"):
        gone = client.get(f"{LAWS}/{hidden}{suffix}", headers=partner_headers)
        nothing = client.get(f"{LAWS}/{missing}{suffix}", headers=partner_headers)
        assert_problem(gone, 404)
        assert gone.json()["detail"] == assert_problem(nothing, 404)["detail"]

    visible = {public, shared, own}
    assert listed_ids(client, partner_headers) == visible
    for params in ({"instrument": "C189"}, {"q": "act"}, {"country": "PH"}, {"kind": "act"}):
        assert hidden not in listed_ids(client, partner_headers, **params)
    assert listed_ids(client, partner_headers, instrument="C189") == {own}
    assert {row["id"] for row in csv_rows(client, partner_headers)} == visible
    assert hidden not in {row["id"] for row in csv_rows(client, partner_headers, q="hidden")}

    # The secretariat sees every one of them.
    assert listed_ids(client, admin_headers) == visible | {hidden}
    assert read(client, admin_headers, own)["organisation_id"] == str(partner_organisation.id)


def test_another_organisations_restricted_law_is_404_to_a_partner_on_write_routes_too(
    client: TestClient,
    session: Session,
    settings: Settings,
    partner_organisation: Organisation,
    parliament_editor: User,
) -> None:
    """An editor outside the secretariat cannot reach a partner's restricted law either."""
    hidden = record_law(session, partner_organisation, visibility=Visibility.restricted)
    office_headers = login_headers(settings, parliament_editor)
    path = f"{LAWS}/{hidden.id}"

    assert_problem(client.get(path, headers=office_headers), 404)
    assert_problem(client.patch(path, json={"status": "repealed"}, headers=office_headers), 404)
    assert_problem(client.delete(path, headers=office_headers), 404)
    assert str(hidden.id) not in listed_ids(client, office_headers)


# ---- what a list page costs ----------------------------------------------------------------


def test_a_page_of_200_laws_costs_as_many_statements_as_a_page_of_5(
    client: TestClient,
    app: FastAPI,
    session: Session,
    admin_headers: dict[str, str],
    secretariat: Organisation,
) -> None:
    agreement = uuid.UUID(create_agreement(client, admin_headers)["id"])

    def add_laws(n: int) -> None:
        for i in range(n):
            record_law(
                session,
                secretariat,
                title=f"Law {i}",
                instrument_codes=["C189", "C087"],
                agreement_ids=[agreement],
            )

    def list_page() -> tuple[int, int]:
        client.get(LAWS, params={"limit": 1}, headers=admin_headers)  # warm up
        with counting_statements(app.state.engine) as statements:
            page = ok(client.get(LAWS, params={"limit": 200}, headers=admin_headers))
        assert all(item["instrument_codes"] == ["C087", "C189"] for item in page["items"])
        assert all(item["agreement_ids"] == [str(agreement)] for item in page["items"])
        return len(page["items"]), len(statements)

    add_laws(5)
    few, cost_of_few = list_page()
    add_laws(195)
    many, cost_of_many = list_page()

    assert (few, many) == (5, 200)
    assert cost_of_many == cost_of_few


def test_a_created_law_or_agreement_is_answered_without_reading_assessments(
    client: TestClient, app: FastAPI, admin_headers: dict[str, str]
) -> None:
    """A record made by the request cannot have been assessed yet: its answer says so without
    asking, while the answer to a read of it still asks."""
    agreement = create_agreement(client, admin_headers)
    with counting_statements(app.state.engine) as statements:
        law = ok(
            client.post(LAWS, json=body(agreement_ids=[agreement["id"]]), headers=admin_headers),
            201,
        )
        made = create_agreement(client, admin_headers, title="A second agreement")
    assert law["latest_score"] is None
    assert made["latest_score"] is None
    assert law["agreement_ids"] == [agreement["id"]]
    assert not [statement for statement in statements if "assessments" in statement]

    with counting_statements(app.state.engine) as statements:
        read = ok(client.get(f"{LAWS}/{law['id']}", headers=admin_headers))
    assert read == law
    assert [statement for statement in statements if "assessments" in statement]


def test_a_create_takes_a_thread_for_its_caller_and_one_for_its_write(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    """Its session, committed, holds no connection: closing it needs no thread of its own."""
    with counting_threads() as ran_in_threads:
        ok(client.post(LAWS, json=body(), headers=admin_headers), 201)

    # The caller's token looked up before the body is read, then the endpoint.
    assert len(ran_in_threads) == 2
    assert ran_in_threads[0] == "_authenticate_before_body"


def test_a_write_refused_in_its_transaction_is_rolled_back_and_its_lock_freed(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    with counting_threads() as ran_in_threads:
        refused = client.post(LAWS, json=body(instrument_codes=["C999"]), headers=admin_headers)
    assert refused.status_code == 422
    # The transaction that read the instruments is rolled back in a thread.
    assert "rollback" in ran_in_threads

    # On SQLite the write lock was freed: the next write is not kept waiting for it.
    ok(client.post(LAWS, json=body(), headers=admin_headers), 201)


# ---- shared code -----------------------------------------------------------------------------


def test_any_post_refused_after_reading_the_database_frees_its_idempotency_key(
    settings: Settings, admin_headers: dict[str, str]
) -> None:
    """A POST whose service reads, then refuses the input without ending its transaction."""
    application = create_app(settings.model_copy(update={"sqlite_busy_timeout_ms": 200}))
    router = APIRouter(route_class=RecordRoute)

    @router.post("/api/v1/refusing", status_code=201)
    def refusing(
        principal: WritePrincipal, session: SessionDep, _: IdempotencyKeyDep
    ) -> dict[str, str]:
        session.exec(select(func.count()).select_from(Law)).one()
        raise InvalidInputError("Refused after a read.", field="title")

    application.include_router(router)
    headers = {**admin_headers, "Idempotency-Key": "refused-0001"}
    try:
        with TestClient(application, raise_server_exceptions=False) as refusing_client:
            first = refusing_client.post("/api/v1/refusing", json={}, headers=headers)
            again = refusing_client.post("/api/v1/refusing", json={}, headers=headers)
    finally:
        application.state.engine.dispose()

    assert_invalid(first, "title")
    assert_invalid(again, "title")


# ---- agreements the caller may not see ------------------------------------------------------


def test_a_law_names_only_the_agreements_the_caller_may_see_everywhere_it_is_read(
    client: TestClient,
    admin_headers: dict[str, str],
    partner_headers: dict[str, str],
) -> None:
    shared = create_agreement(client, admin_headers, visibility="public")
    hidden = create_agreement(client, admin_headers, visibility="restricted")
    law = create(
        client, admin_headers, visibility="public", agreement_ids=[shared["id"], hidden["id"]]
    )
    patch(client, admin_headers, law["id"], {"summary": "Covers kasambahay."})
    both = sorted([shared["id"], hidden["id"]])

    assert sorted(read(client, admin_headers, law["id"])["agreement_ids"]) == both
    assert read(client, partner_headers, law["id"])["agreement_ids"] == [shared["id"]]
    listed = ok(client.get(LAWS, headers=partner_headers))["items"]
    assert [item["agreement_ids"] for item in listed] == [[shared["id"]]]
    assert [row["agreement_ids"] for row in csv_rows(client, partner_headers)] == [shared["id"]]
    revisions = ok(client.get(f"{LAWS}/{law['id']}/revisions", headers=partner_headers))["items"]
    assert [r["snapshot"]["agreement_ids"] for r in revisions] == [[shared["id"]]] * 2
    assert hidden["id"] not in client.get(f"{LAWS}/{law['id']}", headers=partner_headers).text


def test_a_caller_who_cannot_see_a_linked_agreement_does_not_unlink_it_by_patching_the_list(
    client: TestClient,
    settings: Settings,
    admin_headers: dict[str, str],
    parliament_editor: User,
) -> None:
    office = login_headers(settings, parliament_editor)
    shared = create_agreement(client, admin_headers, visibility="public")
    other = create_agreement(client, admin_headers, visibility="partners")
    hidden = create_agreement(client, admin_headers, visibility="restricted")
    law = create(client, admin_headers, agreement_ids=[shared["id"], hidden["id"]])

    seen = read(client, office, law["id"])["agreement_ids"]
    ok(patch(client, office, law["id"], {"agreement_ids": [*seen, other["id"]]}))

    assert sorted(read(client, admin_headers, law["id"])["agreement_ids"]) == sorted(
        [shared["id"], other["id"], hidden["id"]]
    )
    assert sorted(read(client, office, law["id"])["agreement_ids"]) == sorted(
        [shared["id"], other["id"]]
    )
