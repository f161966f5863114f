"""Listing recommendations: every filter (country, status, source, source_id, overdue,
addressed_to, q, updated_since), pages, the CSV export, and what a page costs."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.audit.service import Actor
from app.identity.models import Organisation
from app.recommendations import service
from app.recommendations.models import RecommendationStatus, TimelineEntryCreate
from app.records.models import Visibility
from tests.recommendations.helpers import (
    CLOSED,
    FAR_AHEAD,
    LONG_AGO,
    NOT_CLOSED,
    RECOMMENDATIONS,
    Headers,
    add_update,
    assert_problem,
    counting_statements,
    create,
    create_activity,
    create_agreement,
    create_law,
    csv_response,
    csv_rows,
    listed,
    listed_ids,
    ok,
    patch,
    published_report,
    record_activity,
    record_law,
    record_recommendation,
)


@pytest.fixture
def catalogue(
    client: TestClient, headers_of: Callable[[str], Headers], admin_headers: Headers
) -> dict[str, str]:
    """Recommendations of several countries, statuses, sources and addressees, by name."""
    activity = create_activity(client, admin_headers, visibility="public")
    report = published_report(client, headers_of("partner"), headers_of("editor"))
    return {
        "wage_order": create(
            client,
            admin_headers,
            text="Include domestic workers in the minimum wage order.",
            addressed_to="Ministry of Human Resources",
            country="MY",
            source_type="activity",
            source_id=activity,
            due_on=LONG_AGO,
        )["id"],
        "recruitment_fees": create(
            client,
            admin_headers,
            text="Ban recruitment fees charged to WORKERS.",
            addressed_to="Bureau of Migrant Workers",
            country="PH",
            status="in_progress",
            due_on=FAR_AHEAD,
        )["id"],
        "ratify_c189": create(
            client,
            admin_headers,
            text="Ratify C189.",
            addressed_to="Parliament of Nepal",
            country="NP",
            status="implemented",
            due_on=LONG_AGO,
        )["id"],
        "labour_desk": report["recommendations"][0]["recommendation_id"],
        "activity": activity,
        "report": report["id"],
    }


def test_the_list_gives_every_recommendation_oldest_recorded_first(
    client: TestClient, admin_headers: Headers, catalogue: dict[str, str]
) -> None:
    items = listed(client, admin_headers)

    # The report was published first, so its recommendation was recorded first.
    order = ("labour_desk", "wage_order", "recruitment_fees", "ratify_c189")
    assert [item["id"] for item in items] == [catalogue[name] for name in order]
    assert items[1] == ok(
        client.get(f"{RECOMMENDATIONS}/{catalogue['wage_order']}", headers=admin_headers)
    )


def test_country_lists_only_recommendations_addressed_to_that_country(
    client: TestClient, admin_headers: Headers, catalogue: dict[str, str]
) -> None:
    assert listed_ids(client, admin_headers, country="MY") == {
        catalogue["wage_order"],
        catalogue["labour_desk"],  # the report's country
    }
    assert listed_ids(client, admin_headers, country="PH") == {catalogue["recruitment_fees"]}
    assert listed_ids(client, admin_headers, country="TH") == set()


def test_status_lists_only_recommendations_in_that_status(
    client: TestClient, admin_headers: Headers, catalogue: dict[str, str]
) -> None:
    assert listed_ids(client, admin_headers, status="open") == {
        catalogue["wage_order"],
        catalogue["labour_desk"],
    }
    assert listed_ids(client, admin_headers, status="in_progress") == {
        catalogue["recruitment_fees"]
    }
    assert listed_ids(client, admin_headers, status="implemented") == {catalogue["ratify_c189"]}
    assert listed_ids(client, admin_headers, status="rejected") == set()


def test_an_update_moves_the_recommendation_to_the_list_of_its_new_status(
    client: TestClient, admin_headers: Headers, catalogue: dict[str, str]
) -> None:
    moved = catalogue["wage_order"]

    add_update(client, admin_headers, moved, status="rejected")

    assert listed_ids(client, admin_headers, status="rejected") == {moved}
    assert moved not in listed_ids(client, admin_headers, status="open")


def test_source_lists_recommendations_by_where_they_were_made(
    client: TestClient, admin_headers: Headers, catalogue: dict[str, str]
) -> None:
    assert listed_ids(client, admin_headers, source="activity") == {catalogue["wage_order"]}
    assert listed_ids(client, admin_headers, source="field_visit") == {catalogue["labour_desk"]}
    assert listed_ids(client, admin_headers, source="none") == {
        catalogue["recruitment_fees"],
        catalogue["ratify_c189"],
    }


def test_source_id_lists_the_recommendations_made_in_that_activity_or_report(
    client: TestClient, admin_headers: Headers, catalogue: dict[str, str]
) -> None:
    activity, report = catalogue["activity"], catalogue["report"]

    assert listed_ids(client, admin_headers, source_id=activity) == {catalogue["wage_order"]}
    assert listed_ids(client, admin_headers, source_id=report) == {catalogue["labour_desk"]}
    assert listed_ids(client, admin_headers, source="activity", source_id=activity) == {
        catalogue["wage_order"]
    }
    assert listed_ids(client, admin_headers, source="field_visit", source_id=activity) == set()
    assert listed_ids(client, admin_headers, source_id=activity.upper()) == {
        catalogue["wage_order"]
    }


def test_a_source_cleared_by_a_patch_is_listed_under_none(
    client: TestClient, admin_headers: Headers, catalogue: dict[str, str]
) -> None:
    moved = catalogue["wage_order"]

    ok(patch(client, admin_headers, moved, {"source_type": None, "source_id": None}))

    assert moved in listed_ids(client, admin_headers, source="none")
    assert listed_ids(client, admin_headers, source_id=catalogue["activity"]) == set()


def test_overdue_true_lists_those_past_due_and_not_closed(
    client: TestClient, admin_headers: Headers, catalogue: dict[str, str]
) -> None:
    # ratify_c189 is past due too, but implemented.
    assert listed_ids(client, admin_headers, overdue="true") == {catalogue["wage_order"]}
    assert [item["overdue"] for item in listed(client, admin_headers, overdue="true")] == [True]


@pytest.mark.parametrize("status", NOT_CLOSED)
def test_a_recommendation_past_due_and_not_closed_is_overdue(
    client: TestClient, admin_headers: Headers, status: str
) -> None:
    created = create(client, admin_headers, due_on=LONG_AGO, status=status)

    assert created["overdue"] is True
    assert listed_ids(client, admin_headers, overdue="true") == {created["id"]}
    assert listed_ids(client, admin_headers, overdue="false") == set()


@pytest.mark.parametrize("status", CLOSED)
def test_a_closed_recommendation_past_due_is_not_overdue(
    client: TestClient, admin_headers: Headers, status: str
) -> None:
    created = create(client, admin_headers, due_on=LONG_AGO, status=status)

    assert created["overdue"] is False
    assert listed_ids(client, admin_headers, overdue="true") == set()
    assert listed_ids(client, admin_headers, overdue="false") == {created["id"]}


def test_a_recommendation_due_in_the_future_is_not_overdue(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers, due_on=FAR_AHEAD)

    assert created["overdue"] is False
    assert listed_ids(client, admin_headers, overdue="true") == set()
    assert listed_ids(client, admin_headers, overdue="false") == {created["id"]}


def test_overdue_false_lists_a_recommendation_with_no_due_date(
    client: TestClient, admin_headers: Headers
) -> None:
    created = create(client, admin_headers, due_on=None)
    assert created["overdue"] is False

    assert listed_ids(client, admin_headers, overdue="true") == set()
    assert listed_ids(client, admin_headers, overdue="false") == {created["id"]}


def test_an_update_closing_a_recommendation_takes_it_off_the_overdue_list(
    client: TestClient, admin_headers: Headers
) -> None:
    late = create(client, admin_headers, due_on=LONG_AGO)
    assert listed_ids(client, admin_headers, overdue="true") == {late["id"]}

    closed = add_update(client, admin_headers, late["id"], status="implemented")

    assert closed["overdue"] is False
    assert listed_ids(client, admin_headers, overdue="true") == set()
    assert listed_ids(client, admin_headers, overdue="false") == {late["id"]}

    reopened = add_update(client, admin_headers, late["id"], status="in_progress")
    assert reopened["overdue"] is True
    assert listed_ids(client, admin_headers, overdue="true") == {late["id"]}


@pytest.mark.parametrize(
    ("addressed_to", "expected"),
    [
        ("ministry", {"wage_order"}),
        ("MIGRANT WORKERS", {"recruitment_fees"}),
        ("of", {"wage_order", "recruitment_fees", "ratify_c189", "labour_desk"}),
        ("parliament of nepal", {"ratify_c189"}),
        ("minimum wage", set()),  # in the text, not the addressee
        ("%", set()),
        ("_", set()),
    ],
)
def test_addressed_to_finds_part_of_the_addressee_in_any_case(
    client: TestClient,
    admin_headers: Headers,
    catalogue: dict[str, str],
    addressed_to: str,
    expected: set[str],
) -> None:
    assert listed_ids(client, admin_headers, addressed_to=addressed_to) == {
        catalogue[name] for name in expected
    }


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("domestic workers", {"wage_order"}),  # text
        ("workers", {"wage_order", "recruitment_fees"}),  # text and addressee, any case
        ("bureau", {"recruitment_fees"}),  # addressee only
        ("c189", {"ratify_c189"}),
        ("LABOUR DESK", {"labour_desk"}),
        ("nothing like it", set()),
        ("%", set()),
        ("_", set()),
    ],
)
def test_q_finds_words_in_the_text_or_the_addressee_in_any_case(
    client: TestClient,
    admin_headers: Headers,
    catalogue: dict[str, str],
    q: str,
    expected: set[str],
) -> None:
    assert listed_ids(client, admin_headers, q=q) == {catalogue[name] for name in expected}


def test_q_and_addressed_to_fold_the_case_of_letters_beyond_ascii(
    client: TestClient, admin_headers: Headers
) -> None:
    vietnamese = create(
        client,
        admin_headers,
        text="Bảo vệ người lao động",
        addressed_to="BỘ LAO ĐỘNG",
        country="VN",
    )["id"]
    create(client, admin_headers)

    assert listed_ids(client, admin_headers, q="BẢO VỆ") == {vietnamese}
    assert listed_ids(client, admin_headers, addressed_to="bộ lao động") == {vietnamese}


def test_filters_combine(
    client: TestClient, admin_headers: Headers, catalogue: dict[str, str]
) -> None:
    assert listed_ids(client, admin_headers, country="MY", source="field_visit") == {
        catalogue["labour_desk"]
    }
    assert listed_ids(client, admin_headers, country="MY", overdue="true") == {
        catalogue["wage_order"]
    }
    assert listed_ids(client, admin_headers, country="NP", status="open") == set()
    assert listed_ids(client, admin_headers, q="workers", source="none") == {
        catalogue["recruitment_fees"]
    }
    assert listed_ids(client, admin_headers, addressed_to="ministry", status="in_progress") == set()


def test_updated_since_lists_the_recommendations_changed_at_or_after_a_time(
    client: TestClient, admin_headers: Headers
) -> None:
    older = create(client, admin_headers, text="Older.")
    newer = create(client, admin_headers, text="Newer.")

    assert listed_ids(client, admin_headers, updated_since=newer["updated_at"]) == {newer["id"]}
    assert listed_ids(client, admin_headers, updated_since=older["updated_at"]) == {
        older["id"],
        newer["id"],
    }

    moved = add_update(client, admin_headers, older["id"], status="in_progress")
    assert listed_ids(client, admin_headers, updated_since=moved["updated_at"]) == {older["id"]}
    assert listed_ids(client, admin_headers, updated_since="2100-01-01T00:00:00Z") == set()


@pytest.mark.parametrize(
    "params",
    [
        {"status": "closed"},
        {"status": "Open"},
        {"source": "report"},
        {"source": "None"},
        {"source_id": "an-activity"},
        {"overdue": "maybe"},
        {"country": "ZZ"},
        {"q": ""},
        {"addressed_to": ""},
        {"q": "x" * 201},
        {"updated_since": "yesterday"},
        {"limit": "0"},
        {"limit": "201"},
        {"cursor": "not-a-cursor"},
    ],
)
def test_a_filter_with_a_value_it_cannot_take_is_refused(
    client: TestClient, admin_headers: Headers, params: dict[str, str]
) -> None:
    problem = assert_problem(client.get(RECOMMENDATIONS, params=params, headers=admin_headers), 422)
    [name] = params
    named = [error["location"][-1] for error in problem.get("errors", [])]
    assert name in named or name == "cursor", named


# ---- pages ---------------------------------------------------------------------------------


def test_the_list_pages_through_every_recommendation_with_the_cursor(
    client: TestClient, admin_headers: Headers
) -> None:
    made = [create(client, admin_headers, text=f"Recommendation {i}")["id"] for i in range(7)]
    walked: list[str] = []
    cursor = None

    for _ in range(10):
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        response = client.get(RECOMMENDATIONS, params=params, headers=admin_headers)
        page = ok(response)
        assert len(page["items"]) <= 3
        walked.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            assert "link" not in response.headers
            break
        assert 'rel="next"' in response.headers["link"]
    else:
        pytest.fail("the walk never ended")

    assert walked == made


def test_the_cursor_keeps_the_filters_to_the_end(
    client: TestClient, admin_headers: Headers
) -> None:
    late = [create(client, admin_headers, due_on=LONG_AGO)["id"] for _ in range(3)]
    for _ in range(3):
        create(client, admin_headers, due_on=FAR_AHEAD)

    first = ok(
        client.get(RECOMMENDATIONS, params={"overdue": "true", "limit": 2}, headers=admin_headers)
    )
    second = ok(
        client.get(
            RECOMMENDATIONS,
            params={"overdue": "true", "limit": 2, "cursor": first["next_cursor"]},
            headers=admin_headers,
        )
    )

    assert [i["id"] for i in first["items"] + second["items"]] == late
    assert second["next_cursor"] is None


def test_the_default_page_holds_50_recommendations(
    client: TestClient, session: Session, admin_headers: Headers, secretariat: Organisation
) -> None:
    for i in range(51):
        record_recommendation(session, secretariat, text=f"Recommendation {i}")

    page = ok(client.get(RECOMMENDATIONS, headers=admin_headers))

    assert len(page["items"]) == 50
    assert page["next_cursor"] is not None


# ---- CSV -----------------------------------------------------------------------------------


def test_the_csv_export_has_a_row_per_recommendation_with_status_and_overdue(
    client: TestClient, admin_headers: Headers
) -> None:
    law = create_law(client, admin_headers)
    agreement = create_agreement(client, admin_headers)
    full = create(
        client,
        admin_headers,
        text='=HYPERLINK("https://example.org")',
        law_id=law,
        agreement_id=agreement,
        instrument_code="c189",
        priority="high",
        due_on=LONG_AGO,
    )
    add_update(client, admin_headers, full["id"], status="in_progress", note="Consulted.")
    bare = create(client, admin_headers, country=None)

    response = csv_response(client, admin_headers)
    rows = {row["id"]: row for row in csv_rows(client, admin_headers)}

    assert response.headers["content-disposition"] == ('attachment; filename="recommendations.csv"')
    header = response.content.decode("utf-8").splitlines()[0].split(",")
    assert {"text", "addressed_to", "status", "overdue", "due_on", "source_type"} <= set(header)
    assert list(rows) == [full["id"], bare["id"]]
    row = rows[full["id"]]
    assert (row["status"], row["overdue"], row["priority"], row["due_on"]) == (
        "in_progress",
        "true",
        "high",
        LONG_AGO,
    )
    assert (row["law_id"], row["agreement_id"], row["instrument_code"]) == (law, agreement, "C189")
    assert "Consulted." in row["timeline"]
    assert row["text"] == '\'=HYPERLINK("https://example.org")'  # not run as a formula
    assert (rows[bare["id"]]["country"], rows[bare["id"]]["overdue"]) == ("", "false")
    assert rows[bare["id"]]["timeline"] == ""


def test_the_csv_export_takes_the_same_filters_as_the_list(
    client: TestClient, admin_headers: Headers, catalogue: dict[str, str]
) -> None:
    for params in (
        {"country": "MY"},
        {"status": "in_progress"},
        {"source": "none"},
        {"source_id": catalogue["report"]},
        {"overdue": "true"},
        {"addressed_to": "bureau"},
        {"q": "c189"},
    ):
        exported = [row["id"] for row in csv_rows(client, admin_headers, **params)]
        assert exported == [item["id"] for item in listed(client, admin_headers, **params)]
        assert exported, params


def test_the_csv_export_holds_every_recommendation_beyond_one_page(
    client: TestClient, session: Session, admin_headers: Headers, secretariat: Organisation
) -> None:
    made = [str(record_recommendation(session, secretariat, text=f"R{i}").id) for i in range(205)]

    assert [row["id"] for row in csv_rows(client, admin_headers, limit=5)] == made


# ---- what a list page costs ----------------------------------------------------------------


@pytest.mark.parametrize("caller", ["admin", "partner"])
def test_a_page_of_50_recommendations_costs_as_many_statements_as_a_page_of_5(
    client: TestClient,
    app: FastAPI,
    session: Session,
    headers_of: Callable[[str], Headers],
    admin_headers: Headers,
    secretariat: Organisation,
    caller: str,
) -> None:
    """Timelines and linked records are read a page at a time, never one recommendation at a
    time."""
    headers = headers_of(caller)
    agreement = create_agreement(client, admin_headers)
    hidden_law = record_law(session, secretariat, Visibility.restricted)
    activity = record_activity(session, secretariat, Visibility.public)
    actor = Actor(organisation_id=secretariat.id)

    def add(n: int) -> None:
        for i in range(n):
            made = record_recommendation(
                session,
                secretariat,
                text=f"Recommendation {i}",
                agreement_id=agreement,
                law_id=hidden_law,
                instrument_code="C189",
                source_type="activity",
                source_id=activity,
                due_on=LONG_AGO,
            )
            for status in (RecommendationStatus.in_progress, RecommendationStatus.implemented):
                made = service.add_to_timeline(
                    session,
                    actor=actor,
                    recommendation=made,
                    data=TimelineEntryCreate(status=status, note=f"Moved to {status}."),
                    if_match=None,
                )

    def list_page() -> tuple[int, int]:
        client.get(RECOMMENDATIONS, params={"limit": 1}, headers=headers)  # warm up
        with counting_statements(app.state.engine) as statements:
            page = ok(client.get(RECOMMENDATIONS, params={"limit": 50}, headers=headers))
        law = hidden_law if caller == "admin" else None
        assert all(item["law_id"] == law for item in page["items"])
        assert all(item["agreement_id"] == agreement for item in page["items"])
        assert all(item["source_id"] == activity for item in page["items"])
        assert all(
            [e["status"] for e in item["timeline"]] == ["in_progress", "implemented"]
            for item in page["items"]
        )
        return len(page["items"]), len(statements)

    add(5)
    few, cost_of_few = list_page()
    add(45)
    many, cost_of_many = list_page()

    assert (few, many) == (5, 50)
    assert cost_of_many == cost_of_few
