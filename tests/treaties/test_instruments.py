"""Instruments: the six the caucus's founding statement names, loaded as reference data, and any
an admin adds; read by every caller, written by the secretariat alone, every write audited."""

import csv
import io
import re
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session, func, select

from app.core.config import Settings
from app.identity.models import Organisation, Role, User
from app.reference.loader import load_reference
from app.treaties.models import Instrument
from tests.conftest import login_headers, make_user

INSTRUMENTS = "/api/v1/instruments"
AUDIT = "/api/v1/audit"
PROBLEM_JSON = "application/problem+json"
LINK_NEXT = re.compile(r'^<(?P<url>[^>]+)>; rel="next"$')

# The founding statement urges ratification of ILO C189, C87, C98, C97, C143 and the ICRMW.
# Adoption and entry into force as the ILO (NORMLEX) and the UN Treaty Collection record them.
FOUNDING: dict[str, dict[str, str]] = {
    "C087": {"body": "ILO", "adopted_on": "1948-07-09", "entered_into_force_on": "1950-07-04"},
    "C098": {"body": "ILO", "adopted_on": "1949-07-01", "entered_into_force_on": "1951-07-18"},
    "C097": {"body": "ILO", "adopted_on": "1949-07-01", "entered_into_force_on": "1952-01-22"},
    "C143": {"body": "ILO", "adopted_on": "1975-06-24", "entered_into_force_on": "1978-12-09"},
    "C189": {"body": "ILO", "adopted_on": "2011-06-16", "entered_into_force_on": "2013-09-05"},
    "ICRMW": {"body": "UN", "adopted_on": "1990-12-18", "entered_into_force_on": "2003-07-01"},
}
# C87 and C98 are among the ILO's fundamental conventions; C97 and C143 are its migrant
# workers' conventions.
FUNDAMENTAL = {"C087", "C098"}
MIGRANT_WORKERS = {"C097", "C143"}

C190 = {
    "code": "C190",
    "body": "ILO",
    "title": "Violence and Harassment Convention, 2019",
    "short_title": "Violence and Harassment",
    "adopted_on": "2019-06-21",
    "entered_into_force_on": "2021-06-25",
    "category": "fundamental",
}


def loaded(session: Session) -> dict[str, int]:
    return {result.name: result.rows for result in load_reference(session)}


def assert_problem(response: Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def ok(response: Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def codes(client: TestClient, headers: dict[str, str], **params: Any) -> list[str]:
    body = ok(client.get(INSTRUMENTS, params={"limit": 200, **params}, headers=headers))
    assert body["next_cursor"] is None
    return [item["code"] for item in body["items"]]


def audit_entries(client: TestClient, headers: dict[str, str], action: str) -> list[Any]:
    return ok(client.get(AUDIT, params={"action": action, "limit": 200}, headers=headers))["items"]


def instrument_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Instrument)).one()


# ---- the reference data -------------------------------------------------------------------


