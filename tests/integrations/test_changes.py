"""The change feed: each write once, in commit order, thin, resumable from the last `seq`."""

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.identity.models import User
from tests.activities.helpers import create_agreement, create_law
from tests.api import assert_problem, counting_statements, ok
from tests.integrations.helpers import CHANGES, Headers, changes_of, feed
from tests.records.helpers import actor_of, seed

AGREEMENTS = "/api/v1/agreements"


def test_each_write_is_listed_in_order_with_who_made_it_and_a_link_to_the_record(
    client: TestClient, admin: User, admin_headers: Headers
) -> None:
    agreement = create_agreement(client, admin_headers)
    path = f"{AGREEMENTS}/{agreement}"
    ok(client.patch(path, json={"status": "suspended"}, headers=admin_headers))
    assert client.delete(path, headers=admin_headers).status_code == 204
    ok(client.post(f"{path}/restore", headers=admin_headers))

    items = feed(client, admin_headers)["items"]

    assert [item["action"] for item in items] == ["created", "updated", "deleted", "restored"]
    seqs = [item["seq"] for item in items]
    assert seqs == sorted(set(seqs))
    first = items[0]
    assert set(first) == {
        "seq",
        "type",
        "id",
        "action",
        "occurred_at",
        "actor_organisation_id",
        "link",
    }
    assert (first["type"], first["id"]) == ("agreement", agreement)
    assert first["actor_organisation_id"] == str(admin.organisation_id)
    assert ok(client.get(first["link"], headers=admin_headers))["status"] == "suspended"


def test_a_ratification_links_to_its_country_and_instrument(
    client: TestClient, admin_headers: Headers
) -> None:
    ok(
        client.put(
            "/api/v1/ratifications/PH/C189", json={"status": "in_force"}, headers=admin_headers
        ),
        201,
    )

    [item] = feed(client, admin_headers)["items"]

    assert item["type"] == "ratification"
    assert item["link"].endswith("/api/v1/ratifications/PH/C189")
    assert ok(client.get(item["link"], headers=admin_headers))["id"] == item["id"]


def test_pages_resume_after_next_after_and_an_empty_page_keeps_the_after_sent(
    client: TestClient, admin_headers: Headers
) -> None:
    made = [create_agreement(client, admin_headers, title=f"MOU {n}") for n in range(5)]

    first = feed(client, admin_headers, limit=2)
    second = feed(client, admin_headers, limit=2, after=first["next_after"])
    rest = feed(client, admin_headers, after=second["next_after"])
    empty = feed(client, admin_headers, after=rest["next_after"])

    pages = [first, second, rest]
    assert [item["id"] for page in pages for item in page["items"]] == made
    assert first["next_after"] == first["items"][-1]["seq"]
    assert empty == {"items": [], "next_after": rest["next_after"]}


def test_types_narrows_the_feed_and_an_unknown_type_is_refused_by_name(
    client: TestClient, admin_headers: Headers
) -> None:
    law = create_law(client, admin_headers)
    agreement = create_agreement(client, admin_headers)

    assert changes_of(client, admin_headers, types="law") == [(law, "created")]
    both = changes_of(client, admin_headers, types="law,agreement")
    assert both == [(law, "created"), (agreement, "created")]
    problem = assert_problem(
        client.get(CHANGES, params={"types": "treaty"}, headers=admin_headers), 422
    )
    assert ("query", "types") in [tuple(error["location"][:2]) for error in problem["errors"]]


def test_after_and_limit_are_bounded(client: TestClient, admin_headers: Headers) -> None:
    for params in ({"after": -1}, {"limit": 0}, {"limit": 201}):
        assert_problem(client.get(CHANGES, params=params, headers=admin_headers), 422)


def test_a_page_of_200_costs_as_many_statements_as_a_page_of_5(
    app: FastAPI, client: TestClient, admin: User, partner_headers: Headers
) -> None:
    def page_cost(limit: int) -> tuple[int, int]:
        feed(client, partner_headers, limit=1)  # warm up
        with counting_statements(app.state.engine) as statements:
            page = feed(client, partner_headers, limit=limit)
        return len(page["items"]), len(statements)

    seed(app, actor_of(admin), 5)
    few, cost_of_few = page_cost(5)
    seed(app, actor_of(admin), 195)
    many, cost_of_many = page_cost(200)

    assert (few, many) == (5, 200)
    assert cost_of_many == cost_of_few
