"""`caucus seed-demo`: the founding statement's caucus meetings and a fictional demo set, each
written through the record lifecycle, once, and never in production."""

import csv

import pytest
from fastapi.testclient import TestClient

from app.reference.demo import DEMO, MEETINGS_FILE
from tests.test_cli_sample import SHARED_SAMPLE, _isolated_cli, count, query, run

__all__ = ["_isolated_cli"]  # the autouse fixture, shared with the sample's tests

SHARED_MEETINGS = SHARED_SAMPLE.parent / "caucus-meetings.csv"
FICTIONAL_TABLES = (
    "parliamentarians",
    "agreements",
    "laws",
    "field_visits",
    "recommendations",
)


def meeting_rows() -> list[dict[str, str]]:
    with MEETINGS_FILE.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_project_ships_the_caucus_meetings_of_the_shared_reference() -> None:
    if SHARED_MEETINGS.exists():
        assert MEETINGS_FILE.read_bytes() == SHARED_MEETINGS.read_bytes()
    assert len(meeting_rows()) == 6


def test_seed_demo_records_each_caucus_meeting_as_a_public_activity(database_url: str) -> None:
    result = run(database_url, "seed-demo")

    assert result.exit_code == 0, result.output
    assert f"caucus meetings: {len(meeting_rows())} records added" in result.stdout
    meetings = query(
        database_url,
        "SELECT city, country, year, visibility FROM activities WHERE kind = 'caucus_meeting'",
    )
    expected = [
        (row["city"], row["country"], int(row["year"]) if row["year"] else None)
        for row in meeting_rows()
    ]
    recorded = [(city, country, year) for city, country, year, _ in meetings]
    assert sorted(recorded, key=str) == sorted(expected, key=str)
    assert {visibility for *_, visibility in meetings} == {"public"}
    # The meeting the statement gives no year for keeps no year, and says why.
    [(summary,)] = query(database_url, "SELECT summary FROM activities WHERE city = 'Phnom Penh'")
    assert "gives no year" in summary
    # Through the lifecycle: a revision and a change event each.
    where = "WHERE record_type = 'activity'"
    activities = count(database_url, "activities")
    assert count(database_url, "record_revisions", where) == activities
    assert count(database_url, "change_events", where) == activities


def test_seed_demo_names_every_fictional_record_as_a_demo(database_url: str) -> None:
    assert run(database_url, "seed-demo").exit_code == 0

    for table in FICTIONAL_TABLES:
        assert count(database_url, table) >= 1, table
    names = [name for (name,) in query(database_url, "SELECT name FROM parliamentarians")]
    titles = [
        title
        for table in ("agreements", "laws", "field_visits")
        for (title,) in query(database_url, f"SELECT title FROM {table}")  # noqa: S608
    ]
    assert all(text.startswith(DEMO) for text in names + titles), names + titles
    demo_activities = query(
        database_url, "SELECT title FROM activities WHERE kind <> 'caucus_meeting'"
    )
    assert all(title.startswith(DEMO) for (title,) in demo_activities)
    # The report went through its workflow, and its recommendation was followed up.
    assert query(database_url, "SELECT status FROM field_visits") == [("published",)]
    [(status,)] = query(database_url, "SELECT status FROM recommendations")
    assert status == "in_progress"
    assert count(database_url, "recommendation_updates") == 1


def test_seed_demo_again_adds_nothing(database_url: str) -> None:
    assert run(database_url, "seed-demo").exit_code == 0
    revisions = count(database_url, "record_revisions")

    again = run(database_url, "seed-demo")

    assert again.exit_code == 0, again.output
    assert "caucus meetings: 0 records added" in again.stdout
    assert "fictional records: 0 records added" in again.stdout
    assert count(database_url, "record_revisions") == revisions
    assert count(database_url, "organisations", "WHERE name LIKE '[DEMO]%'") == 1


def test_seed_demo_refuses_to_run_in_production(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAUCUS_ENVIRONMENT", "production")
    monkeypatch.setenv("CAUCUS_SECRET_KEY", "a-production-secret-of-more-than-32-bytes-0123")

    result = run(database_url, "seed-demo")

    assert result.exit_code == 1
    assert "production" in result.output
    assert count(database_url, "activities") == 0
    assert count(database_url, "organisations") == 0


def test_the_demo_report_shows_its_testimony_to_no_one_outside_the_secretariat(
    database_url: str, client: TestClient, partner_headers: dict[str, str]
) -> None:
    assert run(database_url, "seed-demo").exit_code == 0

    response = client.get("/api/v1/field-visits", headers=partner_headers)

    assert response.status_code == 200
    [report] = response.json()["items"]
    assert report["status"] == "published"
    assert report["testimonies"] is None
    assert "fictional testimony" not in response.text