def test_the_list_holds_exactly_the_six_of_the_founding_statement_loaded_once(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    assert codes(client, admin_headers) == []

    assert loaded(session)["instruments"] == len(FOUNDING)

    body = ok(client.get(INSTRUMENTS, headers=admin_headers))
    assert body["next_cursor"] is None
    assert [item["code"] for item in body["items"]] == sorted(FOUNDING)
    for item in body["items"]:
        expected = FOUNDING[item["code"]]
        assert item["named_in_founding_statement"] is True
        assert item["body"] == expected["body"]
        assert item["adopted_on"] == expected["adopted_on"]
        assert item["entered_into_force_on"] == expected["entered_into_force_on"]
        assert item["title"]

    # Loading again touches nothing and adds nothing.
    assert loaded(session) == {"countries": 0, "instruments": 0, "rubrics": 0}
    assert instrument_count(session) == len(FOUNDING)
    assert ok(client.get(INSTRUMENTS, headers=admin_headers)) == body


def test_read_one_instrument_by_code_in_any_case(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    loaded(session)

    for code in ["C189", "c189"]:
        c189 = ok(client.get(f"{INSTRUMENTS}/{code}", headers=admin_headers))
        assert c189["code"] == "C189"
        assert c189["body"] == "ILO"
        assert c189["title"] == "Domestic Workers Convention, 2011"
        assert c189["adopted_on"] == "2011-06-16"
        assert c189["entered_into_force_on"] == "2013-09-05"
        assert c189["category"] == "domestic_workers"
    assert ok(client.get(f"{INSTRUMENTS}/icrmw", headers=admin_headers))["body"] == "UN"

    assert_problem(client.get(f"{INSTRUMENTS}/C999", headers=admin_headers), 404)
    assert_problem(
        client.patch(f"{INSTRUMENTS}/C999", json={"title": "x"}, headers=admin_headers), 404
    )
    assert_problem(client.get(INSTRUMENTS), 401)
    assert_problem(client.get(f"{INSTRUMENTS}/C189"), 401)


def test_filters_body_category_founding_statement_and_q(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    loaded(session)
    ok(client.post(INSTRUMENTS, json=C190, headers=admin_headers), 201)
    six = sorted(FOUNDING)

    assert codes(client, admin_headers, body="UN") == ["ICRMW"]
    assert codes(client, admin_headers, body="ILO") == sorted({*six, "C190"} - {"ICRMW"})
    assert codes(client, admin_headers, body="other") == []
    assert set(codes(client, admin_headers, category="fundamental")) == FUNDAMENTAL | {"C190"}
    assert set(codes(client, admin_headers, category="migrant_workers")) == MIGRANT_WORKERS
    assert codes(client, admin_headers, named_in_founding_statement="true") == six
    assert codes(client, admin_headers, named_in_founding_statement="false") == ["C190"]
    assert codes(client, admin_headers, body="ILO", category="fundamental") == [
        "C087",
        "C098",
        "C190",
    ]

    # q: part of the title or short title, whatever its case, or the exact code.
    assert codes(client, admin_headers, q="DOMESTIC") == ["C189"]
    assert codes(client, admin_headers, q="violence") == ["C190"]
    assert codes(client, admin_headers, q="collective bargaining") == ["C098"]
    assert codes(client, admin_headers, q="c189") == ["C189"]
    assert codes(client, admin_headers, q="icrmw") == ["ICRMW"]
    assert codes(client, admin_headers, q="C190") == ["C190"]
    assert codes(client, admin_headers, q="IcRmW") == ["ICRMW"]
    assert codes(client, admin_headers, q="Migrant Workers") == ["C143", "ICRMW"]
    assert codes(client, admin_headers, q="no such convention") == []

    for params in [
        {"body": "EU"},
        {"category": "labour"},
        {"named_in_founding_statement": "perhaps"},
        {"limit": 0},
        {"limit": 201},
        {"cursor": "%%%"},
    ]:
        assert_problem(client.get(INSTRUMENTS, params=params, headers=admin_headers), 422)


# ---- pagination ---------------------------------------------------------------------------


def test_pages_follow_the_link_header_in_code_order(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    loaded(session)

    response = client.get(INSTRUMENTS, params={"limit": 2}, headers=admin_headers)
    pages = [[item["code"] for item in ok(response)["items"]]]
    while "link" in response.headers:
        match = LINK_NEXT.match(response.headers["link"])
        assert match is not None, response.headers["link"]
        assert f"cursor={response.json()['next_cursor']}" in match["url"]
        response = client.get(match["url"], headers=admin_headers)
        pages.append([item["code"] for item in ok(response)["items"]])
    assert response.json()["next_cursor"] is None

    six = sorted(FOUNDING)
    assert pages == [six[0:2], six[2:4], six[4:6]]


def test_a_cursor_stays_in_place_while_instruments_are_added(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    loaded(session)
    six = sorted(FOUNDING)

    first = ok(client.get(INSTRUMENTS, params={"limit": 3}, headers=admin_headers))
    assert [item["code"] for item in first["items"]] == six[:3]
    # One sorts before the page just served, one among those still to come.
    for code in ("C001", "C190"):
        ok(client.post(INSTRUMENTS, json={**C190, "code": code}, headers=admin_headers), 201)
    rest = ok(
        client.get(
            INSTRUMENTS, params={"limit": 3, "cursor": first["next_cursor"]}, headers=admin_headers
        )
    )
    after = ok(
        client.get(
            INSTRUMENTS, params={"limit": 3, "cursor": rest["next_cursor"]}, headers=admin_headers
        )
    )

    assert [item["code"] for item in rest["items"]] == ["C143", "C189", "C190"]
    assert [item["code"] for item in after["items"]] == ["ICRMW"]
    assert after["next_cursor"] is None


# ---- writes -------------------------------------------------------------------------------


def test_an_admin_adds_an_instrument_beyond_the_six_and_it_is_audited(
    client: TestClient, session: Session, admin_headers: dict[str, str], admin: User
) -> None:
    loaded(session)

    created = ok(client.post(INSTRUMENTS, json=C190, headers=admin_headers), 201)

    for field, value in C190.items():
        assert created[field] == value, field
    assert created["named_in_founding_statement"] is False
    assert ok(client.get(f"{INSTRUMENTS}/C190", headers=admin_headers)) == created
    assert codes(client, admin_headers) == [*sorted(FOUNDING)[:5], "C190", "ICRMW"]

    [entry] = audit_entries(client, admin_headers, "instrument.created")
    assert entry["subject_type"] == "instrument"
    assert entry["subject_id"] == "C190"
    assert entry["actor_user_id"] == str(admin.id)


def test_a_new_instrument_cannot_claim_the_founding_statement_or_a_taken_code(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    loaded(session)
    c189 = ok(client.get(f"{INSTRUMENTS}/C189", headers=admin_headers))

    claimed = client.post(
        INSTRUMENTS, json={**C190, "named_in_founding_statement": True}, headers=admin_headers
    )
    duplicate = client.post(
        INSTRUMENTS,
        json={**C190, "code": "C189", "title": "Another title"},
        headers=admin_headers,
    )

    problem = assert_problem(claimed, 422)
    assert ["body", "named_in_founding_statement"] in [e["location"] for e in problem["errors"]]
    assert_problem(duplicate, 409)
    assert_problem(client.get(f"{INSTRUMENTS}/C190", headers=admin_headers), 404)
    assert ok(client.get(f"{INSTRUMENTS}/C189", headers=admin_headers)) == c189
    assert instrument_count(session) == len(FOUNDING)
    assert audit_entries(client, admin_headers, "instrument.created") == []


def test_a_code_must_be_upper_case_letters_digits_and_hyphens_up_to_sixteen(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    for code in ["c190", "C190 ", "C_190", "1C90", "C", "C" + "1" * 16]:
        problem = assert_problem(
            client.post(INSTRUMENTS, json={**C190, "code": code}, headers=admin_headers), 422
        )
        assert problem["errors"][0]["location"] == ["body", "code"], code
    assert instrument_count(session) == 0

    longest = "C" + "1" * 15
    assert ok(client.post(INSTRUMENTS, json={**C190, "code": longest}, headers=admin_headers), 201)
    assert ok(client.post(INSTRUMENTS, json={**C190, "code": "UN-CRC"}, headers=admin_headers), 201)
    assert instrument_count(session) == 2


def test_entry_into_force_cannot_precede_adoption(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    loaded(session)
    c189 = ok(client.get(f"{INSTRUMENTS}/C189", headers=admin_headers))

    created = client.post(
        INSTRUMENTS, json={**C190, "entered_into_force_on": "2019-06-20"}, headers=admin_headers
    )
    earlier_force = client.patch(
        f"{INSTRUMENTS}/C189", json={"entered_into_force_on": "2011-06-15"}, headers=admin_headers
    )
    later_adoption = client.patch(
        f"{INSTRUMENTS}/C189", json={"adopted_on": "2013-09-06"}, headers=admin_headers
    )
    both = client.patch(
        f"{INSTRUMENTS}/C189",
        json={"adopted_on": "2020-01-02", "entered_into_force_on": "2020-01-01"},
        headers=admin_headers,
    )

    for response in (created, earlier_force, both):
        problem = assert_problem(response, 422)
        assert problem["errors"][0]["location"] == ["body", "entered_into_force_on"]
    # Only adopted_on was sent, so the error names it rather than the stored date it clashes with.
    assert assert_problem(later_adoption, 422)["errors"][0]["location"] == ["body", "adopted_on"]
    assert_problem(client.get(f"{INSTRUMENTS}/C190", headers=admin_headers), 404)
    assert ok(client.get(f"{INSTRUMENTS}/C189", headers=admin_headers)) == c189
    assert audit_entries(client, admin_headers, "instrument.updated") == []

    # Moving one date while the other still follows it is fine, and so is clearing one.
    moved = client.patch(
        f"{INSTRUMENTS}/C189", json={"adopted_on": "2013-09-05"}, headers=admin_headers
    )
    assert ok(moved)["adopted_on"] == "2013-09-05"
    cleared = client.patch(f"{INSTRUMENTS}/C189", json={"adopted_on": None}, headers=admin_headers)
    assert ok(cleared)["adopted_on"] is None
    assert (
        ok(
            client.patch(
                f"{INSTRUMENTS}/C189",
                json={"entered_into_force_on": "1900-01-01"},
                headers=admin_headers,
            )
        )["entered_into_force_on"]
        == "1900-01-01"
    )


def test_an_admin_corrects_a_title_and_it_is_audited(
    client: TestClient, session: Session, admin_headers: dict[str, str], admin: User
) -> None:
    loaded(session)
    before = ok(client.get(f"{INSTRUMENTS}/c097", headers=admin_headers))
    title = "Migration for Employment Convention (Revised), 1949 (No. 97)"

    updated = ok(client.patch(f"{INSTRUMENTS}/c097", json={"title": title}, headers=admin_headers))

    assert updated["title"] == title
    unchanged = {key for key in before if key not in {"title", "updated_at"}}
    assert {key: updated[key] for key in unchanged} == {key: before[key] for key in unchanged}
    assert datetime.fromisoformat(updated["updated_at"]) > datetime.fromisoformat(
        before["updated_at"]
    )
    assert ok(client.get(f"{INSTRUMENTS}/C097", headers=admin_headers)) == updated

    [entry] = audit_entries(client, admin_headers, "instrument.updated")
    assert entry["subject_type"] == "instrument"
    assert entry["subject_id"] == "C097"
    assert entry["actor_user_id"] == str(admin.id)
    assert entry["details"] == {"fields": ["title"]}


def test_a_patch_cannot_null_required_fields_or_touch_the_code_or_the_statement(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    loaded(session)
    before = ok(client.get(f"{INSTRUMENTS}/C143", headers=admin_headers))

    for body in [
        {"title": None},
        {"body": None},
        {"category": None},
        {"title": ""},
        {"body": "EU"},
        {"code": "C144"},
        {"named_in_founding_statement": False},
    ]:
        response = client.patch(f"{INSTRUMENTS}/C143", json=body, headers=admin_headers)
        problem = assert_problem(response, 422)
        assert problem["errors"][0]["location"] == ["body", next(iter(body))], body

    assert ok(client.get(f"{INSTRUMENTS}/C143", headers=admin_headers)) == before
    assert audit_entries(client, admin_headers, "instrument.updated") == []


def test_partners_and_readers_read_but_cannot_write(
    client: TestClient,
    session: Session,
    settings: Settings,
    secretariat: Organisation,
    admin_headers: dict[str, str],
    partner_headers: dict[str, str],
) -> None:
    loaded(session)
    reader_headers = login_headers(
        settings, make_user(session, secretariat, Role.reader, "reader@example.org")
    )
    c189 = ok(client.get(f"{INSTRUMENTS}/C189", headers=admin_headers))

    for headers in (partner_headers, reader_headers):
        assert codes(client, headers) == sorted(FOUNDING)
        assert ok(client.get(f"{INSTRUMENTS}/c189", headers=headers)) == c189
        assert_problem(client.post(INSTRUMENTS, json=C190, headers=headers), 403)
        assert_problem(
            client.patch(f"{INSTRUMENTS}/C189", json={"title": "Renamed"}, headers=headers), 403
        )

    assert ok(client.get(f"{INSTRUMENTS}/C189", headers=admin_headers)) == c189
    assert instrument_count(session) == len(FOUNDING)
    assert audit_entries(client, admin_headers, "instrument.created") == []
    assert audit_entries(client, admin_headers, "instrument.updated") == []


def test_the_csv_export_lists_the_matching_instruments_one_row_each(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    loaded(session)
    csv_headers = {**admin_headers, "Accept": "text/csv"}

    every = client.get(INSTRUMENTS, headers=csv_headers)
    fundamental = client.get(INSTRUMENTS, params={"category": "fundamental"}, headers=csv_headers)

    assert every.status_code == 200
    assert every.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(every.text)))
    assert sorted(row["code"] for row in rows) == sorted(FOUNDING)
    c189 = next(row for row in rows if row["code"] == "C189")
    assert c189["title"] == "Domestic Workers Convention, 2011"
    assert c189["named_in_founding_statement"] == "true"
    assert {row["code"] for row in csv.DictReader(io.StringIO(fundamental.text))} == FUNDAMENTAL


def test_updated_since_lists_only_the_instruments_changed_from_then_on(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    loaded(session)
    ok(client.post(INSTRUMENTS, json=C190, headers=admin_headers), 201)
    since = ok(client.get(f"{INSTRUMENTS}/C190", headers=admin_headers))["updated_at"]
    ok(client.patch(f"{INSTRUMENTS}/C087", json={"short_title": "C87"}, headers=admin_headers))

    assert codes(client, admin_headers, updated_since=since) == ["C087", "C190"]
