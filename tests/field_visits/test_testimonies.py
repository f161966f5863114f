"""Testimonies are personal data (issue 5, item 4): the organisation that owns a report and the
secretariat see them; every other caller gets `testimonies: null` in reads, lists, CSV exports,
search results, revisions and the responses of its own writes, and neither the change feed, the
audit log nor the server's logs ever hold them. A testimony whose consent is withdrawn is
hidden from everyone but the secretariat, in old revisions too.

Each check searches the raw response (or row, or log record) for markers that appear nowhere
but in the testimonies: a pseudonym, a real name, a contact and a word of the text."""

import csv
import io
import json
import logging
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import httpx2
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.config import Settings
from app.identity import service as identity
from app.identity.models import Organisation, OrganisationCreate, OrganisationKind, Role
from tests.conftest import api_token_headers, login_headers, make_user

FIELD_VISITS = "/api/v1/field-visits"
CSV = {"Accept": "text/csv"}

Headers = dict[str, str]

# Consent given, and kept so: the owner and the secretariat see it.
GIVEN = {
    "pseudonym": "Kestrel-Pseudonym-7Q",
    "real_name": "Zabrowski Realname-7Q",
    "contact": "kestrel.7q@example.net",
    "consent": "given",
    "text": "We were not paid for months at the quarrywagesxq site.",
}
GIVEN_MARKERS = ("Kestrel-Pseudonym", "Zabrowski", "kestrel.7q", "quarrywagesxq")
# Consent given when recorded, withdrawn later by the secretariat: the secretariat alone sees it.
LATER = {
    "pseudonym": "Ibis-Pseudonym-9K",
    "real_name": "Mensah Realname-9K",
    "contact": "ibis.9k@example.net",
    "consent": "given",
    "text": "The recruitmentzk fee became a debt we still owe.",
}
LATER_MARKERS = ("Ibis-Pseudonym", "Mensah", "ibis.9k", "recruitmentzk")
LATER_NEW_CONTACT = "ibis.9k.second@example.net"
GIVEN_NAME = GIVEN["pseudonym"]
LATER_NAME = LATER["pseudonym"]
ALL_MARKERS = (*GIVEN_MARKERS, *LATER_MARKERS)
# A word of a testimony, and nowhere else: a search for it must find nothing.
TESTIMONY_WORDS = ("quarrywagesxq", "recruitmentzk", "Zabrowski", "kestrel.7q")

# What a caller who may not write testimonies tries to put in.
FORGED = {**GIVEN, "pseudonym": "Forged-Pseudonym", "text": "Forged."}

SECRETARIAT = ["admin", "editor", "secretariat-api-token"]
OWNERS = ["partner", "partner-api-token"]
OUTSIDERS = ["reader", "other-partner", "other-partner-api-token", "parliament-editor"]


def report_body(**overrides: Any) -> dict[str, Any]:
    return {
        "title": "Visit to quarry workers in Johor",
        "country": "MY",
        "start_date": "2026-03-10",
        "end_date": "2026-03-12",
        "places": ["Johor Bahru"],
        "findings": "Wages withheld across several sites.",
        "recommendations": [
            {"text": "Enforce the minimum wage order.", "addressed_to": "Ministry of Labour"}
        ],
        **overrides,
    }


# ---- callers --------------------------------------------------------------------------------


@pytest.fixture
def callers(
    client: TestClient,
    session: Session,
    settings: Settings,
    admin_headers: Headers,
    headers_of: Callable[[str], Headers],
) -> Callable[[str], Headers]:
    """`headers_of`, each caller made once, plus a partner organisation that does not own the
    reports (its user and its API token)."""
    made: dict[str, Headers] = {}
    other: list[Organisation] = []

    def other_organisation() -> Organisation:
        if not other:
            other.append(
                identity.create_organisation(
                    session,
                    actor=None,
                    data=OrganisationCreate(name="Other CSO", kind=OrganisationKind.cso),
                )
            )
        return other[0]

    def get(caller: str) -> Headers:
        if caller not in made:
            if caller == "other-partner":
                user = make_user(session, other_organisation(), Role.partner, "o@example.org")
                made[caller] = login_headers(settings, user)
            elif caller == "other-partner-api-token":
                scopes = ["records:read", "reports:write"]
                made[caller] = api_token_headers(
                    client, admin_headers, other_organisation(), scopes
                )
            else:
                made[caller] = headers_of(caller)
        return made[caller]

    return get


