"""The search: what it finds, in which order, a page at a time, and the index kept in step."""

import uuid
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.pagination import encode_cursor
from app.search import service
from app.search.models import SearchEntry
from tests.api import assert_problem, counting_statements, ok
from tests.field_visits.helpers import publish, submit
from tests.records.test_history import failing
from tests.search.helpers import (
    AGREEMENTS,
    LAWS,
    Headers,
    activity,
    agreement,
    found,
    hits,
    law,
    parliamentarian,
    recommendation,
    report,
    search,
)
from tests.test_cli import run


def test_finds_each_type_of_record_with_its_title_snippet_and_link(
    client: TestClient, admin_headers: Headers
) -> None:
    ids = {
        "agreement": agreement(client, admin_headers, summary="Recruitment fees in Sabah."),
        "law": law(client, admin_headers, title="Sabah Labour Ordinance"),
        "activity": activity(client, admin_headers, outcomes=["A caucus visit to Sabah."]),
        "parliamentarian": parliamentarian(client, admin_headers, constituency="Sabah"),
        "recommendation": recommendation(client, admin_headers, text="Regularise Sabah workers."),
        "field_visit": report(client, admin_headers, findings="Plantations in Sabah."),
    }

    found_hits = hits(client, admin_headers, "sabah")

    assert {hit["type"]: hit["id"] for hit in found_hits} == ids
    for hit in found_hits:
        assert "Sabah" in hit["snippet"]
        record = ok(client.get(hit["link"], headers=admin_headers))
        assert record["id"] == hit["id"]
    by_type = {hit["type"]: hit for hit in found_hits}
    assert by_type["law"]["title"] == "Sabah Labour Ordinance"
    assert by_type["parliamentarian"]["title"] == "Maria Santos"
    assert by_type["recommendation"]["title"] == "Regularise Sabah workers."


def test_a_match_in_the_title_ranks_above_a_passing_mention(
    client: TestClient, admin_headers: Headers
) -> None:
    mention = law(
        client,
        admin_headers,
        title="Labour Protection Act",
        summary="Covers fishing vessels; " + "it says much else besides. " * 10,
    )
    titled = law(client, admin_headers, title="Fishing Work Ordinance")

    assert found(client, admin_headers, "fishing") == [titled, mention]


def test_every_word_must_match_and_a_word_finds_words_that_start_with_it(
    client: TestClient, admin_headers: Headers
) -> None:
    both = law(client, admin_headers, title="Domestic Workers Act")
    law(client, admin_headers, title="Domestic Violence Act")

    assert found(client, admin_headers, "domestic worker") == [both]
    assert found(client, admin_headers, "DOMESTIC workers!") == [both]


@pytest.mark.parametrize("most_words", [service.MOST_WORDS_OF_A_PREFIX, 1])
def test_a_word_finds_the_words_it_starts_however_many_they_are(
    client: TestClient, admin_headers: Headers, monkeypatch: pytest.MonkeyPatch, most_words: int
) -> None:
    """On SQLite a word is asked as the words of the index it starts, or as a prefix when they
    are more than a few: each way finds the same records."""
    monkeypatch.setattr(service, "MOST_WORDS_OF_A_PREFIX", most_words)
    reform = law(client, admin_headers, title="Kafala Reform Act")
    ordinance = law(client, admin_headers, title="Kafalaism Ordinance", summary="On reform.")
    gone = law(client, admin_headers, title="Kafalaist Code")
    law(client, admin_headers, title="Sabah Labour Ordinance")
    assert client.delete(f"{LAWS}/{gone}", headers=admin_headers).status_code == 204

    assert found(client, admin_headers, "kafala") == [ordinance, reform]
    assert found(client, admin_headers, "kafala reform") == [reform, ordinance]
    assert found(client, admin_headers, "kafalais") == [ordinance]
    # A word of a deleted record is still one the index once held; it finds nothing now.
    assert found(client, admin_headers, "kafalaist") == []
    assert found(client, admin_headers, "kafalaz") == []


def test_pages_walk_every_result_once_best_first(
    client: TestClient, admin_headers: Headers
) -> None:
    made = {law(client, admin_headers, title=f"Wage Order {n}") for n in range(7)}
    law(client, admin_headers, title="Nothing to do with it")

    seen: list[str] = []
    params: dict[str, str | int] = {"limit": 3}
    pages = 0
    while True:
        response = search(client, admin_headers, "wage", **params)
        page = ok(response)
        pages += 1
        seen += [hit["id"] for hit in page["items"]]
        if page["next_cursor"] is None:
            assert "Link" not in response.headers
            break
        assert page["next_cursor"] in response.headers["Link"]
        params = {"limit": 3, "cursor": page["next_cursor"]}

    assert pages == 3
    assert len(seen) == len(set(seen)) == 7
    assert set(seen) == made
    assert seen == found(client, admin_headers, "wage")


