"""The `scores` section of the statistics: how the published assessments the caller may see
score, and how they rate each criterion of their rubric."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.assessments import service as assessments
from app.assessments.models import DEFAULT_RUBRIC_ID, Criterion, RubricVersionCreate
from app.audit.service import Actor
from app.identity.models import Organisation
from tests.api import ok
from tests.countries import records
from tests.countries.records import RESTRICTED, collection_ids

pytestmark = pytest.mark.usefixtures("reference")

Headers = dict[str, str]
RATINGS = ("met", "partially_met", "not_met", "not_applicable", "unknown")


def scores(client: TestClient, headers: Headers, **params: object) -> dict:
    return ok(client.get("/api/v1/stats", params=params, headers=headers))["scores"]  # type: ignore[no-any-return]


def criterion(rubric: dict, key: str) -> tuple[int, ...]:
    counts = next(item for item in rubric["criteria"] if item["key"] == key)
    return tuple(counts[rating] for rating in RATINGS)


def buckets(distribution: dict) -> list[tuple[int, int, int]]:
    return [(b["from_score"], b["to_score"], b["count"]) for b in distribution["buckets"]]


def test_each_criterion_is_counted_by_rating_and_the_scores_by_bucket(
    client: TestClient, session: Session, admin_headers: Headers, secretariat: Organisation
) -> None:
    def assess(subject_type: str, subject_id: str, ratings: dict[str, str]) -> None:
        records.assessment(session, secretariat, subject_type, subject_id, ratings)

    # 50, 75, 100 and 0.
    assess(
        "law", records.law(session, secretariat, "PH"), {"transparency": "met", "gender": "not_met"}
    )
    assess(
        "agreement",
        records.agreement(session, secretariat, "PH", "SA"),
        {"transparency": "partially_met", "gender": "met", "fair_recruitment": "not_applicable"},
    )
    assess("law", records.law(session, secretariat, "MY"), {"transparency": "met"})
    assess(
        "law",
        records.law(session, secretariat, "SA"),
        {"transparency": "not_met", "gender": "unknown"},
    )

    found = scores(client, admin_headers)

    assert found["assessments"] == 4
    assert found["scores"]["mean"] == 56.25
    assert buckets(found["scores"]) == [(0, 25, 1), (25, 50, 0), (50, 75, 1), (75, 100, 2)]
    [rubric] = found["by_rubric"]
    assert (rubric["rubric_id"], rubric["name"], rubric["version"]) == (
        str(DEFAULT_RUBRIC_ID),
        "default",
        1,
    )
    assert rubric["assessments"] == 4
    assert rubric["scores"] == found["scores"]
    assert rubric["link"] == f"/api/v1/assessments?rubric_id={DEFAULT_RUBRIC_ID}&status=published"
    assert len(collection_ids(client, admin_headers, rubric["link"])) == 4
    assert len(rubric["criteria"]) == 14
    assert rubric["criteria"][0]["key"] == "transparency"
    assert criterion(rubric, "transparency") == (2, 1, 1, 0, 0)
    # Not rated at all counts as unknown.
    assert criterion(rubric, "gender") == (1, 0, 1, 0, 2)
    assert criterion(rubric, "fair_recruitment") == (0, 0, 0, 1, 3)
    assert criterion(rubric, "sector_provisions") == (0, 0, 0, 0, 4)


def test_each_rubric_version_is_counted_apart(
    client: TestClient, session: Session, admin_headers: Headers, secretariat: Organisation
) -> None:
    default = assessments.get_rubric(session, rubric_id=DEFAULT_RUBRIC_ID)
    only = Criterion(key="only", title="Only", question="Is it the only one?")
    second = assessments.create_version(
        session,
        actor=Actor(organisation_id=secretariat.id),
        rubric=default,
        data=RubricVersionCreate(criteria=[only]),
    )
    law = records.law(session, secretariat, "PH")
    records.assessment(
        session, secretariat, "law", law, {"only": "partially_met"}, rubric_id=second.id
    )
    records.assessment(session, secretariat, "law", law, {"gender": "met"})

    found = scores(client, admin_headers)

    assert [(item["version"], item["assessments"]) for item in found["by_rubric"]] == [
        (1, 1),
        (2, 1),
    ]
    assert found["by_rubric"][1]["criteria"] == [
        {"key": "only", "title": "Only", "met": 0, "partially_met": 1, "not_met": 0,
         "not_applicable": 0, "unknown": 0}
    ]  # fmt: skip
    assert found["by_rubric"][1]["scores"]["mean"] == 50.0
    assert (found["assessments"], found["scores"]["mean"]) == (2, 75.0)


def test_only_published_assessments_the_caller_may_see_are_counted(
    client: TestClient,
    session: Session,
    admin_headers: Headers,
    partner_headers: Headers,
    secretariat: Organisation,
) -> None:
    other = records.other_organisation(session)
    law = records.law(session, secretariat, "PH")
    hidden_law = records.law(session, other, "PH", RESTRICTED)
    records.assessment(session, secretariat, "law", law, {"gender": "met"})
    records.assessment(session, other, "law", law, {"gender": "not_met"}, visibility=RESTRICTED)
    # Public itself, but of a law the partner may not see.
    records.assessment(session, other, "law", hidden_law, {"gender": "partially_met"})
    records.assessment(session, secretariat, "law", law, {"gender": "not_met"}, published=False)
    deleted = records.assessment(session, secretariat, "law", law, {"gender": "not_met"})
    records.delete_assessment(session, secretariat, deleted)

    seen, everything = scores(client, partner_headers), scores(client, admin_headers)

    assert (seen["assessments"], seen["scores"]["mean"]) == (1, 100.0)
    assert criterion(seen["by_rubric"][0], "gender") == (1, 0, 0, 0, 0)
    assert (everything["assessments"], everything["scores"]["mean"]) == (3, 50.0)
    assert criterion(everything["by_rubric"][0], "gender") == (1, 1, 1, 0, 0)


def test_a_region_counts_the_assessments_of_its_laws_and_of_agreements_with_a_party_there(
    client: TestClient, session: Session, admin_headers: Headers, secretariat: Organisation
) -> None:
    for subject_type, subject_id in (
        ("law", records.law(session, secretariat, "PH")),
        ("law", records.law(session, secretariat, "SA")),
        ("agreement", records.agreement(session, secretariat, "SA", "PH")),
        ("agreement", records.agreement(session, secretariat, "NP", "QA")),
    ):
        records.assessment(session, secretariat, subject_type, subject_id, {"gender": "met"})

    narrowed = scores(client, admin_headers, region="south_east_asia")

    assert narrowed["assessments"] == 2
    assert scores(client, admin_headers)["assessments"] == 4


def test_with_no_assessment_nothing_is_counted(client: TestClient, admin_headers: Headers) -> None:
    found = scores(client, admin_headers)

    assert found == {
        "assessments": 0,
        "scores": {
            "mean": None,
            "buckets": [
                {"from_score": low, "to_score": low + 25, "count": 0} for low in (0, 25, 50, 75)
            ],
        },
        "by_rubric": [],
    }
