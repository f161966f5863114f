"""POST /api/v1/imports: a CSV file of one record type, checked whole, then written in one
transaction; the same file, or an export, imported again changes nothing."""

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.imports.models import ImportType
from tests.api import CSV, assert_problem, ok
from tests.imports.helpers import COLLECTIONS, FILES, IMPORTS, counts, csv_text, file_of

pytestmark = pytest.mark.usefixtures("reference")

TYPES = list(ImportType)


def post(
    client: TestClient, headers: dict[str, str], import_type: ImportType, body: str, **params: Any
) -> Any:
    return client.post(
        IMPORTS,
        params={"type": import_type.value, **params},
        content=body.encode("utf-8"),
        headers={**headers, "Content-Type": "text/csv"},
    )


def export(client: TestClient, headers: dict[str, str], import_type: ImportType) -> str:
    response = client.get(COLLECTIONS[import_type], headers={**headers, **CSV})
    assert response.status_code == 200, response.text
    return response.content.decode("utf-8")


def listed(client: TestClient, headers: dict[str, str], import_type: ImportType) -> list[Any]:
    items: list[Any] = ok(client.get(COLLECTIONS[import_type], headers=headers))["items"]
    return items


def summary(import_type: ImportType, **numbers: int) -> dict[str, Any]:
    return {
        "type": import_type.value,
        "dry_run": numbers.pop("dry_run", False),
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "errors": [],
        **numbers,
    }


@pytest.mark.parametrize("import_type", TYPES)
def test_a_file_creates_its_records_through_the_lifecycle(
    client: TestClient, session: Session, admin_headers: dict[str, str], import_type: ImportType
) -> None:
    before = counts(session)

    answer = ok(post(client, admin_headers, import_type, file_of(import_type)))

    assert answer == summary(import_type, created=2)
    records = listed(client, admin_headers, import_type)
    assert len(records) == 2
    assert {record["visibility"] for record in records} == {
        row["visibility"] for row in FILES[import_type]
    }
    after = counts(session)
    assert {name: after[name] - before[name] for name in after} == dict.fromkeys(after, 2)