def test_types_narrow_the_search_given_repeated_or_separated_by_commas(
    client: TestClient, admin_headers: Headers
) -> None:
    a_law = law(client, admin_headers, title="Penang Ordinance")
    an_agreement = agreement(client, admin_headers, title="Penang MOU")
    activity(client, admin_headers, title="Penang seminar")

    assert found(client, admin_headers, "penang", types="law") == [a_law]
    repeated = client.get(
        "/api/v1/search",
        params=[("q", "penang"), ("types", "law"), ("types", "agreement")],
        headers=admin_headers,
    )
    assert {hit["id"] for hit in ok(repeated)["items"]} == {a_law, an_agreement}
    assert set(found(client, admin_headers, "penang", types="law,agreement")) == {
        a_law,
        an_agreement,
    }


def test_an_update_changes_what_finds_the_record(
    client: TestClient, admin_headers: Headers
) -> None:
    record_id = law(client, admin_headers, title="Foreign Workers Act")

    ok(
        client.patch(
            f"{LAWS}/{record_id}", json={"title": "Migrant Workers Act"}, headers=admin_headers
        )
    )

    assert found(client, admin_headers, "foreign") == []
    assert found(client, admin_headers, "migrant") == [record_id]
    [hit] = hits(client, admin_headers, "migrant")
    assert hit["title"] == "Migrant Workers Act"


def test_a_deleted_record_is_not_found_and_its_restore_brings_it_back(
    client: TestClient, admin_headers: Headers
) -> None:
    record_id = law(client, admin_headers, title="Overseas Employment Act")

    assert client.delete(f"{LAWS}/{record_id}", headers=admin_headers).status_code == 204
    assert found(client, admin_headers, "overseas") == []

    ok(client.post(f"{LAWS}/{record_id}/restore", headers=admin_headers))
    assert found(client, admin_headers, "overseas") == [record_id]


def test_a_write_that_fails_leaves_the_index_as_it_was(
    app: FastAPI, admin_headers: Headers, client: TestClient
) -> None:
    record_id = law(client, admin_headers, title="Foreign Workers Act")

    with (
        TestClient(app, raise_server_exceptions=False) as failing_client,
        failing(app.state.engine, "change_event"),
    ):
        response = failing_client.patch(
            f"{LAWS}/{record_id}", json={"title": "Migrant Workers Act"}, headers=admin_headers
        )

    assert_problem(response, 500)
    assert found(client, admin_headers, "foreign") == [record_id]
    assert found(client, admin_headers, "migrant") == []


def test_restricted_records_are_found_only_by_their_organisation_and_the_secretariat(
    client: TestClient, headers_of: Callable[[str], Headers], admin_headers: Headers
) -> None:
    office = headers_of("parliament-editor")
    restricted = law(client, office, title="Confidential Draft Ordinance", visibility="restricted")
    shared = law(client, office, title="Shared Draft Ordinance", visibility="partners")

    assert set(found(client, office, "draft")) == {restricted, shared}
    assert set(found(client, admin_headers, "draft")) == {restricted, shared}
    assert found(client, headers_of("partner"), "draft") == [shared]
    assert found(client, headers_of("reader"), "draft") == [shared]


def test_a_draft_report_is_found_by_its_authors_and_reviewers_until_published(
    client: TestClient, headers_of: Callable[[str], Headers]
) -> None:
    author, reviewer, reader = (headers_of(caller) for caller in ("partner", "editor", "reader"))
    made = {"text": "Inspect Johor's dormitories.", "addressed_to": "Labour Department"}
    record_id = report(
        client, author, title="Visit to Johor", visibility="public", recommendations=[made]
    )

    assert found(client, author, "johor") == [record_id]
    assert found(client, reviewer, "johor") == [record_id]
    assert found(client, reader, "johor") == []

    submit(client, author, record_id)
    publish(client, reviewer, record_id)
    # Publishing made the recommendation a record of its own, found by its text too.
    found_hits = hits(client, reader, "johor")
    assert {hit["type"] for hit in found_hits} == {"field_visit", "recommendation"}
    assert found(client, reader, "johor", types="field_visit") == [record_id]


def test_a_parliamentarian_is_never_found_by_contact_details(
    client: TestClient, admin_headers: Headers
) -> None:
    parliamentarian(
        client,
        admin_headers,
        contact={"email": "santos@example.org", "phone": "5550199", "notes": "Zamboanga"},
    )

    assert found(client, admin_headers, "santos") != []
    assert found(client, admin_headers, "5550199") == []
    assert found(client, admin_headers, "zamboanga") == []


