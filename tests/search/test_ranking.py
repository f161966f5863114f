"""The order of the hits over pages: a record once, by its best part the caller may read, and the
records a caller may find however many it may not rank above them."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.config import Settings
from app.identity.models import Organisation
from app.search import service
from tests.api import ok
from tests.field_visits.helpers import other_organisation, partner_of, publish, submit
from tests.search.helpers import Headers, found, law, report, search

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


def test_a_record_whose_best_part_came_on_an_earlier_page_is_not_found_again(
    client: TestClient, owner: Headers, headers_of: Callable[[str], Headers]
) -> None:
    editor, reader = headers_of("editor"), headers_of("reader")
    # The report's testimony outranks the law, and the law its findings.
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
    act = law(
        client,
        editor,
        title="Sabah Labour Ordinance",
        summary="Recruiters in Tawau and Sandakan; in Tawau most of all.",
    )
    # The reader may not read the testimony, so finds the report by its findings alone.
    assert found(client, reader, "tawau") == [act, visit]
    assert found(client, owner, "tawau") == [visit, act]

    # After the law, the findings would rank next: the report came first, and comes once.
    assert walk(client, owner, "tawau", limit=1) == [visit, act]
    assert walk(client, reader, "tawau", limit=1) == [act, visit]


def test_a_caller_finds_its_records_ranked_below_many_it_may_not_find(
    client: TestClient, headers_of: Callable[[str], Headers], admin_headers: Headers
) -> None:
    office = headers_of("parliament-editor")
    hidden = {
        law(client, office, title=f"Kafala Reform Draft {n}", visibility="restricted")
        for n in range(12)
    }
    shown = [
        law(client, admin_headers, title=f"Labour Act {n}", summary="Kafala " * (n + 1))
        for n in range(3)
    ]
    partner = headers_of("partner")

    best_first = found(client, partner, "kafala")
    assert sorted(best_first) == sorted(shown)
    # Pages of one: far more of the best matches are hidden from the caller than a page holds.
    assert walk(client, partner, "kafala", limit=1) == best_first
    assert walk(client, partner, "kafala", limit=2) == best_first
    assert set(found(client, admin_headers, "kafala")) == hidden | set(shown)
    assert walk(client, admin_headers, "kafala", limit=5) == found(client, admin_headers, "kafala")


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


def test_matches_of_equal_score_rank_by_record_however_few_are_checked(
    client: TestClient,
    admin_headers: Headers,
    headers_of: Callable[[str], Headers],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every match the first checked are taken from ties with the last of them: which of the
    # tied the index holds first says nothing of their order.
    monkeypatch.setattr(service, "CANDIDATES_PER_HIT", 1)
    office = headers_of("parliament-editor")
    tied = [law(client, admin_headers, title="Wage Order") for _ in range(8)]
    hidden = [law(client, office, title="Wage Order", visibility="restricted") for _ in range(4)]
    best = law(client, admin_headers, title="Wage Wage")

    # By brute force: the one that says it twice first, then the rest, of equal score, by id.
    assert walk(client, headers_of("partner"), "wage", limit=2) == [best, *sorted(tied)]
    assert walk(client, admin_headers, "wage", limit=2) == [best, *sorted(tied + hidden)]
    assert walk(client, admin_headers, "wage", limit=5) == [best, *sorted(tied + hidden)]