# ---- requests and checks --------------------------------------------------------------------


def ok(response: httpx2.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def path_of(record_id: str) -> str:
    return f"{FIELD_VISITS}/{record_id}"


def patch(
    client: TestClient, headers: Headers, record_id: str, changes: dict[str, Any]
) -> httpx2.Response:
    return client.patch(path_of(record_id), json=changes, headers=headers)


def step(
    client: TestClient, headers: Headers, record_id: str, name: str, **kwargs: Any
) -> httpx2.Response:
    """A step of the workflow (submit, return, publish) or restore."""
    return client.post(f"{path_of(record_id)}/{name}", headers=headers, **kwargs)


def create(client: TestClient, headers: Headers, **overrides: Any) -> dict[str, Any]:
    created: dict[str, Any] = ok(
        client.post(FIELD_VISITS, json=report_body(**overrides), headers=headers), 201
    )
    return created


def read(client: TestClient, headers: Headers, record_id: str) -> dict[str, Any]:
    found: dict[str, Any] = ok(client.get(path_of(record_id), headers=headers))
    return found


def listing(client: TestClient, headers: Headers, **params: Any) -> httpx2.Response:
    return client.get(FIELD_VISITS, params={"limit": 200, **params}, headers=headers)


def csv_export(client: TestClient, headers: Headers, **params: Any) -> str:
    response = client.get(FIELD_VISITS, params=params, headers={**headers, **CSV})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return response.text


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def revisions(client: TestClient, headers: Headers, record_id: str) -> httpx2.Response:
    return client.get(f"{path_of(record_id)}/revisions", params={"limit": 200}, headers=headers)


def assert_absent(text: str, markers: Iterable[str] = ALL_MARKERS) -> None:
    for marker in markers:
        assert marker not in text, marker


def assert_present(text: str, markers: Iterable[str]) -> None:
    for marker in markers:
        assert marker in text, marker


def pseudonyms(testimonies: list[dict[str, Any]] | None) -> list[str] | None:
    if testimonies is None:
        return None
    return [testimony["pseudonym"] for testimony in testimonies]


def one_testimony(report: dict[str, Any], pseudonym: str) -> dict[str, Any]:
    (found,) = (t for t in report["testimonies"] if t["pseudonym"] == pseudonym)
    return found


def with_history(
    client: TestClient, owner: Headers, secretariat: Headers, *, publish: bool = True
) -> dict[str, Any]:
    """A report of the owner's organisation with two testimonies, whose history is:

    1. created by the owner, both testimonies given;
    2. the owner changes the second one's contact (only `testimonies` changes);
    3. the owner submits it;
    4. the secretariat withdraws the second one's consent (only `testimonies` changes);
    5. the secretariat publishes it (unless `publish` is false).
    """
    created = create(client, owner, testimonies=[GIVEN, LATER])
    record_id = created["id"]
    given, later = (one_testimony(created, name) for name in (GIVEN_NAME, LATER_NAME))
    ok(
        patch(
            client,
            owner,
            record_id,
            {"testimonies": [given, {**later, "contact": LATER_NEW_CONTACT}]},
        )
    )
    ok(step(client, owner, record_id, "submit"))
    withdrawn = {**later, "contact": LATER_NEW_CONTACT, "consent": "withdrawn"}
    ok(patch(client, secretariat, record_id, {"testimonies": [given, withdrawn]}))
    if publish:
        ok(step(client, secretariat, record_id, "publish"))
    return read(client, secretariat, record_id)


# ---- the secretariat ------------------------------------------------------------------------


@pytest.mark.parametrize("caller", SECRETARIAT)
def test_the_secretariat_sees_every_testimony_withdrawn_ones_included(
    client: TestClient, callers: Callable[[str], Headers], caller: str
) -> None:
    headers = callers(caller)
    report = with_history(client, callers("partner"), callers("admin"))
    record_id = report["id"]

    one = read(client, headers, record_id)
    assert pseudonyms(one["testimonies"]) == [GIVEN_NAME, LATER_NAME]
    assert one_testimony(one, LATER_NAME) == {
        **LATER,
        "contact": LATER_NEW_CONTACT,
        "consent": "withdrawn",
        "id": one_testimony(one, LATER_NAME)["id"],
    }
    assert one_testimony(one, GIVEN_NAME) == {**GIVEN, "id": one_testimony(one, GIVEN_NAME)["id"]}

    items = ok(listing(client, headers))["items"]
    assert [pseudonyms(item["testimonies"]) for item in items] == [[GIVEN_NAME, LATER_NAME]]

    text = csv_export(client, headers)
    assert_present(text, (*GIVEN_MARKERS, *LATER_MARKERS, LATER_NEW_CONTACT))

    history = ok(revisions(client, headers, record_id))["items"]
    assert [r["version"] for r in history] == [5, 4, 3, 2, 1]
    assert [pseudonyms(r["snapshot"]["testimonies"]) for r in history] == [
        [GIVEN_NAME, LATER_NAME]
    ] * 5
    assert [r["snapshot"]["testimonies"][1]["consent"] for r in history] == [
        "withdrawn",
        "withdrawn",
        "given",
        "given",
        "given",
    ]
    assert ["testimonies" in r["changed_fields"] for r in history] == [
        False,
        True,
        False,
        True,
        True,
    ]


# ---- the owning organisation ----------------------------------------------------------------


@pytest.mark.parametrize("caller", OWNERS)
def test_the_owner_sees_given_testimonies_and_not_withdrawn_ones_in_any_revision(
    client: TestClient, callers: Callable[[str], Headers], caller: str
) -> None:
    headers = callers(caller)
    report = with_history(client, callers("partner"), callers("admin"))
    record_id = report["id"]

    one = client.get(path_of(record_id), headers=headers)
    assert pseudonyms(ok(one)["testimonies"]) == [GIVEN_NAME]
    assert ok(one)["testimonies"][0] == {**GIVEN, "id": ok(one)["testimonies"][0]["id"]}
    assert_absent(one.text, LATER_MARKERS)

    listed = listing(client, headers)
    assert [pseudonyms(item["testimonies"]) for item in ok(listed)["items"]] == [[GIVEN_NAME]]
    assert_absent(listed.text, LATER_MARKERS)

    text = csv_export(client, headers)
    assert_present(text, GIVEN_MARKERS)
    assert_absent(text, (*LATER_MARKERS, LATER_NEW_CONTACT))

    # Revisions 1 and 2 were written while the second testimony's consent was still given.
    history = revisions(client, headers, record_id)
    snapshots = [r["snapshot"] for r in ok(history)["items"]]
    assert [s["version"] for s in snapshots] == [5, 4, 3, 2, 1]
    assert [pseudonyms(s["testimonies"]) for s in snapshots] == [[GIVEN_NAME]] * 5
    assert_present(history.text, GIVEN_MARKERS)
    assert_absent(history.text, (*LATER_MARKERS, LATER_NEW_CONTACT))


def test_the_owner_sees_testimonies_in_the_changed_fields_of_its_own_changes(
    client: TestClient, callers: Callable[[str], Headers]
) -> None:
    owner = callers("partner")
    created = create(client, owner, testimonies=[GIVEN])
    given = created["testimonies"][0]
    ok(patch(client, owner, created["id"], {"testimonies": [{**given, "text": "Changed."}]}))

    history = ok(revisions(client, owner, created["id"]))["items"]

    assert history[0]["changed_fields"] == ["testimonies"]
    assert [t["text"] for t in history[0]["snapshot"]["testimonies"]] == ["Changed."]


@pytest.mark.parametrize("caller", OWNERS)
def test_the_owner_writing_gets_its_given_testimonies_back_and_not_withdrawn_ones(
    client: TestClient, callers: Callable[[str], Headers], caller: str
) -> None:
    headers = callers(caller)
    withdrawn = {**LATER, "consent": "withdrawn"}

    created = client.post(
        FIELD_VISITS, json=report_body(testimonies=[GIVEN, withdrawn]), headers=headers
    )
    assert pseudonyms(ok(created, 201)["testimonies"]) == [GIVEN_NAME]
    assert_absent(created.text, LATER_MARKERS)
    record_id = created.json()["id"]

    changed = patch(client, headers, record_id, {"findings": "More wages withheld."})
    assert pseudonyms(ok(changed)["testimonies"]) == [GIVEN_NAME]
    assert_absent(changed.text, LATER_MARKERS)

    submitted = step(client, headers, record_id, "submit")
    assert pseudonyms(ok(submitted)["testimonies"]) == [GIVEN_NAME]
    assert_absent(submitted.text, LATER_MARKERS)

    stored = read(client, callers("admin"), record_id)
    assert pseudonyms(stored["testimonies"]) == [GIVEN_NAME, LATER_NAME]


def test_an_owner_patch_replaces_the_testimonies_it_sees_and_keeps_withdrawn_ones(
    client: TestClient, callers: Callable[[str], Headers]
) -> None:
    owner, admin = callers("partner"), callers("admin")
    created = create(client, owner, testimonies=[GIVEN, LATER])
    record_id = created["id"]
    given, later = (one_testimony(created, name) for name in (GIVEN_NAME, LATER_NAME))
    ok(patch(client, admin, record_id, {"testimonies": [given, {**later, "consent": "withdrawn"}]}))
    added = {
        "pseudonym": "Worker C",
        "consent": "given",
        "text": "The dormitory had no water.",
    }

    # The owner drops the one it sees, changes nothing else it cannot see, and adds one.
    response = patch(client, owner, record_id, {"testimonies": [added]})

    assert pseudonyms(ok(response)["testimonies"]) == ["Worker C"]
    assert_absent(response.text, ALL_MARKERS)
    stored = read(client, admin, record_id)
    assert pseudonyms(stored["testimonies"]) == ["Worker C", LATER_NAME]
    assert one_testimony(stored, LATER_NAME) == {**later, "consent": "withdrawn"}

    # Sent back as read, with its id: changed in place; the withdrawn one is still kept.
    shown = read(client, owner, record_id)["testimonies"]
    ok(
        patch(
            client, owner, record_id, {"testimonies": [{**shown[0], "text": "No water, no fan."}]}
        )
    )
    stored = read(client, admin, record_id)
    assert [(t["id"], t["text"]) for t in stored["testimonies"]] == [
        (shown[0]["id"], "No water, no fan."),
        (later["id"], LATER["text"]),
    ]


def test_an_unknown_testimony_id_is_refused_and_changes_nothing(
    client: TestClient, callers: Callable[[str], Headers]
) -> None:
    owner, admin = callers("partner"), callers("admin")
    created = create(client, owner, testimonies=[GIVEN])
    record_id = created["id"]

    unknown = patch(client, owner, record_id, {"testimonies": [{**GIVEN, "id": str(uuid.uuid4())}]})

    assert unknown.status_code == 422, unknown.text
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert [e["location"] for e in unknown.json()["errors"]] == [["body", "testimonies"]]
    assert_absent(unknown.text, ALL_MARKERS)
    after = read(client, admin, record_id)
    assert (after["version"], after["testimonies"]) == (1, created["testimonies"])


def test_the_id_of_a_withdrawn_testimony_is_unknown_to_the_owner(
    client: TestClient, callers: Callable[[str], Headers]
) -> None:
    owner, admin = callers("partner"), callers("admin")
    created = create(client, owner, testimonies=[GIVEN, LATER])
    record_id = created["id"]
    given, later = (one_testimony(created, name) for name in (GIVEN_NAME, LATER_NAME))
    withdrawn = {**later, "consent": "withdrawn"}
    ok(patch(client, admin, record_id, {"testimonies": [given, withdrawn]}))

    # Giving consent back is the secretariat's to record, not the owner's.
    refused = patch(client, owner, record_id, {"testimonies": [given, {**later, "text": "x"}]})

    assert refused.status_code == 422, refused.text
    assert_absent(refused.text, ALL_MARKERS)
    assert read(client, admin, record_id)["testimonies"] == [given, withdrawn]


# ---- everyone else --------------------------------------------------------------------------


@pytest.mark.parametrize("caller", OUTSIDERS)
def test_other_callers_never_receive_testimonies(
    client: TestClient, callers: Callable[[str], Headers], caller: str
) -> None:
    headers = callers(caller)
    report = with_history(client, callers("partner"), callers("admin"))
    record_id = report["id"]

    one = client.get(path_of(record_id), headers=headers)
    assert ok(one)["testimonies"] is None
    assert ok(one)["findings"] == report["findings"]  # the rest of the report is there
    assert_absent(one.text)

    for params in ({}, {"country": "MY", "status": "published"}, {"q": "quarry workers"}):
        listed = listing(client, headers, **params)
        assert [(i["id"], i["testimonies"]) for i in ok(listed)["items"]] == [(record_id, None)]
        assert_absent(listed.text)

        text = csv_export(client, headers, **params)
        assert [(row["id"], row["testimonies"]) for row in csv_rows(text)] == [(record_id, "")]
        assert_absent(text)

    history = revisions(client, headers, record_id)
    items = ok(history)["items"]
    # Reviewers read the versions before publication too; other callers only the published.
    reviews = caller == "parliament-editor"
    assert [r["version"] for r in items] == ([5, 4, 3, 2, 1] if reviews else [5])
    assert [r["snapshot"]["testimonies"] for r in items] == [None] * len(items)
    assert all("testimonies" not in r["changed_fields"] for r in items)
    assert "status" in items[0]["changed_fields"]  # what they may read is still named
    assert_absent(history.text)


@pytest.mark.parametrize("caller", [*OWNERS, *SECRETARIAT, *OUTSIDERS])
def test_a_search_never_matches_the_words_of_a_testimony(
    client: TestClient, callers: Callable[[str], Headers], caller: str
) -> None:
    headers = callers(caller)
    report = with_history(client, callers("partner"), callers("admin"))

    for word in [*TESTIMONY_WORDS, *(each.upper() for each in TESTIMONY_WORDS)]:
        found = listing(client, headers, q=word)
        exported = csv_export(client, headers, q=word)

        assert ok(found)["items"] == [], word
        assert csv_rows(exported) == [], word
        assert_absent(exported)
    # The same caller finds the report by a word of its findings.
    assert [i["id"] for i in ok(listing(client, headers, q="withheld"))["items"]] == [report["id"]]


def test_a_reviewing_editor_outside_the_secretariat_never_receives_testimonies_from_its_writes(
    client: TestClient, callers: Callable[[str], Headers], session: Session
) -> None:
    owner, office = callers("partner"), callers("parliament-editor")
    created = create(client, owner, testimonies=[GIVEN, LATER])
    record_id = created["id"]
    ok(step(client, owner, record_id, "submit"))
    responses: list[httpx2.Response] = []

    # The office reviews: finds the unpublished report, edits it, returns it...
    responses.append(client.get(path_of(record_id), headers=office))
    responses.append(listing(client, office, status="submitted"))
    responses.append(patch(client, office, record_id, {"findings": "Wages withheld, checked."}))
    responses.append(
        step(
            client,
            {**office, "Idempotency-Key": "return-1"},
            record_id,
            "return",
            json={"reason": "Add the number of workers met."},
        )
    )
    # ... the owner submits it again, and the office publishes it, deletes and restores it.
    ok(step(client, owner, record_id, "submit"))
    publish_once = {**office, "Idempotency-Key": "publish-1"}
    responses.append(step(client, publish_once, record_id, "publish"))
    responses.append(step(client, publish_once, record_id, "publish"))
    assert client.delete(path_of(record_id), headers=office).status_code == 204
    responses.append(step(client, office, record_id, "restore"))
    responses.append(patch(client, office, record_id, {"title": "Quarry workers in Johor"}))

    assert [r.status_code for r in responses] == [200] * 8
    assert responses[5].headers.get("Idempotent-Replayed") == "true"
    for response in responses:
        assert_absent(response.text)
    for response in (*responses[:1], *responses[2:]):
        assert response.json()["testimonies"] is None
    assert [i["testimonies"] for i in responses[1].json()["items"]] == [None]
    assert [response.json()["status"] for response in responses[2:]] == [
        "submitted",
        "returned",
        "published",
        "published",
        "published",
        "published",
    ]
    stored = read(client, callers("admin"), record_id)
    assert pseudonyms(stored["testimonies"]) == [GIVEN_NAME, LATER_NAME]
    assert stored["version"] == created["version"] + 8

    # What is kept for replays of its writes holds none either.
    rows = session.connection().execute(sa.text("SELECT response_body FROM idempotency_keys"))
    bodies = [bytes(row.response_body).decode() for row in rows if row.response_body is not None]
    assert len(bodies) == 2
    for kept in bodies:
        assert_absent(kept)


@pytest.mark.parametrize("caller", ["reader", "other-partner", "other-partner-api-token"])
def test_refused_writes_of_other_callers_carry_no_testimony(
    client: TestClient, callers: Callable[[str], Headers], caller: str
) -> None:
    headers = callers(caller)
    report = with_history(client, callers("partner"), callers("admin"))
    record_id = report["id"]

    refused = [
        patch(client, headers, record_id, {"findings": "Nothing withheld."}),
        patch(client, headers, record_id, {"testimonies": [GIVEN]}),
        patch(client, headers, record_id, {"testimonies": None}),
        step(client, headers, record_id, "submit"),
        step(client, headers, record_id, "return", json={"reason": "Why not."}),
        step(client, headers, record_id, "publish"),
        client.delete(path_of(record_id), headers=headers),
    ]

    for response in refused:
        assert response.status_code in {403, 409}, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert_absent(response.text)
    assert read(client, callers("admin"), record_id) == report


@pytest.mark.parametrize("caller", ["parliament-editor", "other-partner-api-token"])
@pytest.mark.parametrize("sent", [[FORGED], []], ids=["a-testimony", "an-empty-list"])
def test_a_caller_outside_the_owner_and_the_secretariat_cannot_write_testimonies(
    client: TestClient,
    callers: Callable[[str], Headers],
    caller: str,
    sent: list[dict[str, Any]],
) -> None:
    """A reviewing editor is refused with 403; another partner, which may not edit the report
    at all, with 409. Either way nothing changes."""
    headers, admin = callers(caller), callers("admin")
    report = with_history(client, callers("partner"), admin)
    body = {"findings": "Changed too.", "testimonies": sent}

    refused = patch(client, headers, report["id"], body)

    assert refused.status_code == (403 if caller == "parliament-editor" else 409), refused.text
    assert_absent(refused.text, (*ALL_MARKERS, "Forged"))
    assert read(client, admin, report["id"]) == report
    assert len(ok(revisions(client, admin, report["id"]))["items"]) == report["version"]


def test_a_null_from_a_caller_who_cannot_see_testimonies_leaves_them_intact(
    client: TestClient, callers: Callable[[str], Headers]
) -> None:
    office, admin = callers("parliament-editor"), callers("admin")
    report = with_history(client, callers("partner"), admin, publish=False)

    # What the office read, sent back whole: its null testimonies change nothing.
    shown = read(client, office, report["id"])
    assert shown["testimonies"] is None
    echoed = patch(client, office, report["id"], {"testimonies": None, "title": shown["title"]})
    assert ok(echoed)["version"] == report["version"]
    assert read(client, admin, report["id"]) == report

    # With another change, that change alone is made.
    changed = patch(client, office, report["id"], {"testimonies": None, "findings": "Checked."})
    assert ok(changed)["testimonies"] is None
    assert_absent(changed.text)
    after = read(client, admin, report["id"])
    assert after["testimonies"] == report["testimonies"]
    assert (after["version"], after["findings"]) == (report["version"] + 1, "Checked.")
    latest = ok(revisions(client, admin, report["id"]))["items"][0]
    assert latest["changed_fields"] == ["findings"]


# ---- what the lifecycle writes beside the report, and the logs ------------------------------


def all_rows(session: Session, table: str) -> list[dict[str, Any]]:
    statement = sa.text(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
    return [dict(row._mapping) for row in session.connection().execute(statement)]


def naming(rows: list[dict[str, Any]], column: str, record_id: str) -> list[dict[str, Any]]:
    """Compared without dashes: SQLite may keep a UUID as 32 hex digits."""
    wanted = record_id.replace("-", "")
    return [row for row in rows if str(row[column]).replace("-", "") == wanted]


def test_change_events_and_audit_entries_never_hold_testimonies(
    client: TestClient, session: Session, callers: Callable[[str], Headers]
) -> None:
    admin, office = callers("admin"), callers("parliament-editor")
    report = with_history(client, callers("partner"), admin)
    record_id = report["id"]
    ok(patch(client, office, record_id, {"findings": "Checked again."}))
    assert client.delete(path_of(record_id), headers=admin).status_code == 204
    ok(step(client, admin, record_id, "restore"))

    events = all_rows(session, "change_events")
    audits = all_rows(session, "audit_log")

    assert [e["action"] for e in naming(events, "record_id", record_id)] == [
        "created",
        "updated",
        "updated",
        "updated",
        "published",
        "updated",
        "deleted",
        "restored",
    ]
    assert len(naming(audits, "subject_id", record_id)) == 8
    assert len(events) > 8  # the published recommendation too
    for row in [*events, *audits]:
        assert_absent(json.dumps(row, default=str, ensure_ascii=False))
        assert_absent(json.dumps(row, default=str))


INVALID_BODIES = {
    "consent-unknown": report_body(testimonies=[GIVEN, {**LATER, "consent": "maybe"}]),
    "pseudonym-too-long": report_body(
        testimonies=[{**GIVEN, "pseudonym": GIVEN["pseudonym"] * 20}, LATER]
    ),
    "unknown-field": report_body(testimonies=[GIVEN, {**LATER, "note": LATER["real_name"]}]),
    "id-not-a-uuid": report_body(testimonies=[{**GIVEN, "id": GIVEN["pseudonym"]}, LATER]),
    "text-not-a-string": report_body(testimonies=[GIVEN, {**LATER, "text": [LATER["text"]]}]),
    "testimonies-not-a-list": report_body(testimonies={GIVEN["pseudonym"]: GIVEN["text"]}),
    "no-consent": report_body(testimonies=[{k: v for k, v in GIVEN.items() if k != "consent"}]),
}


@pytest.mark.parametrize("invalid", INVALID_BODIES.values(), ids=INVALID_BODIES.keys())
def test_a_validation_error_never_echoes_a_testimony(
    client: TestClient, callers: Callable[[str], Headers], invalid: dict[str, Any]
) -> None:
    owner = callers("partner")

    response = client.post(FIELD_VISITS, json=invalid, headers=owner)

    assert response.status_code == 422, response.text
    assert response.json()["errors"]
    assert_absent(response.text)
    assert ok(listing(client, callers("admin")))["items"] == []


def test_a_body_that_is_not_json_is_not_echoed(
    client: TestClient, callers: Callable[[str], Headers]
) -> None:
    broken = json.dumps(report_body(testimonies=[GIVEN, LATER]))[:-5]

    response = client.post(
        FIELD_VISITS,
        content=broken,
        headers={**callers("partner"), "Content-Type": "application/json"},
    )

    assert response.status_code == 422, response.text
    assert_absent(response.text)


def test_the_server_logs_never_hold_testimonies(
    client: TestClient, callers: Callable[[str], Headers], caplog: pytest.LogCaptureFixture
) -> None:
    owner, admin, office = callers("partner"), callers("admin"), callers("parliament-editor")
    outsiders = [callers(caller) for caller in OUTSIDERS]
    caplog.set_level(logging.DEBUG)

    report = with_history(client, owner, admin)
    record_id = report["id"]
    for headers in (owner, admin, *outsiders):
        read(client, headers, record_id)
        ok(listing(client, headers, country="MY"))
        csv_export(client, headers)
        ok(revisions(client, headers, record_id))
    ok(patch(client, office, record_id, {"findings": "Checked."}))
    assert patch(client, office, record_id, {"testimonies": [GIVEN]}).status_code == 403
    for invalid in INVALID_BODIES.values():
        assert client.post(FIELD_VISITS, json=invalid, headers=owner).status_code == 422
    unknown = {"testimonies": [{**LATER, "id": str(uuid.uuid4())}]}
    created = ok(client.post(FIELD_VISITS, json=report_body(), headers=owner), 201)
    assert patch(client, owner, created["id"], unknown).status_code == 422

    assert caplog.records  # the requests were logged (by the test client at least)
    for record in caplog.records:
        logged = f"{record.getMessage()} {vars(record)!r}"
        assert_absent(logged)
    assert_absent(caplog.text)


# ---- known bugs -----------------------------------------------------------------------------


def test_a_withdrawn_testimony_the_secretariat_removes_stays_hidden_from_the_owner(
    client: TestClient, callers: Callable[[str], Headers]
) -> None:
    owner, admin = callers("partner"), callers("admin")
    created = create(client, owner, testimonies=[GIVEN, LATER])
    record_id = created["id"]
    given, later = (one_testimony(created, name) for name in (GIVEN_NAME, LATER_NAME))
    ok(patch(client, admin, record_id, {"testimonies": [given, {**later, "consent": "withdrawn"}]}))
    assert_absent(revisions(client, owner, record_id).text, LATER_MARKERS)

    # The secretariat erases the withdrawn testimony.
    ok(patch(client, admin, record_id, {"testimonies": [given]}))

    history = revisions(client, owner, record_id)
    assert [pseudonyms(r["snapshot"]["testimonies"]) for r in ok(history)["items"]] == [
        [GIVEN_NAME]
    ] * 3
    assert_absent(history.text, LATER_MARKERS)


def test_a_replayed_write_does_not_return_a_testimony_withdrawn_since(
    client: TestClient, callers: Callable[[str], Headers]
) -> None:
    owner, admin = callers("partner"), callers("admin")
    created = create(client, owner, testimonies=[GIVEN, LATER])
    record_id = created["id"]
    once = {**owner, "Idempotency-Key": "submit-1"}
    first = step(client, once, record_id, "submit")
    assert pseudonyms(ok(first)["testimonies"]) == [GIVEN_NAME, LATER_NAME]
    given, later = (one_testimony(created, name) for name in (GIVEN_NAME, LATER_NAME))
    ok(patch(client, admin, record_id, {"testimonies": [given, {**later, "consent": "withdrawn"}]}))

    replayed = step(client, once, record_id, "submit")

    assert replayed.status_code == 200, replayed.text
    assert replayed.headers.get("Idempotent-Replayed") == "true"
    assert_absent(replayed.text, LATER_MARKERS)