def test_q_and_types_are_checked(client: TestClient, admin_headers: Headers) -> None:
    for params, name in (
        ({"q": ""}, "q"),
        ({}, "q"),
        ({"q": "wage", "types": "law,testimony"}, "types"),
        ({"q": "wage", "types": "ratification"}, "types"),
    ):
        response = client.get("/api/v1/search", params=params, headers=admin_headers)
        problem = assert_problem(response, 422)
        locations = [error["location"][:2] for error in problem["errors"]]
        assert locations == [["query", name]]
    forged = search(client, admin_headers, "wage", cursor="bm90IGEgY3Vyc29y")
    assert_problem(forged, 422)
    # A cursor of a tier there is none of, and one of the scores searches were once ranked by.
    for values in ([3, 1], [0.25, str(uuid.uuid4())]):
        stale = search(client, admin_headers, "wage", cursor=encode_cursor(values))
        assert "start again" in assert_problem(stale, 422)["detail"]


def test_punctuation_alone_finds_nothing(client: TestClient, admin_headers: Headers) -> None:
    law(client, admin_headers, title="C189 (Domestic Workers) Ratification Act")

    assert hits(client, admin_headers, "()?!") == []


def test_a_page_costs_the_same_statements_whatever_its_size(
    app: FastAPI, client: TestClient, admin_headers: Headers
) -> None:
    for n in range(25):
        law(client, admin_headers, title=f"Wage Order {n}")
        agreement(client, admin_headers, title=f"Wage agreement {n}")
    report(
        client,
        admin_headers,
        title="Wage visit",
        testimonies=[{"pseudonym": "A", "consent": "given", "text": "No wage for months."}],
    )

    counts = []
    for limit in (5, 50):
        with counting_statements(app.state.engine) as statements:
            page = ok(search(client, admin_headers, "wage", limit=limit))
        assert len(page["items"]) == limit
        counts.append(len(statements))

    assert counts[0] == counts[1]


def test_reindex_rebuilds_the_index_from_the_records(
    client: TestClient, session: Session, admin_headers: Headers
) -> None:
    kept = law(client, admin_headers, title="Seafarers Act")
    deleted = law(client, admin_headers, title="Seafarers Bill")
    assert client.delete(f"{LAWS}/{deleted}", headers=admin_headers).status_code == 204
    session.execute(sa.delete(SearchEntry))
    assert found(client, admin_headers, "seafarers") == []

    assert service.reindex(session) == 1

    assert found(client, admin_headers, "seafarers") == [kept]
    entries = session.execute(sa.select(SearchEntry.record_id)).scalars().all()
    assert entries == [uuid.UUID(kept)]


def test_reindex_keeps_the_order_of_the_records_last_written_first(
    client: TestClient, session: Session, admin_headers: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Batches of two: each walk of a kind goes on from the last record of the batch before.
    monkeypatch.setattr(service, "MAX_LIMIT", 2)
    made = [
        (LAWS, law(client, admin_headers, title=f"Seafarers Act {n}"))
        if n % 2
        else (AGREEMENTS, agreement(client, admin_headers, title=f"Seafarers MOU {n}"))
        for n in range(7)
    ]
    # Edited in an order neither of creation nor of kind.
    made = [made[n] for n in (4, 0, 6, 2, 5, 1, 3)]
    for path, record_id in made:
        edit = {"summary": "Revised."}
        ok(client.patch(f"{path}/{record_id}", json=edit, headers=admin_headers))
    last_written_first = [record_id for _, record_id in reversed(made)]
    assert found(client, admin_headers, "seafarers") == last_written_first

    session.execute(sa.delete(SearchEntry))
    assert service.reindex(session) == len(made)

    assert found(client, admin_headers, "seafarers") == last_written_first


def test_caucus_reindex_indexes_records_written_before_the_index(
    database_url: str, client: TestClient, session: Session, admin_headers: Headers
) -> None:
    record_id = law(client, admin_headers, title="Seafarers Act")
    session.execute(sa.delete(SearchEntry))

    result = run(database_url, "reindex")

    assert result.exit_code == 0, result.output
    assert "Records indexed for search: 1" in result.output
    assert found(client, admin_headers, "seafarers") == [record_id]


def test_caucus_db_upgrade_indexes_the_records_of_a_database_whose_index_is_empty(
    database_url: str, client: TestClient, session: Session, admin_headers: Headers
) -> None:
    record_id = law(client, admin_headers, title="Seafarers Act")
    session.execute(sa.delete(SearchEntry))

    result = run(database_url, "db", "upgrade")

    assert result.exit_code == 0, result.output
    assert "Records indexed for search: 1" in result.output
    assert found(client, admin_headers, "seafarers") == [record_id]


def test_caucus_db_upgrade_leaves_an_index_holding_entries_as_it_is(
    database_url: str, client: TestClient, session: Session, admin_headers: Headers
) -> None:
    law(client, admin_headers, title="Seafarers Act")
    entries = session.execute(sa.select(SearchEntry)).all()

    result = run(database_url, "db", "upgrade")

    assert result.exit_code == 0, result.output
    assert "indexed" not in result.output
    assert session.execute(sa.select(SearchEntry)).all() == entries
