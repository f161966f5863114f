"""What reading agreements costs in SQL statements: a record, or a whole page, is read with its
parties and latest scores in one statement each, however many agreements and parties there are."""

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.agreements.helpers import AGREEMENTS, create, ok, parties
from tests.api import counting_statements, counting_threads
from tests.assessments import helpers as assessments

Headers = dict[str, str]

THREE_PARTIES = parties(("PH", "origin"), ("SA", "destination"), ("QA", "destination"))


def reads_of(statements: list[str], table: str) -> int:
    """How many of `statements` read from `table`."""
    return sum(1 for statement in statements if re.search(rf"\bFROM {table}\b", statement))


def record_assessed(client: TestClient, admin_headers: Headers, n: int) -> list[str]:
    """`n` agreements of three parties, each with a published assessment."""
    ids = []
    for i in range(n):
        agreement = create(
            client,
            admin_headers,
            title=f"Agreement {i}",
            kind="multilateral_agreement",
            parties=THREE_PARTIES,
        )
        assessments.published(client, admin_headers, agreement["id"], subject_type="agreement")
        ids.append(agreement["id"])
    return ids


def test_a_read_of_an_agreement_reads_it_its_parties_and_its_score_once_each(
    client: TestClient, app: FastAPI, admin_headers: Headers, partner_headers: Headers
) -> None:
    [agreement_id] = record_assessed(client, admin_headers, 1)

    for headers in (admin_headers, partner_headers):
        client.get(f"{AGREEMENTS}/{agreement_id}", headers=headers)  # the caller, once known
        with counting_statements(app.state.engine) as statements:
            found = ok(client.get(f"{AGREEMENTS}/{agreement_id}", headers=headers))

        assert found["parties"] == THREE_PARTIES
        assert found["latest_score"] is not None
        assert reads_of(statements, "agreements") == 1
        assert reads_of(statements, "agreement_parties") == 1
        assert reads_of(statements, "assessments") == 1


def test_a_page_of_50_agreements_costs_as_many_statements_as_a_page_of_2(
    client: TestClient, app: FastAPI, admin_headers: Headers, partner_headers: Headers
) -> None:
    def list_page(headers: Headers, limit: int) -> tuple[int, list[str]]:
        client.get(AGREEMENTS, params={"limit": 1}, headers=headers)  # the caller, once known
        with counting_statements(app.state.engine) as statements:
            page = ok(client.get(AGREEMENTS, params={"limit": limit}, headers=headers))
        assert all(item["parties"] == THREE_PARTIES for item in page["items"])
        assert all(item["latest_score"] is not None for item in page["items"])
        return len(page["items"]), statements

    record_assessed(client, admin_headers, 2)
    for headers in (admin_headers, partner_headers):
        few, of_few = list_page(headers, 2)
        assert few == 2
        assert reads_of(of_few, "agreement_parties") == 1
        assert reads_of(of_few, "assessments") == 1

    record_assessed(client, admin_headers, 48)
    for headers in (admin_headers, partner_headers):
        many, of_many = list_page(headers, 50)
        assert many == 50
        assert len(of_many) == len(list_page(headers, 2)[1])
        assert reads_of(of_many, "agreement_parties") == 1
        assert reads_of(of_many, "assessments") == 1


def test_a_read_of_an_agreement_takes_a_thread_for_its_caller_and_one_for_its_record(
    client: TestClient, admin_headers: Headers
) -> None:
    """Work that waits on the database runs in the threadpool; the rest of a read runs on the
    event loop, since each trip to a thread costs about as much as a statement."""
    [agreement_id] = record_assessed(client, admin_headers, 1)

    with counting_threads() as ran_in_threads:
        ok(client.get(f"{AGREEMENTS}/{agreement_id}", headers=admin_headers))

    # The caller's token looked up, then the endpoint (FastAPI calls it through a wrapper).
    assert len(ran_in_threads) == 2
    assert ran_in_threads[0] == "_identify"