def test_cells_become_the_values_the_api_shows(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    ok(post(client, admin_headers, ImportType.agreements, file_of(ImportType.agreements)))
    ok(
        post(
            client, admin_headers, ImportType.parliamentarians, file_of(ImportType.parliamentarians)
        )
    )

    mou = listed(client, admin_headers, ImportType.agreements)[0]
    santos = listed(client, admin_headers, ImportType.parliamentarians)[0]

    assert mou["external_ref"] == "AGR-1"
    assert mou["parties"] == [
        {"country": "PH", "role": "origin"},
        {"country": "SA", "role": "destination"},
    ]
    assert mou["sectors"] == ["domestic_work", "care"]
    assert mou["sources"] == ["Ministry of Labour", "https://example.org/mou"]
    assert mou["summary"] == FILES[ImportType.agreements][0]["summary"]
    assert mou["expires_on"] is None
    assert santos["memberships"] == [
        {"role": "member", "started_on": "2019-06-01", "ended_on": "2021-05-31"},
        {"role": "convenor", "started_on": "2021-06-01", "ended_on": None},
    ]
    assert santos["contact"] == {
        "email": "maria@example.org",
        "phone": "+63 2 8931 5001",
        "address": None,
        "notes": None,
    }


@pytest.mark.parametrize("import_type", TYPES)
def test_the_same_file_imported_again_changes_nothing(
    client: TestClient, session: Session, admin_headers: dict[str, str], import_type: ImportType
) -> None:
    ok(post(client, admin_headers, import_type, file_of(import_type)))
    records = listed(client, admin_headers, import_type)
    before = counts(session)

    answer = ok(post(client, admin_headers, import_type, file_of(import_type)))

    assert answer == summary(import_type, unchanged=2)
    assert counts(session) == before
    assert listed(client, admin_headers, import_type) == records


@pytest.mark.parametrize("import_type", TYPES)
def test_an_export_imports_back_unchanged(
    client: TestClient, session: Session, admin_headers: dict[str, str], import_type: ImportType
) -> None:
    ok(post(client, admin_headers, import_type, file_of(import_type)))
    records = listed(client, admin_headers, import_type)
    exported = export(client, admin_headers, import_type)
    before = counts(session)

    answer = ok(post(client, admin_headers, import_type, exported))

    assert answer == summary(import_type, unchanged=2)
    assert counts(session) == before
    assert listed(client, admin_headers, import_type) == records
    assert export(client, admin_headers, import_type) == exported


@pytest.mark.parametrize("import_type", TYPES)
def test_an_edited_export_updates_only_the_rows_that_changed(
    client: TestClient, session: Session, admin_headers: dict[str, str], import_type: ImportType
) -> None:
    ok(post(client, admin_headers, import_type, file_of(import_type)))
    rows = list(csv.DictReader(io.StringIO(export(client, admin_headers, import_type), newline="")))
    rows[1]["visibility"] = "restricted" if rows[1]["visibility"] == "public" else "public"
    before = counts(session)

    answer = ok(post(client, admin_headers, import_type, csv_text(rows)))

    assert answer == summary(import_type, updated=1, unchanged=1)
    after = counts(session)
    assert {name: after[name] - before[name] for name in after} == dict.fromkeys(after, 1)
    first, second = listed(client, admin_headers, import_type)
    assert (first["version"], second["version"]) == (1, 2)
    assert second["visibility"] == rows[1]["visibility"]


@pytest.mark.parametrize("import_type", TYPES)
def test_a_dry_run_counts_what_it_would_do_and_writes_nothing(
    client: TestClient, session: Session, admin_headers: dict[str, str], import_type: ImportType
) -> None:
    before = counts(session)

    answer = ok(post(client, admin_headers, import_type, file_of(import_type), dry_run="true"))

    assert answer == summary(import_type, created=2, dry_run=True)
    assert counts(session) == before
    assert listed(client, admin_headers, import_type) == []


# Each row's errors, in the order of its columns; a domain rule (dates in order, a known
# instrument) is checked in a row whose cells are otherwise valid.
BROKEN: dict[ImportType, list[tuple[int, str, dict[str, str]]]] = {
    ImportType.agreements: [
        (1, "kind", {"kind": "treaty"}),
        (1, "parties", {"parties": "NP"}),
        (2, "expires_on", {"expires_on": "2010-01-01"}),
    ],
    ImportType.laws: [
        (1, "enacted_on", {"enacted_on": "18/01/2013"}),
        (2, "instrument_codes", {"instrument_codes": "C999"}),
    ],
    ImportType.ratifications: [
        (1, "country", {"country": "XX"}),
        (2, "status", {"status": ""}),
    ],
    ImportType.parliamentarians: [
        (1, "name", {"name": ""}),
        (1, "contact", {"contact": "maria.example.org:+63 2 8931 5001::"}),
        (2, "memberships", {"memberships": "member:2024-06-01:2020-01-01"}),
    ],
}


@pytest.mark.parametrize("import_type", TYPES)
def test_every_error_is_reported_by_row_and_column_and_nothing_is_written(
    client: TestClient, session: Session, admin_headers: dict[str, str], import_type: ImportType
) -> None:
    rows = [dict(row) for row in FILES[import_type]]
    for number, _, changes in BROKEN[import_type]:
        rows[number - 1].update(changes)
    # A valid third row is not written either.
    ok(post(client, admin_headers, import_type, file_of(import_type), dry_run="true"))
    before = counts(session)

    for dry_run in ("false", "true"):
        response = post(client, admin_headers, import_type, csv_text(rows), dry_run=dry_run)

        problem = assert_problem(response, 422)
        located = [tuple(error["location"]) for error in problem["errors"]]
        assert located == [("body", number, column) for number, column, _ in BROKEN[import_type]]
        assert all(error["message"] for error in problem["errors"])
        # Contact details are personal data: an error says what is wrong, not what was sent.
        assert not any("maria" in error["message"] for error in problem["errors"])
    assert counts(session) == before
    assert listed(client, admin_headers, import_type) == []


def test_a_write_refused_midway_leaves_nothing_of_the_file(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    """The third row takes an external_ref another law has, which only the database's unique
    index finds, after the first two rows were written in the same transaction."""
    ok(post(client, admin_headers, ImportType.laws, file_of(ImportType.laws)))
    first, second = listed(client, admin_headers, ImportType.laws)
    before = counts(session)
    rows = [
        {
            "id": "",
            "external_ref": "LAW-3",
            "country": "KH",
            "title": "Labour Law",
            "kind": "act",
            "status": "in_force",
        },
        {
            "id": first["id"],
            "external_ref": "LAW-1",
            "country": "PH",
            "title": "Renamed",
            "kind": "act",
            "status": "in_force",
        },
        {
            "id": second["id"],
            "external_ref": "LAW-1",
            "country": "TH",
            "title": second["title"],
            "kind": "regulation",
            "status": "amended",
        },
    ]

    problem = assert_problem(post(client, admin_headers, ImportType.laws, csv_text(rows)), 422)

    assert [tuple(error["location"]) for error in problem["errors"]] == [
        ("body", 3, "external_ref")
    ]
    assert counts(session) == before
    assert listed(client, admin_headers, ImportType.laws) == [first, second]


def test_rows_naming_one_record_twice_or_an_unknown_id_are_refused(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    rows = [dict(row) for row in FILES[ImportType.laws]]
    rows.append(dict(rows[0]))
    for row in rows:
        row["id"] = ""
    rows[1]["id"] = "5d70e6d8-033e-452a-a1bf-f36a6c165897"
    rows[1]["external_ref"] = ""

    problem = assert_problem(post(client, admin_headers, ImportType.laws, csv_text(rows)), 422)

    assert [tuple(error["location"]) for error in problem["errors"]] == [
        ("body", 2, "id"),
        ("body", 3, "external_ref"),
    ]


def test_a_header_the_export_does_not_have_is_refused(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = "title,kind,statu\r\nA law,act,in_force\r\n"

    problem = assert_problem(post(client, admin_headers, ImportType.laws, body), 422)

    assert [tuple(error["location"]) for error in problem["errors"]] == [("body", "statu")]


def test_a_ratification_file_needs_its_country_and_instrument(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    problem = assert_problem(
        post(client, admin_headers, ImportType.ratifications, "country,status\r\nPH,signed\r\n"),
        422,
    )

    assert [tuple(error["location"]) for error in problem["errors"]] == [("body", "instrument")]


def test_the_body_must_be_csv(client: TestClient, admin_headers: dict[str, str]) -> None:
    response = client.post(
        IMPORTS, params={"type": "laws"}, json=FILES[ImportType.laws], headers=admin_headers
    )

    assert_problem(response, 415)


def test_a_file_over_the_body_limit_is_refused(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = file_of(ImportType.laws) + "\r\n" * (1024 * 1024)

    assert_problem(post(client, admin_headers, ImportType.laws, body), 413)


def test_only_admins_import(
    client: TestClient, headers_of: Any, admin_headers: dict[str, str]
) -> None:
    body = file_of(ImportType.laws)
    assert_problem(client.post(IMPORTS, params={"type": "laws"}, content=body), 401)
    for caller in ("editor", "partner", "secretariat-api-token"):
        assert_problem(post(client, headers_of(caller), ImportType.laws, body), 403)
    assert listed(client, admin_headers, ImportType.laws) == []


def test_a_row_that_differs_only_in_how_it_is_written_keeps_the_rows_before_it(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    """Instrument codes in another case and order are the same list: that row writes nothing,
    and undoing its no-op must not undo the record the row before it created."""
    first, second = FILES[ImportType.laws]
    ok(post(client, admin_headers, ImportType.laws, csv_text([first])))
    (law,) = listed(client, admin_headers, ImportType.laws)
    before = counts(session)
    rows = [second, {**first, "instrument_codes": "c087;C189;c189"}]

    answer = ok(post(client, admin_headers, ImportType.laws, csv_text(rows)))

    assert answer == summary(ImportType.laws, created=1, unchanged=1)
    after = counts(session)
    assert {name: after[name] - before[name] for name in after} == dict.fromkeys(after, 1)
    assert listed(client, admin_headers, ImportType.laws)[0] == law
    assert len(listed(client, admin_headers, ImportType.laws)) == 2


@pytest.mark.parametrize(
    "import_type", [ImportType.agreements, ImportType.laws, ImportType.parliamentarians]
)
def test_an_export_without_its_ids_imports_as_new_records_equal_to_the_first(
    client: TestClient, admin_headers: dict[str, str], import_type: ImportType
) -> None:
    """Every cell reads back as the value it was written from: lists, parties, memberships,
    contacts, and cells an export starts with an apostrophe."""
    ok(post(client, admin_headers, import_type, file_of(import_type)))
    rows = list(csv.DictReader(io.StringIO(export(client, admin_headers, import_type), newline="")))
    for row in rows:
        row["id"] = row["external_ref"] = ""

    answer = ok(post(client, admin_headers, import_type, csv_text(rows)))

    assert answer == summary(import_type, created=2)
    records = listed(client, admin_headers, import_type)
    kept = set(records[0]) - {"id", "external_ref", "created_at", "updated_at"}
    originals, copies = records[:2], records[2:]
    assert [{name: r[name] for name in kept} for r in copies] == [
        {name: r[name] for name in kept} for r in originals
    ]


def test_a_spreadsheets_utf8_with_a_byte_order_mark_is_read(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    response = client.post(
        IMPORTS,
        params={"type": "laws"},
        content="\ufeff".encode() + file_of(ImportType.laws).encode("utf-8"),
        headers={**admin_headers, "Content-Type": "text/csv; charset=utf-8"},
    )

    assert ok(response) == summary(ImportType.laws, created=2)


def test_a_file_that_is_not_utf8_is_refused_whole(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    response = client.post(
        IMPORTS,
        params={"type": "laws"},
        content=file_of(ImportType.laws).replace("Kasambahay", "Kasambahày").encode("latin-1"),
        headers={**admin_headers, "Content-Type": "text/csv"},
    )

    problem = assert_problem(response, 422)
    assert problem["errors"] == [
        {"location": ["body"], "message": "The file is not UTF-8 text.", "type": "value_error"}
    ]
