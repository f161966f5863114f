"""The order of the hits over pages: names first, then the rest, newest first; a record once, by
its first part the caller may read; the records a caller may find however many newer it may not."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.config import Settings
from app.identity.models import Organisation
from tests.api import ok
from tests.field_visits.helpers import other_organisation, partner_of, publish, submit
from tests.search.helpers import LAWS, Headers, found, hits, law, report, search

FILLER = "The delegation met officials, employers and unions over four days. " * 8


@pytest.fixture
def owner(session: Session, settings: Settings) -> Headers:
    organisation: Organisation = other_organisation(session, "Owner Union")
    return partner_of(session, settings, organisation, "owner@example.org")


def walk(client: TestClient, headers: Headers, q: str, limit: int) -> list[str]:
    """The ids of every page of `limit` hits, in the order they came."""
    seen: list[str] = []
    params: dict[str, Any] = {"limit": limit}
    while True:
        page = ok(search(client, headers, q, **params))
        seen += [hit["id"] for hit in page["items"]]
        if page["next_cursor"] is None:
            return seen
        params = {"limit": limit, "cursor": page["next_cursor"]}


def test_records_named_by_the_words_come_first_then_the_rest_newest_first(
    client: TestClient, admin_headers: Headers
) -> None:
    older = law(client, admin_headers, title="Wage Order")
    mention = law(client, admin_headers, title="Labour Act", summary="Sets the minimum wage.")
    newer = law(client, admin_headers, title="Wage Board Rules")
    assert found(client, admin_headers, "wage") == [newer, older, mention]

    # An edit writes the record anew: it is now the most recently written.
    ok(client.patch(f"{LAWS}/{older}", json={"summary": "Revised."}, headers=admin_headers))
    assert found(client, admin_headers, "wage") == [older, newer, mention]
    assert walk(client, admin_headers, "wage", limit=1) == [older, newer, mention]


def test_a_record_whose_first_part_came_on_an_earlier_page_is_not_found_again(
    client: TestClient, owner: Headers, headers_of: Callable[[str], Headers]
) -> None:
    editor, reader = headers_of("editor"), headers_of("reader")
    named = law(client, editor, title="Tawau Port Rules")
    # The report's testimony was written after its findings, so comes before them.
    visit = report(
        client,
        owner,
        title="Visit to Sabah",
        findings=FILLER + "Some had come through Tawau.",
        visibility="public",
        testimonies=[{"pseudonym": "A", "consent": "given", "text": "Tawau, Tawau, Tawau."}],
    )
    submit(client, owner, visit)
    publish(client, editor, visit)
    act = law(client, editor, title="Sabah Labour Ordinance", summary="Recruiters in Tawau.")

    for caller in (reader, owner):
        assert found(client, caller, "tawau") == [named, act, visit]
        for limit in (1, 2):
            assert walk(client, caller, "tawau", limit=limit) == [named, act, visit]
    # The reader may not read the testimony, so finds the report by its findings alone.
    assert "Tawau, Tawau" in hits(client, owner, "tawau")[2]["snippet"]
    assert "Tawau, Tawau" not in hits(client, reader, "tawau")[2]["snippet"]


def test_a_caller_finds_its_records_behind_many_newer_it_may_not_find(
    client: TestClient, headers_of: Callable[[str], Headers], admin_headers: Headers
) -> None:
    shown = [law(client, admin_headers, title=f"Kafala Act {n}") for n in range(3)]
    office = headers_of("parliament-editor")
    hidden = [
        law(client, office, title=f"Kafala Reform Draft {n}", visibility="restricted")
        for n in range(12)
    ]
    # The newest of all, found by its text: after every record named so, however many are hidden.
    mention = law(client, admin_headers, title="Labour Act", summary="Abolishes the kafala.")
    partner = headers_of("partner")

    newest_first = [*shown[::-1], mention]
    assert found(client, partner, "kafala") == newest_first
    # Pages of one: far more of the newest matches are hidden from the caller than a page holds.
    assert walk(client, partner, "kafala", limit=1) == newest_first
    assert walk(client, partner, "kafala", limit=2) == newest_first
    everything = [*hidden[::-1], *newest_first]
    assert found(client, admin_headers, "kafala") == everything
    assert walk(client, admin_headers, "kafala", limit=5) == everything


def test_records_of_many_parts_walk_in_the_order_of_one_page(
    client: TestClient, owner: Headers, headers_of: Callable[[str], Headers]
) -> None:
    reviewer = headers_of("editor")
    made = []
    for n in range(4):
        visit = report(
            client,
            owner,
            title=f"Visit {n}",
            findings=FILLER[: 60 * (n + 1)] + " Tawau.",
            visibility="public",
            testimonies=[
                {"pseudonym": f"W{k}", "consent": "given", "text": "Tawau. " * (k + n + 1)}
                for k in range(3)
            ],
        )
        submit(client, owner, visit)
        publish(client, reviewer, visit)
        made.append(visit)
    made += [law(client, reviewer, title="Act", summary="Tawau. " * n) for n in range(1, 5)]

    for caller in (owner, headers_of("reader"), headers_of("admin")):
        best_first = found(client, caller, "tawau")
        assert sorted(best_first) == sorted(made)
        for limit in (1, 3):
            assert walk(client, caller, "tawau", limit=limit) == best_first
